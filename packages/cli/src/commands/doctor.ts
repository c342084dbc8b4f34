/**
 * `hai doctor`: are credentials found and private, is the API reachable with them, and is the
 * local clock close to the server's.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HaiAgents from "@hai-effect/core/HaiAgents"
import * as Credentials from "@hai-effect/platform-node/Credentials"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Fs from "node:fs/promises"
import { CliError } from "../CliError.js"
import * as Global from "../Global.js"
import * as Render from "../Render.js"

/**
 * The result of one check.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Check {
  readonly name: string
  readonly status: "ok" | "warn" | "fail"
  readonly detail: string
}

/**
 * Clock skew above which doctor warns, in seconds (webhook signatures tolerate 300 s).
 *
 * @since 0.1.0
 * @category Constants
 */
export const skewWarningSeconds = 30

const fileMode = (path: string) => Effect.promise(() => Fs.stat(path).then((s) => s.mode & 0o777, () => undefined))

const mark = { ok: "✓", warn: "!", fail: "✗" } as const

/**
 * Runs every check.
 *
 * @since 0.1.0
 * @category Checks
 */
export const checks = Effect.gen(function*() {
  const results: Array<Check> = []
  const files = yield* Credentials.paths
  const found = yield* Effect.either(Global.credentials)
  if (found._tag === "Left") {
    results.push({ name: "credentials", status: "fail", detail: Render.errorReport(found.left).message })
    return results
  }
  const creds = found.right
  results.push({
    name: "credentials",
    status: "ok",
    detail: `key ${Render.maskKey(creds.apiKey)} from ${creds.source}`
  })
  for (const path of new Set([files.user, files.project])) {
    const mode = yield* fileMode(path)
    if (mode === undefined) continue
    const exposed = process.platform !== "win32" && (mode & 0o077) !== 0
    results.push({
      name: "file mode",
      status: exposed && creds.source === `file:${path}` ? "warn" : "ok",
      detail: `${path} is ${mode.toString(8).padStart(3, "0")}${
        exposed ? ` (readable by others; chmod 600 ${JSON.stringify(path)})` : ""
      }`
    })
  }

  const hai = yield* HaiAgents.make({ apiKey: creds.apiKey, baseUrl: creds.baseUrl, clientName: Global.clientName })
  const url = new URL(
    "api/v2/sessions/quota",
    hai.options.baseUrl.endsWith("/") ? hai.options.baseUrl : `${hai.options.baseUrl}/`
  )
  const client = yield* HttpClient.HttpClient
  const started = yield* Clock.currentTimeMillis
  const response = yield* client.execute(
    HttpClientRequest.get(url).pipe(HttpClientRequest.bearerToken(creds.apiKey), HttpClientRequest.acceptJson)
  ).pipe(Effect.timeout("15 seconds"), Effect.either)
  const ended = yield* Clock.currentTimeMillis
  if (response._tag === "Left") {
    results.push({
      name: "API",
      status: "fail",
      detail: `${url.origin} unreachable: ${
        response.left._tag === "TimeoutException" ? "no answer in 15 s" : response.left.message
      }`
    })
    return results
  }
  const status = response.right.status
  results.push({
    name: "API",
    status: status === 200 ? "ok" : "fail",
    detail: status === 200
      ? `${url.origin} answered in ${ended - started} ms`
      : status === 401 || status === 403
      ? `${url.origin} refused the key (${status}); run \`hai login\``
      : `${url.origin} answered ${status}`
  })
  const date = response.right.headers["date"]
  const server = date ? Date.parse(date) : NaN
  if (Number.isNaN(server)) {
    results.push({ name: "clock", status: "warn", detail: "the server sent no Date header; skew unknown" })
  } else {
    const skew = Math.round((server - (started + ended) / 2) / 1000)
    results.push({
      name: "clock",
      status: Math.abs(skew) > skewWarningSeconds ? "warn" : "ok",
      detail: `skew ${skew >= 0 ? "+" : ""}${skew} s against the server (Date header has 1 s resolution)`
    })
  }
  return results
})

/**
 * `hai doctor`
 *
 * @since 0.1.0
 * @category Commands
 */
export const command = Command.make("doctor", {}, () =>
  Effect.gen(function*() {
    const { json } = yield* Global.globals
    const results = yield* checks
    if (json) yield* Render.json({ checks: results })
    else for (const c of results) yield* Render.line(`${mark[c.status]} ${c.name}: ${c.detail}`)
    const failed = results.filter((c) => c.status === "fail").length
    if (failed > 0) {
      return yield* new CliError({ message: `${failed} check(s) failed.`, hint: "See the lines marked ✗ above." })
    }
  })).pipe(Command.withDescription("Check credentials, API reachability and clock skew"))
