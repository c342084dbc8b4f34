/**
 * Turns an endpoint descriptor and its arguments into one HTTP exchange with the service:
 * URL, headers, body, timeout, retries, and the mapping of every answer to a value or a
 * tagged error.
 *
 * @since 0.1.0
 * @internal
 */
import * as Headers from "@effect/platform/Headers"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as HaiError from "../HaiError.js"
import * as RetryPolicy from "../RetryPolicy.js"
import * as Wire from "../Wire.js"
import type { Endpoint, Paginator, Runner } from "./endpoints.js"

/** What the transport needs to know; resolved once when the client is built. */
export interface TransportConfig {
  readonly baseUrl: URL
  readonly apiKey: Redacted.Redacted<string>
  readonly timeout: Duration.Duration
  readonly longPollMargin: Duration.Duration
  readonly retrySchedule: RetryPolicy.RetrySchedule
  readonly maxBodyBytes: number
  readonly headers: Readonly<Record<string, string>>
}

const excerptLength = 300

const excerpt = (text: string) => text.length > excerptLength ? `${text.slice(0, excerptLength)}…` : text

const firstIssue = (error: ParseResult.ParseError): { readonly path: string; readonly issue: string } => {
  const [issue] = ParseResult.ArrayFormatter.formatErrorSync(error)
  return issue === undefined
    ? { path: "", issue: error.message }
    : { path: issue.path.map(String).join("."), issue: issue.message }
}

/** Joins the base URL (which may carry a path prefix) and an API path. */
export const joinUrl = (base: URL, path: string): URL => {
  const url = new URL(base.toString())
  url.pathname = `${base.pathname.replace(/\/+$/, "")}${path}`
  return url
}

const fillPath = (endpoint: Endpoint, values: ReadonlyArray<string | number>): string => {
  let i = 0
  return endpoint.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(String(values[i++])))
}

/** Query values as the service reads them: arrays as repeated keys, absent and null left out. */
export const appendQuery = (url: URL, query: Readonly<Record<string, unknown>>): void => {
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null) continue
    if (Array.isArray(value)) { for (const item of value) url.searchParams.append(key, String(item)) }
    else url.searchParams.append(key, String(value))
  }
}

/** Checks the caller's input against the schema, fills discriminators and defaults, and encodes. */
const normalize = (operation: string, schema: Schema.Schema<any, any>, input: unknown) =>
  Schema.decodeUnknown(schema)(input).pipe(
    Effect.flatMap(Schema.encode(schema)),
    Effect.mapError((error) => new HaiError.InvalidRequest({ operation, ...firstIssue(error) }))
  )

/** Reads the delay the server asked for, in milliseconds from now. */
export const retryAfterMillis = (headers: Readonly<Record<string, string>>, now: number): number | undefined => {
  const ms = headers["retry-after-ms"]
  if (ms !== undefined && Number.isFinite(Number(ms))) return Number(ms)
  const after = headers["retry-after"]
  if (after !== undefined) {
    if (/^\s*\d+(\.\d+)?\s*$/.test(after)) return Number(after) * 1000
    const date = Date.parse(after)
    if (!Number.isNaN(date)) return Math.max(0, date - now)
  }
  const reset = headers["x-ratelimit-reset"]
  if (reset !== undefined && Number.isFinite(Number(reset))) return Math.max(0, Number(reset) * 1000 - now)
  return undefined
}

// `__proto__` keys would become prototypes when decoded into records: drop them at the door.
const dropProto = (key: string, value: unknown) => key === "__proto__" ? undefined : value

const parseJson = (text: string): Option.Option<unknown> => {
  try {
    // The reviver makes parsing ~4x slower: pay it only when the key could be there at all
    // (spelled out, or hidden behind \u escapes).
    const risky = text.includes("__proto__") || text.includes("\\u")
    return Option.some(risky ? JSON.parse(text, dropProto) : JSON.parse(text))
  } catch {
    return Option.none()
  }
}

const detailOf = (text: string): unknown => {
  const json = parseJson(text)
  if (Option.isNone(json)) return text.length > 0 ? excerpt(text) : undefined
  const body = json.value
  return body !== null && typeof body === "object" && "detail" in body ? body.detail : body
}

const decodeValidation = Schema.decodeUnknownOption(Schema.Array(Wire.ValidationError))

