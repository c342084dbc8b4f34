import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Exit, Inspectable, Option, Redacted } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { Credentials } from "../src/index.js"
import { captureLogs, mode, tempDir, withEnv, writeFile } from "./utils.js"

const SECRET = "hk-super-secret-0123456789"

const sandbox = Effect.gen(function*() {
  const root = yield* tempDir()
  const cwd = Path.join(root, "project")
  const home = Path.join(root, "home")
  yield* Effect.promise(() => Fs.mkdir(cwd, { recursive: true }))
  yield* Effect.promise(() => Fs.mkdir(home, { recursive: true }))
  const userFile = Path.join(home, ".config", "hai", ".env")
  const projectFile = Path.join(cwd, ".env")
  const run = <A, E, R>(effect: Effect.Effect<A, E, R>, env: Record<string, string> = {}) =>
    effect.pipe(Effect.provideService(Credentials.Location, { cwd, home }), withEnv(env))
  return { root, cwd, home, userFile, projectFile, run }
})

const keyOf = (resolved: Credentials.Resolved) => Redacted.value(resolved.apiKey)

describe("Credentials.resolve", () => {
  it.scoped("each source shadows the next: option, HAI_API_KEY, H_API_KEY, ./.env, user file", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* Effect.promise(() => writeFile(s.projectFile, "HAI_API_KEY=k-project\n"))
      yield* Effect.promise(() => writeFile(s.userFile, "HAI_API_KEY=k-user\n"))
      const env = { HAI_API_KEY: "k-hai", H_API_KEY: "k-h" }

      const a = yield* s.run(Credentials.resolve({ apiKey: "k-option" }), env)
      assert.deepStrictEqual([keyOf(a), a.source], ["k-option", "option"])

      const b = yield* s.run(Credentials.resolve(), env)
      assert.deepStrictEqual([keyOf(b), b.source], ["k-hai", "env:HAI_API_KEY"])

      const c = yield* s.run(Credentials.resolve(), { H_API_KEY: "k-h" })
      assert.deepStrictEqual([keyOf(c), c.source], ["k-h", "env:H_API_KEY"])

      const d = yield* s.run(Credentials.resolve())
      assert.deepStrictEqual([keyOf(d), d.source], ["k-project", `file:${s.projectFile}`])

      yield* Effect.promise(() => Fs.rm(s.projectFile))
      const e = yield* s.run(Credentials.resolve())
      assert.deepStrictEqual([keyOf(e), e.source], ["k-user", `file:${s.userFile}`])
    }))

  it.scoped("a Redacted option and an empty env var (counts as unset)", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      const a = yield* s.run(Credentials.resolve({ apiKey: Redacted.make("k-red") }), { HAI_API_KEY: "k-hai" })
      assert.strictEqual(keyOf(a), "k-red")
      const b = yield* s.run(Credentials.resolve(), { HAI_API_KEY: "", H_API_KEY: "k-h" })
      assert.strictEqual(b.source, "env:H_API_KEY")
    }))

  it.scoped("H_API_KEY in a file is a fallback; HAI_API_KEY in the same file wins", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* Effect.promise(() => writeFile(s.userFile, "H_API_KEY=k-old\n"))
      const a = yield* s.run(Credentials.resolve())
      assert.deepStrictEqual([keyOf(a), a.source], ["k-old", `file:${s.userFile}`])
      yield* Effect.promise(() => writeFile(s.userFile, "H_API_KEY=k-old\nHAI_API_KEY=k-new\n"))
      const b = yield* s.run(Credentials.resolve())
      assert.strictEqual(keyOf(b), "k-new")
    }))

  it.scoped("XDG_CONFIG_HOME moves the user file; ~/.config is then not read", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      const xdg = Path.join(s.root, "xdg")
      yield* Effect.promise(() => writeFile(s.userFile, "HAI_API_KEY=k-home\n"))
      yield* Effect.promise(() => writeFile(Path.join(xdg, "hai", ".env"), "HAI_API_KEY=k-xdg\n"))
      const a = yield* s.run(Credentials.resolve(), { XDG_CONFIG_HOME: xdg })
      assert.deepStrictEqual([keyOf(a), a.source], ["k-xdg", `file:${Path.join(xdg, "hai", ".env")}`])
      const paths = yield* s.run(Credentials.paths, { XDG_CONFIG_HOME: xdg })
      assert.deepStrictEqual(paths, { project: s.projectFile, user: Path.join(xdg, "hai", ".env") })
      yield* Effect.promise(() => Fs.rm(Path.join(xdg, "hai", ".env")))
      const missing = yield* s.run(Credentials.resolve(), { XDG_CONFIG_HOME: xdg }).pipe(Effect.flip)
      assert.strictEqual(missing._tag, "MissingApiKey")
      const withoutXdg = yield* s.run(Credentials.resolve())
      assert.strictEqual(keyOf(withoutXdg), "k-home")
    }))

  it.scoped("the base URL follows the same order, independently of the key", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* Effect.promise(() =>
        writeFile(s.projectFile, "HAI_API_BASE_URL=https://project.example\n# no key in this file\n")
      )
      yield* Effect.promise(() => writeFile(s.userFile, "HAI_API_KEY=k-user\nHAI_API_BASE_URL=https://user.example\n"))
      const env = { HAI_API_BASE_URL: "https://env.example" }

      const a = yield* s.run(Credentials.resolve({ baseUrl: "https://option.example" }), env)
      assert.deepStrictEqual([a.baseUrl, a.baseUrlSource, a.source], [
        "https://option.example",
        "option",
        `file:${s.userFile}`
      ])
      const b = yield* s.run(Credentials.resolve(), env)
      assert.deepStrictEqual([b.baseUrl, b.baseUrlSource], ["https://env.example", "env:HAI_API_BASE_URL"])
      const c = yield* s.run(Credentials.resolve())
      assert.deepStrictEqual([c.baseUrl, c.baseUrlSource], ["https://project.example", `file:${s.projectFile}`])
      yield* Effect.promise(() => Fs.rm(s.projectFile))
      const d = yield* s.run(Credentials.resolve())
      assert.deepStrictEqual([d.baseUrl, d.baseUrlSource], ["https://user.example", `file:${s.userFile}`])
      yield* Effect.promise(() => writeFile(s.userFile, "HAI_API_KEY=k-user\n"))
      const e = yield* s.run(Credentials.resolve())
      assert.isFalse("baseUrl" in e)
      assert.isFalse("baseUrlSource" in e)
    }))

  it.scoped("an invalid base URL is a typed error naming its source", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      const error = yield* s.run(Credentials.resolve({ apiKey: "k" }), { HAI_API_BASE_URL: "not a url" }).pipe(
        Effect.flip
      )
      assert.strictEqual(error._tag, "InvalidBaseUrl")
      assert.include(error.message, "env:HAI_API_BASE_URL")
    }))

  it.scoped("no key anywhere: MissingApiKey says to set HAI_API_KEY or run hai login", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* Effect.promise(() => writeFile(s.projectFile, "OTHER=1\nHAI_API_KEY=\n"))
      const error = yield* s.run(Credentials.resolve()).pipe(Effect.flip)
      assert.strictEqual(error._tag, "MissingApiKey")
      assert.include(error.message, "HAI_API_KEY")
      assert.include(error.message, "hai login")
      assert.include(error.message, s.projectFile)
      assert.include(error.message, s.userFile)
    }))

  it.scoped("a group/world-readable key file logs a warning with the path and chmod 600, never the key", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* Effect.promise(() => writeFile(s.userFile, `HAI_API_KEY=${SECRET}\n`, 0o644))
      const { exit, logs } = yield* captureLogs(s.run(Credentials.resolve()))
      assert.isTrue(Exit.isSuccess(exit))
      const warnings = logs.filter((log) => log.level === "WARN")
      assert.strictEqual(warnings.length, 1)
      assert.include(warnings[0].message, s.userFile)
      assert.include(warnings[0].message, "chmod 600")
      assert.include(warnings[0].message, "644")
      assert.notInclude(JSON.stringify(logs), SECRET)

      yield* Effect.promise(() => Fs.chmod(s.userFile, 0o640))
      const group = yield* captureLogs(s.run(Credentials.resolve()))
      assert.strictEqual(group.logs.filter((log) => log.level === "WARN").length, 1)

      yield* Effect.promise(() => Fs.chmod(s.userFile, 0o600))
      const quiet = yield* captureLogs(s.run(Credentials.resolve()))
      assert.deepStrictEqual(quiet.logs.filter((log) => log.level === "WARN"), [])
    }))

  it.scoped("the key never shows in the result's inspect/JSON/toString, nor in errors", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* Effect.promise(() => writeFile(s.userFile, `export HAI_API_KEY="${SECRET}"\n`))
      const resolved = yield* s.run(Credentials.resolve())
      assert.strictEqual(keyOf(resolved), SECRET)
      assert.notInclude(JSON.stringify(resolved), SECRET)
      assert.notInclude(Inspectable.format(resolved), SECRET)
      assert.notInclude(String(resolved.apiKey), SECRET)
      const { inspect } = yield* Effect.promise(() => import("node:util"))
      assert.notInclude(inspect(resolved, { depth: 10 }), SECRET)

      // a write that fails (the config directory is a file) reports the path, not the key
      yield* Effect.promise(() => Fs.rm(Path.join(s.home, ".config"), { recursive: true }))
      yield* Effect.promise(() => Fs.writeFile(Path.join(s.home, ".config"), "not a directory"))
      const { exit, logs } = yield* captureLogs(s.run(Credentials.save({ apiKey: Redacted.make(SECRET) })))
      assert.isTrue(Exit.isFailure(exit))
      const failure = Exit.isFailure(exit) ? Cause.failureOption(exit.cause) : Option.none()
      assert.isTrue(Option.isSome(failure))
      const error = Option.getOrThrow(failure)
      assert.strictEqual(error._tag, "CredentialsFileError")
      assert.notInclude(Cause.pretty(Exit.isFailure(exit) ? exit.cause : Cause.empty), SECRET)
      assert.notInclude(JSON.stringify(error), SECRET)
      assert.notInclude(JSON.stringify(logs), SECRET)

      // a credentials path that is not a regular file is a read error, not a crash
      yield* Effect.promise(() => Fs.mkdir(s.projectFile))
      const readError = yield* s.run(Credentials.resolve()).pipe(Effect.flip)
      assert.strictEqual(readError._tag, "CredentialsFileError")
      assert.include(readError.message, s.projectFile)
    }))

  it.scoped("a leftover temp file from a crashed save is ignored", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* Effect.promise(() => writeFile(s.userFile, "HAI_API_KEY=k-committed\n"))
      yield* Effect.promise(() =>
        writeFile(Path.join(Path.dirname(s.userFile), "..env.4242.deadbeef0000.tmp"), "HAI_API_KEY=k-tor")
      )
      const resolved = yield* s.run(Credentials.resolve())
      assert.strictEqual(keyOf(resolved), "k-committed")
    }))
})

