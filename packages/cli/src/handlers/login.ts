/**
 * What `hai login` (browser sign-in with a loopback redirect and PKCE, or `--with-key`),
 * `hai logout` and `hai whoami` do (the commands are `../commands/login.ts`).
 *
 * @since 0.1.0
 */
import * as Credentials from "@hai-effect/platform-node/Credentials"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Crypto from "node:crypto"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Os from "node:os"
import * as Client from "../Client.js"
import { CliError } from "../CliError.js"
import type * as LoginCommand from "../commands/login.js"
import * as Global from "../Global.js"
import * as Interactive from "../Interactive.js"
import * as Render from "../Render.js"

// =============================================================================
// PKCE and the loopback redirect
// =============================================================================

/**
 * A PKCE pair (RFC 7636, S256).
 *
 * @since 0.1.0
 * @category PKCE
 */
export const pkce = (): { readonly verifier: string; readonly challenge: string } => {
  const verifier = Crypto.randomBytes(32).toString("base64url")
  const challenge = Crypto.createHash("sha256").update(verifier).digest("base64url")
  return { verifier, challenge }
}

/**
 * Listens on `127.0.0.1` on a random port (RFC 8252) for the redirect carrying `code`. The
 * server closes with the scope.
 *
 * @since 0.1.0
 * @category Loopback
 */
export const loopback = Effect.gen(function*() {
  const received = yield* Deferred.make<string, CliError>()
  const server = yield* Effect.acquireRelease(
    Effect.async<Http.Server, CliError>((resume) => {
      const server = Http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://127.0.0.1")
        const code = url.searchParams.get("code")
        const error = url.searchParams.get("error")
        if (url.pathname !== "/" || (!code && !error)) {
          res.writeHead(404, { "content-type": "text/plain" }).end("Not found")
          return
        }
        res.writeHead(200, { "content-type": "text/html; charset=utf-8", connection: "close" }).end(
          code
            ? "<!doctype html><title>hai</title><h1>Signed in</h1><p>You can close this tab and return to the terminal.</p>"
            : "<!doctype html><title>hai</title><h1>Sign-in failed</h1><p>Return to the terminal.</p>"
        )
        Deferred.unsafeDone(
          received,
          code
            ? Exit.succeed(code)
            : Exit.fail(new CliError({ message: `Sign-in was refused: ${error}`, hint: "Run `hai login` again." }))
        )
      })
      server.once("error", (e) => resume(Effect.fail(new CliError({ message: `Cannot listen on 127.0.0.1: ${e}` }))))
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.close(() => resume(Effect.void))
        server.closeAllConnections()
      })
  )
  const port = (server.address() as AddressInfo).port
  return { redirectUri: `http://127.0.0.1:${port}/`, code: Deferred.await(received) }
})

// =============================================================================
// The portal
// =============================================================================

interface PortalResponse {
  readonly status: number
  readonly body: unknown
}

const portalCall = (
  method: string,
  url: string,
  options?: { readonly token?: Redacted.Redacted<string>; readonly body?: unknown }
): Effect.Effect<PortalResponse, CliError> =>
  Effect.tryPromise({
    try: async (signal) => {
      const response = await fetch(url, {
        method,
        signal,
        headers: {
          accept: "application/json",
          ...(options?.body !== undefined ? { "content-type": "application/json" } : {}),
          ...(options?.token ? { authorization: `Bearer ${Redacted.value(options.token)}` } : {})
        },
        ...(options?.body !== undefined ? { body: JSON.stringify(options.body) } : {})
      })
      const text = await response.text()
      let body: unknown = text
      try {
        body = text.length > 0 ? JSON.parse(text) : null
      } catch {
        body = text
      }
      return { status: response.status, body }
    },
    catch: (e) =>
      new CliError({
        message: `Cannot reach the portal (${method} ${url}): ${String(e)}`,
        hint: "Check --portal-url / HAI_PORTAL_URL and the network."
      })
  })

