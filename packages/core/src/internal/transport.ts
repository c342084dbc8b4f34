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
import * as UrlParams from "@effect/platform/UrlParams"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as HaiError from "../HaiError.js"
import * as RetryPolicy from "../RetryPolicy.js"
import * as Wire from "../Wire.js"
import * as Deadline from "./deadline.js"
import type { Endpoint, Paginator, Runner } from "./endpoints.js"
import * as FastDecode from "./fastDecode.js"
import * as Retrying from "./retrying.js"

/** What the transport needs to know; resolved once when the client is built. */
export interface TransportConfig {
  readonly baseUrl: URL
  readonly apiKey: Redacted.Redacted<string>
  readonly timeout: Duration.Duration
  readonly longPollMargin: Duration.Duration
  readonly timeoutBy: "abort" | "interrupt"
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

const fillPath = (endpoint: Endpoint, values: ReadonlyArray<string | number>): string => {
  let i = 0
  return endpoint.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(String(values[i++])))
}

type Parse = (u: unknown) => Either.Either<unknown, ParseResult.ParseError>

// One decoder and one encoder per schema, made on first use.
const perSchema = (make: (schema: Schema.Schema<any, any>) => Parse) => {
  const cache = new WeakMap<Schema.Schema<any, any>, Parse>()
  return (schema: Schema.Schema<any, any>): Parse => {
    let parse = cache.get(schema)
    if (parse === undefined) cache.set(schema, parse = make(schema))
    return parse
  }
}
// The compiled decoder answers valid bodies; Schema runs only for what it does not accept, and
// gives the error.
const decoderOf = perSchema((schema) => {
  const fast = FastDecode.make(schema)
  const full = Schema.decodeUnknownEither(schema)
  return (u) => {
    const value = fast(u)
    return value !== undefined ? Either.right(value) : full(u)
  }
})
// A schema that only checks (every query schema) encodes what it decoded unchanged: no encode.
const encoderOf = perSchema((schema) => FastDecode.checksOnly(schema.ast) ? Either.right : Schema.encodeEither(schema))

/** Query values as the service reads them: arrays as repeated keys, absent and null left out. */
const queryParams = (query: Readonly<Record<string, unknown>>): UrlParams.UrlParams => {
  const params: Array<[string, string]> = []
  for (const key in query) {
    const value = query[key]
    if (value === undefined || value === null) continue
    if (Array.isArray(value)) { for (const item of value) params.push([key, String(item)]) }
    else params.push([key, String(value)])
  }
  return params
}

/**
 * Checks the caller's input against the schema, fills discriminators and defaults, and encodes.
 * Synchronous: the wire schemas have no asynchronous parts, and this runs on every request.
 */
const normalize = (
  operation: string,
  schema: Schema.Schema<any, any>,
  input: unknown
): Either.Either<unknown, HaiError.InvalidRequest> => {
  const decoded = decoderOf(schema)(input)
  const encoded = Either.isRight(decoded) ? encoderOf(schema)(decoded.right) : decoded
  return Either.mapLeft(encoded, (error) => new HaiError.InvalidRequest({ operation, ...firstIssue(error) }))
}

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
  status: number,
  text: string,
  info: () => RequestInfo
): Effect.Effect<unknown, HaiError.HaiError> => {
  if (endpoint.decode === "void") return Effect.void
  if (endpoint.decode === "option" && (status === 204 || text.length === 0)) {
    return Effect.succeed(Option.none())
  }
  const json = parseJson(text)
  if (Option.isNone(json)) {
    return Effect.fail(
      new HaiError.DecodeError({ ...info(), status, path: "", issue: "the body is not JSON", excerpt: excerpt(text) })
    )
  }
  let decoded: Either.Either<unknown, ParseResult.ParseError>
  try {
    decoded = decoderOf(endpoint.response!)(json.value)
  } catch (defect) {
    // Schema's formatter can throw on hostile values (e.g. `{"toString": null}` as a tag): still a bad body.
    return Effect.fail(
      new HaiError.DecodeError({
        ...info(),
        status,
        path: "",
        issue: `the body could not be decoded (${defect instanceof Error ? defect.message : String(defect)})`,
        excerpt: excerpt(text)
      })
    )
  }
  if (Either.isRight(decoded)) {
    return Effect.succeed(endpoint.decode === "option" ? Option.some(decoded.right) : decoded.right)
  }
  let issue: { readonly path: string; readonly issue: string }
  try {
    issue = firstIssue(decoded.left)
  } catch (defect) {
    issue = {
      path: "",
      issue: `the body could not be decoded (${defect instanceof Error ? defect.message : String(defect)})`
    }
  }
  return Effect.fail(new HaiError.DecodeError({ ...info(), status, ...issue, excerpt: excerpt(text) }))
}

interface Exchange {
  readonly response: HttpClientResponse.HttpClientResponse
  readonly text: string
  readonly bytes: Uint8Array | undefined
}

interface RequestInfo {
  readonly method: string
  readonly url: string
}