const errorFor = (
  status: number,
  text: string,
  headers: Readonly<Record<string, string>>,
  info: { readonly method: string; readonly url: string },
  now: number
): HaiError.HaiError => {
  const detail = detailOf(text)
  switch (true) {
    case status === 401 || status === 403:
      return new HaiError.Unauthorized({ ...info, status: status as 401 | 403, detail })
    case status === 404:
      return new HaiError.NotFound({ ...info, detail })
    case status === 408:
      return new HaiError.TimeoutError({ ...info, status })
    case status === 409:
      return new HaiError.Conflict({ ...info, detail })
    case status === 422:
      return new HaiError.Unprocessable({
        ...info,
        detail: Option.getOrElse(decodeValidation(detail), () => []),
        raw: detail
      })
    case status === 429:
      return new HaiError.RateLimited({ ...info, retryAfterMillis: retryAfterMillis(headers, now), detail })
    case status >= 500:
      return new HaiError.ServerError({ ...info, status, retryAfterMillis: retryAfterMillis(headers, now), detail })
    default:
      return new HaiError.UnexpectedStatus({ ...info, status, excerpt: excerpt(text) })
  }
}

const decodeBody = (
  endpoint: Endpoint,
  response: HttpClientResponse.HttpClientResponse,
  text: string,
  info: { readonly method: string; readonly url: string }
): Effect.Effect<unknown, HaiError.HaiError> => {
  if (endpoint.decode === "void") return Effect.void
  if (endpoint.decode === "option" && (response.status === 204 || text.length === 0)) {
    return Effect.succeed(Option.none())
  }
  const json = parseJson(text)
  if (Option.isNone(json)) {
    return Effect.fail(
      new HaiError.DecodeError({
        ...info,
        status: response.status,
        path: "",
        issue: "the body is not JSON",
        excerpt: excerpt(text)
      })
    )
  }
  return Schema.decodeUnknown(endpoint.response!)(json.value).pipe(
    Effect.map((value) => endpoint.decode === "option" ? Option.some(value) : value),
    Effect.mapError((error) =>
      new HaiError.DecodeError({ ...info, status: response.status, ...firstIssue(error), excerpt: excerpt(text) })
    ),
    // Schema's formatter can throw on hostile values (e.g. `{"toString": null}` as a tag): still a bad body.
    Effect.catchAllDefect((defect) =>
      Effect.fail(
        new HaiError.DecodeError({
          ...info,
          status: response.status,
          path: "",
          issue: `the body could not be decoded (${defect instanceof Error ? defect.message : String(defect)})`,
          excerpt: excerpt(text)
        })
      )
    )
  )
}