const expectOk = (what: string, response: PortalResponse) =>
  response.status >= 200 && response.status < 300
    ? Effect.succeed(response.body as Record<string, unknown>)
    : Effect.fail(
      new CliError({
        message: `The portal refused to ${what} (${response.status}): ${
          typeof response.body === "string" ? response.body : JSON.stringify(response.body)
        }`,
        hint: "Run `hai login` again, or use `hai login --with-key`."
      })
    )

const pick = (body: unknown, ...paths: ReadonlyArray<string>): string | undefined => {
  for (const path of paths) {
    let value: unknown = body
    for (const part of path.split(".")) {
      value = value !== null && typeof value === "object" ? (value as Record<string, unknown>)[part] : undefined
    }
    if (typeof value === "string" && value.length > 0) return value
    if (typeof value === "number") return String(value)
  }
  return undefined
}

const itemsOf = (body: unknown): ReadonlyArray<Record<string, unknown>> =>
  Array.isArray(body)
    ? body
    : body !== null && typeof body === "object"
    ? (["items", "keys", "data", "results"].map((k) => (body as Record<string, unknown>)[k]).find(Array.isArray) as
      | ReadonlyArray<Record<string, unknown>>
      | undefined) ?? []
    : []

const alreadyExists = (response: PortalResponse) =>
  response.status === 400 && JSON.stringify(response.body ?? "").includes("already_exists")

/**
 * Signs in through the portal: PKCE pair, loopback listener, browser, code exchange, the org
 * from `/api/auth/me`, then a key minted as `hai CLI (<hostname>)` (a stale key of that name is
 * deleted first).
 *
 * @since 0.1.0
 * @category Login
 */
export const browserSignIn = Effect.fn("Login.browserSignIn")(function*(options: {
  readonly portalUrl: string
  readonly openBrowser: boolean
  readonly timeout?: number | undefined
}) {
  const portal = options.portalUrl.replace(/\/+$/, "")
  const { challenge, verifier } = pkce()
  return yield* Effect.scoped(Effect.gen(function*() {
    const { code, redirectUri } = yield* loopback
    const authorize = `${portal}/api/auth/authorize?${new URLSearchParams({
      provider: "google",
      redirect_uri: redirectUri,
      code_challenge: challenge,
      code_challenge_method: "S256"
    })}`
    if (options.openBrowser) {
      yield* Render.info("Opening the browser to sign in. If it does not open, visit:")
      yield* Render.info(`  ${authorize}`)
      const browser = yield* Interactive.Browser
      const opened = yield* browser.open(authorize)
      if (!opened) yield* Render.info("Could not start a browser; open the URL above by hand.")
    } else {
      yield* Render.info("To sign in, open this URL in a browser on this machine:")
      yield* Render.info(`  ${authorize}`)
    }
    const seconds = options.timeout ?? 180
    const received = yield* code.pipe(
      Effect.timeoutFail({
        duration: `${seconds} seconds`,
        onTimeout: () =>
          new CliError({
            message: `No sign-in within ${seconds} seconds.`,
            hint: "Run `hai login` again, or `hai login --with-key` to paste a key."
          })
      })
    )
    const exchanged = yield* portalCall("POST", `${portal}/api/auth/desktop/exchange`, {
      body: { code: received, code_verifier: verifier, redirect_uri: redirectUri }
    }).pipe(Effect.flatMap((r) => expectOk("exchange the sign-in code", r)))
    const accessToken = pick(exchanged, "access_token")
    if (accessToken === undefined) {
      return yield* new CliError({ message: "The portal's code exchange returned no access_token." })
    }
    const token = Redacted.make(accessToken)
    const me = yield* portalCall("GET", `${portal}/api/auth/me`, { token }).pipe(
      Effect.flatMap((r) => expectOk("read the signed-in user", r))
    )
    const org = pick(
      me,
      "organization_id",
      "org_id",
      "organization.id",
      "current_organization_id",
      "organizations.0.id",
      "organizations.0.organization_id"
    )
    if (org === undefined) {
      return yield* new CliError({ message: "The portal did not say which organisation the user belongs to." })
    }
    const keys = `${portal}/api/organizations/${encodeURIComponent(org)}/keys/`
    const name = `hai CLI (${Os.hostname()})`
    let minted = yield* portalCall("POST", keys, { token, body: { name } })
    if (alreadyExists(minted)) {
      const existing = yield* portalCall("GET", keys, { token }).pipe(
        Effect.flatMap((r) => expectOk("list the API keys", r))
      )
      const stale = itemsOf(existing).find((k) => k.name === name)
      const staleId = stale ? pick(stale, "id", "key_id") : undefined
      if (staleId !== undefined) {
        yield* portalCall("DELETE", `${keys}${encodeURIComponent(staleId)}/`, { token }).pipe(
          Effect.flatMap((r) => expectOk("delete the stale API key", r))
        )
      }
      minted = yield* portalCall("POST", keys, { token, body: { name } })
    }
    const body = yield* expectOk("create an API key", minted)
    const key = pick(body, "key", "api_key", "token", "secret", "value", "plaintext_key")
    if (key === undefined) return yield* new CliError({ message: "The portal created a key but did not return it." })
    return Redacted.make(key)
  }))
})