/** Builds the runner every generated method calls. */
export const makeRunner = (
  client: HttpClient.HttpClient,
  config: TransportConfig,
  // Off for the unspanned runner: there is no span of its own to carry the ids.
  annotateSpans = true
): Runner => {
  const timeoutMillis = Duration.toMillis(config.timeout)
  const marginMillis = Duration.toMillis(config.longPollMargin)
  const schedule = RetryPolicy.honourRetryAfter(config.retrySchedule)
  const deadlined = Deadline.make(client, config.timeoutBy)
  // The base URL's path prefix, without its trailing slashes, to which the API paths are added.
  const prefix = `${config.baseUrl.origin}${config.baseUrl.pathname.replace(/\/+$/, "")}`
  // Built once: every request carries the same identity, key and accept headers. `authorization`
  // is among the header names the platform redacts in spans and logs.
  const baseHeaders = Headers.fromInput({
    ...config.headers,
    authorization: `Bearer ${Redacted.value(config.apiKey)}`,
    accept: "application/json"
  })
  // One request value per endpoint (method and headers); a call only sets its URL and query.
  const templates = new Map<Endpoint, HttpClientRequest.HttpClientRequest>()
  const templateOf = (endpoint: Endpoint) => {
    let template = templates.get(endpoint)
    if (template === undefined) {
      template = HttpClientRequest.make(endpoint.method)("", { headers: baseHeaders })
      templates.set(endpoint, template)
    }
    return template
  }

  return (endpoint, pathParams, params, body) =>
    Effect.suspend(() => {
      const { idempotencyKey: givenKey, ...queryInput } = (params ?? {}) as Record<string, unknown>
      const url = prefix + fillPath(endpoint, pathParams)
      let urlParams = UrlParams.empty
      if (endpoint.query) {
        const query = normalize(endpoint.name, endpoint.query, queryInput)
        if (Either.isLeft(query)) return Effect.fail(query.left)
        urlParams = queryParams(query.right as Record<string, unknown>)
      }
      // Only errors need the full URL: build it then.
      const info = (): RequestInfo => ({
        method: endpoint.method,
        url: urlParams.length > 0 ? `${url}?${UrlParams.toString(urlParams)}` : url
      })
      let request = HttpClientRequest.setUrlParams(HttpClientRequest.setUrl(templateOf(endpoint), url), urlParams)
      if (endpoint.body && (body !== undefined || endpoint.bodyRequired)) {
        const encoded = normalize(endpoint.name, endpoint.body, body)
        if (Either.isLeft(encoded)) return Effect.fail(encoded.left)
        const json = JSON.stringify(encoded.right)
        // A UTF-16 unit is at most 3 bytes of UTF-8: encode only when the limit could be near.
        if (json.length * 3 > config.maxBodyBytes) {
          const size = new TextEncoder().encode(json).byteLength
          if (size > config.maxBodyBytes) {
            return Effect.fail(new HaiError.RequestTooLarge({ ...info(), size, limit: config.maxBodyBytes }))
          }
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
          ? new HaiError.TransportError({ ...info(), reason })
          : new HaiError.OutcomeUnknown({ ...info(), reason })

      const exchange = (client: HttpClient.HttpClient.With<HttpClientError.HttpClientError, Scope.Scope>) =>
        Effect.flatMap(
          client.execute(request),
          (response): Effect.Effect<Exchange, HttpClientError.ResponseError, Scope.Scope> =>
            endpoint.decode === "bytes" && response.status >= 200 && response.status < 300
              ? Effect.map(response.arrayBuffer, (buffer) => ({ response, text: "", bytes: new Uint8Array(buffer) }))
              : Effect.map(response.text, (text) => ({ response, text, bytes: undefined }))
        )

      const attempt = Effect.matchEffect(
        deadlined(exchange, budget, () =>
          safeToRepeat
            ? new HaiError.TimeoutError({ ...info(), timeoutMillis: budget })
            : new HaiError.OutcomeUnknown({ ...info(), reason: `no answer within ${budget} ms` })),
        {
          onFailure: (error): Effect.Effect<never, HaiError.HaiError> => {
            switch (error._tag) {
              case "RequestError":
                return Effect.fail(
                  error.reason !== "Transport"
                    ? new HaiError.TransportError({ ...info(), reason: `${error.reason}: ${error.description ?? ""}` })
                    : lost(error.description ?? error.reason)
                )
              case "ResponseError":
                return Effect.fail(lost(error.description ?? error.reason))
              default:
                return Effect.fail(error)
            }
          },
          onSuccess: ({ bytes, response, text }) => {
            if (endpoint.successStatus.includes(response.status)) {
              return bytes !== undefined ? Effect.succeed(bytes) : decodeBody(endpoint, response.status, text, info)
            }
            return Effect.flatMap(
              Clock.currentTimeMillis,
              (now) => Effect.fail(errorFor(response.status, text, response.headers, info(), now))
            )
          }
        }
      )

      const retried = Retrying.retryWhen(
        attempt,
        schedule,
        (error) => RetryPolicy.isRetryable(error, { method: endpoint.method, idempotencyKey: safeToRepeat })
      )
      return pathParams.length === 0 || !annotateSpans
        ? retried
        : Effect.tap(retried, () => annotate(endpoint, pathParams))
    })
}

// `hai.<param>` span attributes, e.g. `hai.id` for the session of a session operation.
const annotate = (endpoint: Endpoint, values: ReadonlyArray<string | number>) =>
  values.length === 1
    ? Effect.annotateCurrentSpan(`hai.${endpoint.pathParams[0]}`, String(values[0]))
    : Effect.annotateCurrentSpan(
      Object.fromEntries(endpoint.pathParams.map((name, i) => [`hai.${name}`, String(values[i])]))
    )

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