/** Builds the runner every generated method calls. */
export const makeRunner = (client: HttpClient.HttpClient, config: TransportConfig): Runner => {
  const timeoutMillis = Duration.toMillis(config.timeout)
  const marginMillis = Duration.toMillis(config.longPollMargin)
  const schedule = RetryPolicy.honourRetryAfter(config.retrySchedule)
  // Built once: every request carries the same identity, key and accept headers. `authorization`
  // is among the header names the platform redacts in spans and logs.
  const baseHeaders = Headers.fromInput({
    ...config.headers,
    authorization: `Bearer ${Redacted.value(config.apiKey)}`,
    accept: "application/json"
  })

  return (endpoint, pathParams, params, body) =>
    Effect.gen(function*() {
      const { idempotencyKey: givenKey, ...queryInput } = (params ?? {}) as Record<string, unknown>
      const url = joinUrl(config.baseUrl, fillPath(endpoint, pathParams))
      if (endpoint.query) {
        const query = yield* normalize(endpoint.name, endpoint.query, queryInput)
        appendQuery(url, query as Record<string, unknown>)
      }
      const info = { method: endpoint.method, url: url.toString() }
      let request = HttpClientRequest.make(endpoint.method)(url, { headers: baseHeaders })
      if (endpoint.body && (body !== undefined || endpoint.bodyRequired)) {
        const encoded = yield* normalize(endpoint.name, endpoint.body, body)
        const json = JSON.stringify(encoded)
        const size = new TextEncoder().encode(json).byteLength
        if (size > config.maxBodyBytes) {
          return yield* Effect.fail(new HaiError.RequestTooLarge({ ...info, size, limit: config.maxBodyBytes }))
        }
        request = HttpClientRequest.bodyText(request, json, "application/json")
      }
      // One key per call, made before the first attempt, so every retry names the same create.
      const idempotencyKey = endpoint.idempotencyKey
        ? (typeof givenKey === "string" && givenKey.length > 0 ? givenKey : globalThis.crypto.randomUUID())
        : undefined
      if (idempotencyKey !== undefined) {
        request = HttpClientRequest.setHeader(request, "Idempotency-Key", idempotencyKey)
      }

      const waitSeconds = Number((queryInput as { wait_for_seconds?: unknown }).wait_for_seconds ?? 0)
      // A long-poll is expected to take its wait; past the wait plus a margin something is wrong.
      const budget = waitSeconds > 0 ? waitSeconds * 1000 + marginMillis : timeoutMillis
      const safeToRepeat = idempotencyKey !== undefined || RetryPolicy.idempotentMethods.has(endpoint.method)

      const lost = (reason: string): HaiError.HaiError =>
        safeToRepeat
          ? new HaiError.TransportError({ ...info, reason })
          : new HaiError.OutcomeUnknown({ ...info, reason })

      const attempt = client.execute(request).pipe(
        Effect.flatMap((response) => {
          const read: Effect.Effect<
            { response: HttpClientResponse.HttpClientResponse; text: string; bytes: Uint8Array | undefined },
            HttpClientError.ResponseError
          > = endpoint.decode === "bytes" && response.status >= 200 && response.status < 300
            ? Effect.map(response.arrayBuffer, (buffer) => ({ response, text: "", bytes: new Uint8Array(buffer) }))
            : Effect.map(response.text, (text) => ({ response, text, bytes: undefined }))
          return read
        }),
        Effect.timeoutFail({
          duration: Duration.millis(budget),
          onTimeout: () =>
            safeToRepeat
              ? new HaiError.TimeoutError({ ...info, timeoutMillis: budget })
              : new HaiError.OutcomeUnknown({ ...info, reason: `no answer within ${budget} ms` })
        }),
        Effect.catchTags({
          RequestError: (error) =>
            Effect.fail(
              error.reason !== "Transport"
                ? new HaiError.TransportError({ ...info, reason: `${error.reason}: ${error.description ?? ""}` })
                : lost(error.description ?? error.reason)
            ),
          ResponseError: (error) => Effect.fail(lost(error.description ?? error.reason))
        }),
        Effect.flatMap(({ bytes, response, text }) => {
          if (endpoint.successStatus.includes(response.status)) {
            return bytes !== undefined ? Effect.succeed(bytes) : decodeBody(endpoint, response, text, info)
          }
          return Effect.flatMap(
            Clock.currentTimeMillis,
            (now) => Effect.fail(errorFor(response.status, text, response.headers, info, now))
          )
        })
      )

      // The schedule's driver is built on the first failure only: the happy path pays nothing for retries.
      const retryable = (error: HaiError.HaiError) =>
        RetryPolicy.isRetryable(error, { method: endpoint.method, idempotencyKey: safeToRepeat })
      const retry = (first: HaiError.HaiError) =>
        retryable(first)
          ? Effect.flatMap(Schedule.driver(schedule), (driver) => {
            const loop = (error: HaiError.HaiError): Effect.Effect<unknown, HaiError.HaiError> =>
              retryable(error)
                ? Effect.matchEffect(driver.next(error), {
                  onFailure: () => Effect.fail(error),
                  onSuccess: () => Effect.catchAll(attempt, loop)
                })
                : Effect.fail(error)
            return loop(first)
          })
          : Effect.fail(first)
      return yield* Effect.catchAll(attempt, retry)
    }).pipe(
      Effect.tap(() =>
        pathParams.length > 0
          ? Effect.annotateCurrentSpan(
            Object.fromEntries(endpoint.pathParams.map((name, i) => [`hai.${name}`, String(pathParams[i])]))
          )
          : Effect.void
      )
    )
}

/**
 * Builds the lazy page walker of the `...All` methods: the next page is fetched only when the
 * stream is pulled past the current one, and the walk ends at an empty page or at `total`.
 */
export const makePaginator = (run: Runner): Paginator => (endpoint, pathParams, params, style, items) => {
  const input = (params ?? {}) as Record<string, unknown>
  const key = style === "page" ? "page" : "offset"
  const first = Number(input[key] ?? (style === "page" ? 1 : 0))
  // `position` counts the items before the current page, so that `total` tells when to stop.
  return Stream.paginateChunkEffect(
    { cursor: first, position: -1 },
    ({ cursor, position }) =>
      run(endpoint, pathParams, { ...input, [key]: cursor }, undefined).pipe(
        Effect.map((page: any) => {
          const batch: ReadonlyArray<unknown> = page[items] ?? []
          const total = Number(page.total ?? 0)
          const pageSize = Number(input.size ?? batch.length)
          const before = position >= 0 ? position : style === "page" ? (first - 1) * pageSize : first
          const after = before + batch.length
          const next = style === "page" ? { cursor: cursor + 1, position: after } : { cursor: after, position: after }
          return [
            Chunk.unsafeFromArray(batch as Array<unknown>),
            batch.length > 0 && after < total ? Option.some(next) : Option.none()
          ] as const
        })
      )
  )
}
