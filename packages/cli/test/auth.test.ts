import { afterAll, assert, beforeAll, describe, layer } from "@effect/vitest"
import { Effect, Fiber, Redacted } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Render from "../src/Render.js"
import * as FakeApi from "./support/FakeApi.js"
import { EmulatorLive, hai, tempDir } from "./support/Harness.js"
import * as PortalEmulator from "./support/PortalEmulator.js"

const minted = "hk-test-key-1234"
let portal: PortalEmulator.Portal

beforeAll(async () => {
  portal = await PortalEmulator.start({ mintedKey: minted })
})
afterAll(() => portal.close())

const userFile = (home: string) => Path.join(home, ".config", "hai", ".env")

describe("hai login / logout / whoami / doctor", () => {
  layer(EmulatorLive, { excludeTestServices: true })((it) => {
    it.effect("browser sign-in: loopback + PKCE, mints and saves a key (mode 600); again (--force) replaces the stale key", () =>
      Effect.gen(function*() {
        const home = tempDir()
        const opened: Array<string> = []
        const options = {
          env: {},
          home,
          input: { isTTY: true },
          browser: PortalEmulator.browser(opened)
        }
        const r = yield* hai(["login", "--portal-url", portal.url], options)
        assert.strictEqual(r.code, 0, r.stderr)
        assert.strictEqual(r.stdout.trim(), `Logged in: key hk-…1234 saved to ${userFile(home)}`)
        assert.notInclude(r.stdout + r.stderr, minted)
        const authorize = new URL(opened[0]!)
        assert.strictEqual(authorize.pathname, "/api/auth/authorize")
        assert.strictEqual(authorize.searchParams.get("provider"), "google")
        assert.strictEqual(authorize.searchParams.get("code_challenge_method"), "S256")
        assert.match(authorize.searchParams.get("redirect_uri")!, /^http:\/\/127\.0\.0\.1:\d+\/$/)
        assert.include(r.stderr, opened[0]!)
        assert.strictEqual(Fs.readFileSync(userFile(home), "utf8").trim(), `HAI_API_KEY=${minted}`)
        assert.strictEqual(Fs.statSync(userFile(home)).mode & 0o777, 0o600)
        assert.deepStrictEqual(portal.created, [{ name: `hai CLI (${Os.hostname()})` }])

        portal.calls.length = 0
        const again = yield* hai(["login", "--force", "--portal-url", portal.url], options)
        assert.strictEqual(again.code, 0, again.stderr)
        const keysPath = "/api/organizations/org-42/keys/"
        assert.deepStrictEqual(portal.calls.filter((c) => c.includes("/keys/")), [
          `POST ${keysPath}`,
          `GET ${keysPath}`,
          `DELETE ${keysPath}key-3/`,
          `POST ${keysPath}`
        ])
        assert.strictEqual(portal.keys.size, 1)

        const whoami = yield* hai(["whoami"], { env: {}, home })
        assert.strictEqual(whoami.code, 0, whoami.stderr)
        assert.match(whoami.stdout, /key:\s+hk-…1234/)
        assert.include(whoami.stdout, `file:${userFile(home)}`)
        assert.notInclude(whoami.stdout, minted)

        const logout = yield* hai(["logout"], { env: {}, home })
        assert.strictEqual(logout.stdout.trim(), `Logged out: removed the key from ${userFile(home)}`)
        assert.isFalse(Fs.existsSync(userFile(home)))
        const twice = yield* hai(["logout"], { env: {}, home })
        assert.strictEqual(twice.stdout.trim(), `No stored key in ${userFile(home)}.`)
        const after = yield* hai(["whoami"], { env: {}, home })
        assert.strictEqual(after.code, 1)
        assert.match(after.stderr, /^Error: No H Company API key found/)
        assert.include(after.stderr, "hai login")
      }))

    it.effect("a refused sign-in code fails with a hint", () =>
      Effect.gen(function*() {
        const home = tempDir()
        const r = yield* hai(["login", "--portal-url", portal.url], {
          env: {},
          home,
          input: { isTTY: true },
          browser: {
            open: (url) =>
              Effect.sync(() => {
                const redirect = new URL(url).searchParams.get("redirect_uri")!
                void fetch(`${redirect}?code=forged`)
                return true
              })
          }
        })
        assert.strictEqual(r.code, 1)
        assert.match(r.stderr, /Error: The portal refused to exchange the sign-in code \(400\)/)
        assert.match(r.stderr, /Hint: /)
        assert.isFalse(Fs.existsSync(userFile(home)))
      }))

    it.effect("--with-key reads stdin when it is not a terminal, or a hidden prompt on one", () =>
      Effect.gen(function*() {
        const home = tempDir()
        const piped = yield* hai(["login", "--with-key"], {
          env: {},
          home,
          input: { isTTY: false, readAll: Effect.succeed(`${minted}\n`) }
        })
        assert.strictEqual(piped.code, 0, piped.stderr)
        assert.strictEqual(Fs.readFileSync(userFile(home), "utf8").trim(), `HAI_API_KEY=${minted}`)

        const prompts: Array<string> = []
        const home2 = tempDir()
        const typed = yield* hai(["login", "--with-key", "--json"], {
          env: {},
          home: home2,
          input: {
            isTTY: true,
            readSecret: (prompt) => Effect.sync(() => (prompts.push(prompt), Redacted.make(minted)))
          }
        })
        assert.strictEqual(typed.code, 0, typed.stderr)
        assert.deepStrictEqual(prompts, ["API key (hk-...): "])
        const out = typed.json()[0]
        assert.strictEqual(out.key, "hk-…1234")
        assert.strictEqual(out.saved, userFile(home2))

        const refused = yield* hai(["login", "--with-key"], {
          env: {},
          home: tempDir(),
          input: { isTTY: false, readAll: Effect.succeed("hk-wrong-key-0000") }
        })
        assert.strictEqual(refused.code, 1)
        assert.match(refused.stderr, /^Error: The key was refused .*\(40[13]\)/, refused.stderr)

        const empty = yield* hai(["login"], { env: {}, home: tempDir() })
        assert.strictEqual(empty.code, 1)
        assert.match(empty.stderr, /^Error: No key given/)
      }))

    it.effect("whoami: source, masked key, base URL, quota; --api-key wins", () =>
      Effect.gen(function*() {
        const r = yield* hai(["whoami", "--json", "--api-key", minted], { env: { HAI_API_KEY: "hk-emulator" } })
        assert.strictEqual(r.code, 0, r.stderr)
        const out = r.json()[0]
        assert.strictEqual(out.source, "option")
        assert.strictEqual(out.key, "hk-…1234")
        assert.strictEqual(out.quota.limit, 10)
        assert.notInclude(r.stdout, minted)
        const env = yield* hai(["whoami"], {
          env: { H_API_KEY: "hk-emulator", HAI_API_BASE_URL: "http://emulator.local" }
        })
        assert.match(env.stdout, /source:\s+env:H_API_KEY/)
        assert.match(env.stdout, /base URL:\s+http:\/\/emulator\.local\/ \(env:HAI_API_BASE_URL\)/)
        assert.match(env.stdout, /quota:\s+\d+\/10 sessions active/)
        const bad = yield* hai(["--base-url", "not a url", "whoami"])
        assert.strictEqual(bad.code, 1)
        // Where it came from, never the value: a key pasted into the wrong setting stays out of the terminal.
        assert.match(bad.stderr, /^Error: The base URL from option is not an http\(s\) URL/)
        assert.notInclude(bad.stderr, "not a url")
      }))

    it.effect("doctor: credentials, file modes, reachability, clock", () =>
      Effect.gen(function*() {
        const ok = yield* hai(["doctor"])
        assert.strictEqual(ok.code, 0, ok.stderr)
        assert.match(ok.stdout, /^✓ credentials: key hk-… from env:HAI_API_KEY\n/)
        assert.match(ok.stdout, /\n✓ API: \S+ is the Agents API \(answered in \d+ ms; \d+\/10 sessions active\)\n/)
        assert.match(ok.stdout, /\n[✓!] clock: /)

        const cwd = tempDir()
        Fs.writeFileSync(Path.join(cwd, ".env"), `HAI_API_KEY=${minted}\n`, { mode: 0o644 })
        Fs.chmodSync(Path.join(cwd, ".env"), 0o644)
        const exposed = yield* hai(["doctor", "--json"], { env: {}, cwd })
        const checks = exposed.json()[0].checks as Array<any>
        const mode = checks.find((c) => c.name === "file mode")
        assert.strictEqual(mode.status, "warn")
        assert.include(mode.detail, "chmod 600")

        const refused = yield* hai(["doctor"], { env: { HAI_API_KEY: "hk-wrong-key-0000" } })
        assert.strictEqual(refused.code, 1)
        assert.match(refused.stdout, /✗ API: .*refused the key \(40[13]\)/, refused.stdout)
        assert.match(refused.stderr, /^Error: 1 check\(s\) failed\./)

        const missing = yield* hai(["doctor"], { env: {} })
        assert.strictEqual(missing.code, 1)
        assert.match(missing.stdout, /^✗ credentials: No H Company API key found/)
      }))

    it.effect("doctor: a server that answers but is not the Agents API fails the API check", () =>
      Effect.gen(function*() {
        const html = FakeApi.make(() => ({
          status: 200,
          contentType: "text/html",
          body: "<!doctype html><title>Welcome</title><p>Sign in</p>"
        }))
        const page = yield* hai(["doctor"], { httpClient: html.client })
        assert.strictEqual(page.code, 1, page.stdout)
        assert.match(
          page.stdout,
          /\n✗ API: \S+ answered 200 with text\/html that is not a quota, so it is not H Company's Agents API; check --base-url/
        )
        assert.notMatch(page.stdout, /✓ API/)

        const elsewhere = FakeApi.make(() => ({ status: 200, body: { hello: "world" } }))
        const json = yield* hai(["doctor", "--json"], { httpClient: elsewhere.client })
        assert.strictEqual(json.code, 1)
        const api = (json.json()[0].checks as Array<any>).find((c) => c.name === "API")
        assert.strictEqual(api.status, "fail")
        assert.include(api.detail, "not H Company's Agents API")

        const missing = FakeApi.make(() => ({ status: 404, body: { detail: "Not Found" } }))
        const notFound = yield* hai(["doctor"], { httpClient: missing.client })
        assert.match(notFound.stdout, /✗ API: \S+ has no \/api\/v2\/sessions\/quota \(404\), so it is not/)
      }))

    it.effect("whoami: a refused key shows which key, from where, at which base URL", () =>
      Effect.gen(function*() {
        const refusing = FakeApi.make(() => ({ status: 403, body: { detail: "Invalid API key" } }))
        const env = { HAI_API_KEY: "hk-wrong-key-0000", HAI_API_BASE_URL: "https://agp.hcompany.ai" }
        const r = yield* hai(["whoami"], { env, httpClient: refusing.client })
        assert.strictEqual(r.code, 1)
        assert.match(r.stdout, /key:\s+hk-…0000/)
        assert.match(r.stdout, /source:\s+env:HAI_API_KEY/)
        assert.match(r.stdout, /base URL:\s+https:\/\/agp\.hcompany\.ai\/ \(env:HAI_API_BASE_URL\)/)
        assert.match(
          r.stderr,
          /^Error: The key hk-…0000 \(from env:HAI_API_KEY\) was refused by https:\/\/agp\.hcompany\.ai\/ \(403\)\.\nHint: .*region/
        )
        assert.notInclude(r.stdout + r.stderr, "hk-wrong-key-0000")
        const json = yield* hai(["whoami", "--json"], { env, httpClient: refusing.client })
        const out = json.json()[0]
        assert.deepStrictEqual([out.key, out.source, out.base_url, out.error.status], [
          "hk-…0000",
          "env:HAI_API_KEY",
          "https://agp.hcompany.ai/",
          403
        ])
      }))

    it.effect("logout forgets the base URL that login saved, and says so", () =>
      Effect.gen(function*() {
        const home = tempDir()
        const login = yield* hai(["login", "--with-key", "--base-url", "http://emulator.local"], {
          env: {},
          home,
          input: { isTTY: false, readAll: Effect.succeed(minted) }
        })
        assert.strictEqual(login.code, 0, login.stderr)
        assert.include(Fs.readFileSync(userFile(home), "utf8"), "HAI_API_BASE_URL=http://emulator.local")
        const logout = yield* hai(["logout"], { env: {}, home })
        assert.strictEqual(
          logout.stdout.trim(),
          `Logged out: removed the key and the base URL http://emulator.local from ${userFile(home)}`
        )
        assert.isFalse(Fs.existsSync(userFile(home)))
        // A later login without --base-url goes to the region's URL, not to the forgotten one.
        const again = yield* hai(["login", "--with-key", "--json"], {
          env: {},
          home,
          input: { isTTY: false, readAll: Effect.succeed(minted) }
        })
        assert.strictEqual(again.json()[0].base_url, "https://agp.eu.hcompany.ai/")
        assert.notInclude(Fs.readFileSync(userFile(home), "utf8"), "HAI_API_BASE_URL")

        const still = yield* hai(["logout"], { env: { HAI_API_KEY: "hk-emulator" }, home })
        assert.match(still.stderr, /a key is still found in env:HAI_API_KEY/)
      }))

    it.effect("login with a stored key that works says so and signs in only with --force", () =>
      Effect.gen(function*() {
        const home = tempDir()
        Fs.mkdirSync(Path.dirname(userFile(home)), { recursive: true })
        Fs.writeFileSync(userFile(home), `HAI_API_KEY=${minted}\n`, { mode: 0o600 })
        const opened: Array<string> = []
        const options = { env: {}, home, input: { isTTY: true }, browser: PortalEmulator.browser(opened) }
        portal.calls.length = 0
        const r = yield* hai(["login", "--portal-url", portal.url], options)
        assert.strictEqual(r.code, 0, r.stderr)
        assert.match(
          r.stdout,
          /^Already signed in: key hk-…1234 from file:\S+ works with \S+\. Run `hai login --force`/
        )
        assert.deepStrictEqual([opened, portal.calls], [[], []])

        const forced = yield* hai(["login", "--force", "--portal-url", portal.url], options)
        assert.strictEqual(forced.code, 0, forced.stderr)
        assert.match(forced.stdout, /^Logged in: key hk-…1234 saved to /)
        assert.strictEqual(opened.length, 1)

        Fs.writeFileSync(userFile(home), "HAI_API_KEY=hk-revoked-0000\n", { mode: 0o600 })
        const refused = yield* hai(["login", "--portal-url", portal.url], options)
        assert.strictEqual(refused.code, 0, refused.stderr)
        assert.include(refused.stderr, "The key hk-…0000 from file:")
        assert.match(refused.stdout, /^Logged in: /)
        assert.strictEqual(Fs.readFileSync(userFile(home), "utf8").trim(), `HAI_API_KEY=${minted}`)
      }))

    it.effect("login --no-browser prints the URL to open and does not claim to open a browser", () =>
      Effect.gen(function*() {
        const home = tempDir()
        const capture = Render.capture()
        const opened: Array<string> = []
        const fiber = yield* Effect.fork(hai(["login", "--no-browser", "--portal-url", portal.url], {
          env: {},
          home,
          capture,
          input: { isTTY: true },
          browser: { open: (url) => Effect.sync(() => (opened.push(url), true)) }
        }))
        // The user opens the printed URL by hand.
        let url: string | undefined
        while (url === undefined) {
          url = capture.stderr().match(/https?:\/\/\S+\/api\/auth\/authorize\S+/)?.[0]
          if (url === undefined) yield* Effect.sleep("10 millis")
        }
        yield* PortalEmulator.browser().open(url)
        const r = yield* Fiber.join(fiber)
        assert.strictEqual(r.code, 0, r.stderr)
        assert.deepStrictEqual(opened, [])
        assert.notMatch(r.stderr, /browser to sign in|open the URL above/i)
        assert.match(r.stderr, /^To sign in, open this URL in a browser on this machine:\n  http/)
      }))

    it.effect("a key in a file others can read is warned about once", () =>
      Effect.gen(function*() {
        const home = tempDir()
        Fs.mkdirSync(Path.dirname(userFile(home)), { recursive: true })
        Fs.writeFileSync(userFile(home), "HAI_API_KEY=hk-emulator\n", { mode: 0o644 })
        Fs.chmodSync(userFile(home), 0o644)
        const count = (text: string) => text.split("can be read by other users").length - 1
        const whoami = yield* hai(["whoami"], { env: {}, home })
        assert.strictEqual(whoami.code, 0, whoami.stderr)
        assert.strictEqual(count(whoami.stderr), 1, whoami.stderr)
        assert.match(
          whoami.stderr,
          /^Warning: The credentials file \S+ can be read by other users \(mode 644\)\. Restrict it with: chmod 600/
        )
        // doctor reports it as its file-mode check, not a second time as a warning.
        const doctor = yield* hai(["doctor"], { env: {}, home })
        assert.strictEqual(count(doctor.stderr), 0, doctor.stderr)
        assert.match(doctor.stdout, /\n! file mode: \S+ is 644 \(readable by others; chmod 600/)
      }))

    it.effect("invalid arguments exit with 2", () =>
      Effect.gen(function*() {
        const r = yield* hai(["sessions", "get"])
        assert.strictEqual(r.code, 2)
      }))
  })
})