// =============================================================================
// Commands
// =============================================================================

const verifyKey = (apiKey: Redacted.Redacted<string>) =>
  Effect.gen(function*() {
    const g = yield* Global.globals
    const found = yield* Credentials.resolve({ apiKey, baseUrl: Option.getOrUndefined(g.baseUrl) })
    const hai = yield* Client.makeClient({ apiKey, baseUrl: found.baseUrl })
    const quota = yield* hai.sessions.quota()
    return { quota, baseUrl: hai.options.baseUrl }
  })

/**
 * The key `hai login` would be replacing, if it works: the credentials found as for every other
 * command, checked against the API. `None` when there is none, or it was refused.
 */
const workingKey = Effect.gen(function*() {
  const found = yield* Client.credentials.pipe(Effect.option)
  if (Option.isNone(found)) return Option.none()
  const hai = yield* Client.makeClient(found.value)
  return yield* hai.sessions.quota().pipe(
    Effect.as(Option.some({ found: found.value, baseUrl: hai.options.baseUrl })),
    Effect.catchTag(
      "Unauthorized",
      () =>
        Effect.as(
          Render.info(
            `The key ${Render.maskKey(found.value.apiKey)} from ${found.value.source} was refused; signing in again.`
          ),
          Option.none()
        )
    ),
    // Unreachable or broken: signing in again is what the user asked for.
    Effect.orElseSucceed(() => Option.none())
  )
})

/**
 * `hai login`: a key pasted or piped (`--with-key`, or stdin when it is not a terminal), else one
 * minted through the browser unless the key already found works; checked against the API, then
 * saved.
 *
 * @since 0.1.0
 * @category Handlers
 */
export const login = (o: LoginCommand.LoginParsed) =>
  Effect.gen(function*() {
    const g = yield* Global.globals
    const input = yield* Interactive.Input
    let key: Redacted.Redacted<string>
    if (o.withKey || !input.isTTY) {
      key = input.isTTY
        ? yield* input.readSecret("API key (hk-...): ")
        : Redacted.make((yield* input.readAll).trim())
      if (Redacted.value(key).length === 0) {
        return yield* new CliError({
          message: "No key given.",
          hint: "Pipe it: `echo $KEY | hai login --with-key`, or get one at the portal."
        })
      }
    } else {
      // Signing in through the browser mints a new key (and deletes the last one of this
      // machine's name): not worth doing while the key already found works.
      const current = o.force ? Option.none() : yield* workingKey
      if (Option.isSome(current)) {
        const { baseUrl, found } = current.value
        if (g.json) {
          return yield* Render.json({
            already_signed_in: true,
            key: Render.maskKey(found.apiKey),
            source: found.source,
            base_url: baseUrl
          })
        }
        return yield* Render.line(
          `Already signed in: key ${Render.maskKey(found.apiKey)} from ${found.source} works with ${baseUrl}. `
            + "Run `hai login --force` to sign in again."
        )
      }
      key = yield* browserSignIn({ portalUrl: o.portalUrl, openBrowser: !o.noBrowser })
    }
    const checked = yield* verifyKey(key).pipe(
      Effect.catchTag("Unauthorized", (e) =>
        Effect.fail(
          new CliError({
            message: `The key was refused by ${e.url} (${e.status}).`,
            hint: "Check that it is complete."
          })
        ))
    )
    const path = yield* Credentials.save({
      apiKey: key,
      ...(Option.isSome(g.baseUrl) ? { baseUrl: g.baseUrl.value } : {})
    })
    if (g.json) return yield* Render.json({ saved: path, key: Render.maskKey(key), base_url: checked.baseUrl })
    yield* Render.line(`Logged in: key ${Render.maskKey(key)} saved to ${path}`)
  })

