/**
 * What `hai doctor` does (the command is `../commands/doctor.ts`): are credentials found and
 * private, does the base URL answer as the Agents API with them, and is the local clock close to
 * the server's.
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Wire from "@hai-effect/core/Wire"
import * as Credentials from "@hai-effect/platform-node/Credentials"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Schema from "effect/Schema"
import * as Fs from "node:fs/promises"
import * as Client from "../Client.js"
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

const decodeQuota = Schema.decodeUnknownEither(Schema.parseJson(Wire.QuotaStatus))

// The Agents API answers the quota as JSON of its own shape: a proxy, a login page or another
// service at the base URL answers too (often 200, often HTML), and must not pass for it.
const apiCheck = (
  url: URL,
  response: HttpClientResponse.HttpClientResponse,
  body: Either.Either<string, unknown>,
  millis: number
): Check => {
  const status = response.status
  const type = response.headers["content-type"]?.split(";")[0]?.trim() || "no content type"
  const notTheApi = (what: string): Check => ({
    name: "API",
    status: "fail",
    detail: `${url.origin} ${what}, so it is not H Company's Agents API; check --base-url / HAI_API_BASE_URL`
  })
  if (status === 401 || status === 403) {
    return { name: "API", status: "fail", detail: `${url.origin} refused the key (${status}); run \`hai login\`` }
  }
  if (status === 404) return notTheApi(`has no ${url.pathname} (404)`)
  if (status !== 200) return { name: "API", status: "fail", detail: `${url.origin} answered ${status}` }
  const decoded = Either.flatMap(body, (text) => decodeQuota(text))
  if (Either.isLeft(decoded)) return notTheApi(`answered 200 with ${type} that is not a quota`)
  const quota = decoded.right
  return {
    name: "API",
    status: "ok",
    detail: `${url.origin} is the Agents API (answered in ${millis} ms; ${quota.active}/${quota.limit} sessions active)`
  }
}

/**
 * Runs every check.
 *
 * @since 0.1.0
 * @category Checks
 */
export const checks = Effect.gen(function*() {
  const results: Array<Check> = []
  const files = yield* Credentials.paths
  // The credentials' own warning about a readable file is the "file mode" check below here.
  const found = yield* Effect.either(Logger.withMinimumLogLevel(Client.credentials, LogLevel.Error))
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

  const hai = yield* Client.makeClient(creds)
  const url = new URL(
    "api/v2/sessions/quota",
    hai.options.baseUrl.endsWith("/") ? hai.options.baseUrl : `${hai.options.baseUrl}/`
  )
  // One plain request, not the SDK's call: doctor reports what the server answered (status,
  // content type, Date header) rather than retrying it, and then checks that it is the API.
  const client = Client.logRequests(yield* HttpClient.HttpClient)
  const started = yield* Clock.currentTimeMillis
  const response = yield* client.execute(
    HttpClientRequest.get(url).pipe(HttpClientRequest.bearerToken(creds.apiKey), HttpClientRequest.acceptJson)
  ).pipe(
    Effect.flatMap((response) => Effect.map(Effect.either(response.text), (body) => ({ response, body }))),
    Effect.timeout("15 seconds"),
    Effect.either
  )
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
  results.push(apiCheck(url, response.right.response, response.right.body, ended - started))
  const date = response.right.response.headers["date"]
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
 * Runs every check and prints the results; fails when one failed.
 *
 * @since 0.1.0
 * @category Handlers
 */
export const doctor = Effect.gen(function*() {
  const { json } = yield* Global.globals
  const results = yield* checks
  if (json) yield* Render.json({ checks: results })
  else for (const c of results) yield* Render.line(`${mark[c.status]} ${c.name}: ${c.detail}`)
  const failed = results.filter((c) => c.status === "fail").length
  if (failed > 0) {
    return yield* new CliError({ message: `${failed} check(s) failed.`, hint: "See the lines marked ✗ above." })
  }
})