describe("Credentials.save / remove", () => {
  it.scoped("creates the dir 700 and the file 600, atomically (no temp file left), readable back", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      const path = yield* s.run(Credentials.save({ apiKey: Redacted.make(SECRET) }))
      assert.strictEqual(path, s.userFile)
      assert.strictEqual(yield* Effect.promise(() => mode(s.userFile)), 0o600)
      assert.strictEqual(yield* Effect.promise(() => mode(Path.dirname(s.userFile))), 0o700)
      assert.deepStrictEqual(yield* Effect.promise(() => Fs.readdir(Path.dirname(s.userFile))), [".env"])
      assert.strictEqual(yield* Effect.promise(() => Fs.readFile(s.userFile, "utf8")), `HAI_API_KEY=${SECRET}\n`)
      const resolved = yield* s.run(Credentials.resolve())
      assert.deepStrictEqual([keyOf(resolved), resolved.source], [SECRET, `file:${s.userFile}`])
    }))

  it.scoped("keeps other lines, replaces the key in place, drops a stale H_API_KEY, tightens a 644 file", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* Effect.promise(() =>
        writeFile(
          s.userFile,
          "# my settings\nOTHER=keep me\nH_API_KEY=k-ancient\nexport HAI_API_KEY=k-old\n\nHAI_API_BASE_URL=https://agp.hcompany.ai\n",
          0o644
        )
      )
      yield* s.run(Credentials.save({ apiKey: "k-new" }))
      assert.strictEqual(
        yield* Effect.promise(() => Fs.readFile(s.userFile, "utf8")),
        "# my settings\nOTHER=keep me\nexport HAI_API_KEY=k-new\n\nHAI_API_BASE_URL=https://agp.hcompany.ai\n"
      )
      assert.strictEqual(yield* Effect.promise(() => mode(s.userFile)), 0o600)

      yield* s.run(Credentials.save({ apiKey: "k-new", baseUrl: "https://agp.eu.hcompany.ai" }))
      const withUrl = yield* s.run(Credentials.resolve())
      assert.strictEqual(withUrl.baseUrl, "https://agp.eu.hcompany.ai")
      yield* s.run(Credentials.save({ apiKey: "k-new", baseUrl: null }))
      assert.notInclude(yield* Effect.promise(() => Fs.readFile(s.userFile, "utf8")), "HAI_API_BASE_URL")
      assert.deepStrictEqual(yield* Effect.promise(() => Fs.readdir(Path.dirname(s.userFile))), [".env"])
    }))

  it.scoped("honours XDG_CONFIG_HOME", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      const xdg = Path.join(s.root, "xdg")
      const path = yield* s.run(Credentials.save({ apiKey: "k" }), { XDG_CONFIG_HOME: xdg })
      assert.strictEqual(path, Path.join(xdg, "hai", ".env"))
      assert.strictEqual(yield* Effect.promise(() => mode(Path.join(xdg, "hai"))), 0o700)
    }))

  it.scoped("remove: drops the key lines, keeps the rest; deletes a file left empty; false when logged out", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* s.run(Credentials.save({ apiKey: "k", baseUrl: "https://agp.hcompany.ai" }))
      assert.isTrue(yield* s.run(Credentials.remove()))
      assert.strictEqual(
        yield* Effect.promise(() => Fs.readFile(s.userFile, "utf8")),
        "HAI_API_BASE_URL=https://agp.hcompany.ai\n"
      )
      assert.strictEqual(yield* Effect.promise(() => mode(s.userFile)), 0o600)
      assert.isFalse(yield* s.run(Credentials.remove()))
      const missing = yield* s.run(Credentials.resolve()).pipe(Effect.flip)
      assert.strictEqual(missing._tag, "MissingApiKey")

      yield* s.run(Credentials.save({ apiKey: "k", baseUrl: null }))
      assert.isTrue(yield* s.run(Credentials.remove()))
      assert.deepStrictEqual(yield* Effect.promise(() => Fs.readdir(Path.dirname(s.userFile))), [])
      assert.isFalse(yield* s.run(Credentials.remove()))
    }))
})