/**
 * `hai logout`: forgets what `hai login` stored, the key and the base URL saved with
 * `--base-url` (a later `hai login` without it should not inherit it).
 *
 * @since 0.1.0
 * @category Handlers
 */
export const logout = Effect.gen(function*() {
  const { json } = yield* Global.globals
  const before = yield* Credentials.stored
  const removed = yield* Credentials.remove({ baseUrl: true })
  const forgot = [
    ...(before.hasKey ? ["the key"] : []),
    ...(before.baseUrl !== undefined ? [`the base URL ${before.baseUrl}`] : [])
  ]
  if (json) {
    return yield* Render.json({
      removed,
      path: before.path,
      key: before.hasKey,
      base_url: before.baseUrl ?? null
    })
  }
  yield* Render.line(
    removed ? `Logged out: removed ${forgot.join(" and ")} from ${before.path}` : `No stored key in ${before.path}.`
  )
  // What still signs `hai` in after logout: the environment, or the project's .env.
  const still = yield* Client.credentials.pipe(Effect.option)
  if (Option.isSome(still)) {
    yield* Render.info(
      `Note: a key is still found in ${still.value.source}; \`hai\` keeps using it until you remove it there.`
    )
  }
})

/**
 * `hai whoami`: where the key comes from, the key masked, the base URL and the quota. When the
 * API refuses the key, says which key it was, from where, and at which URL.
 *
 * @since 0.1.0
 * @category Handlers
 */
export const whoami = Effect.gen(function*() {
  const { json } = yield* Global.globals
  const found = yield* Client.credentials
  const hai = yield* Client.makeClient(found)
  const identity = {
    key: Render.maskKey(found.apiKey),
    source: found.source,
    base_url: hai.options.baseUrl,
    base_url_source: found.baseUrlSource ?? "default"
  }
  const lines = [
    ["key", identity.key],
    ["source", identity.source],
    ["base URL", `${identity.base_url} (${identity.base_url_source})`]
  ] as const
  const quota = yield* hai.sessions.quota().pipe(
    Effect.catchTag("Unauthorized", (e) =>
      Effect.gen(function*() {
        if (json) yield* Render.json({ ...identity, error: { status: e.status, message: e.message } })
        else yield* Render.line(Render.fields(lines))
        return yield* new CliError({
          message:
            `The key ${identity.key} (from ${identity.source}) was refused by ${identity.base_url} (${e.status}).`,
          hint:
            "A key works only in the region (EU or US) it was made for: check --base-url / HAI_API_BASE_URL, or run `hai login` for a new key."
        })
      }))
  )
  const report = {
    ...identity,
    quota: { scope: quota.scope, limit: quota.limit, active: quota.active, available: quota.available }
  }
  if (json) return yield* Render.json(report)
  yield* Render.line(Render.fields([
    ...lines,
    ["quota", `${quota.active}/${quota.limit} sessions active, ${quota.available} available (${quota.scope})`]
  ]))
})
