/**
 * Turns an endpoint descriptor and its arguments into one HTTP exchange with the service:
 * URL, headers, body, timeout, retries, and the mapping of every answer to a value or a
 * tagged error.
 *
 * @since 0.1.0
 * @internal
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpTraceContext from "@effect/platform/HttpTraceContext"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FiberRef from "effect/FiberRef"
import { constTrue } from "effect/Function"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as HaiError from "../HaiError.js"
import * as RetryPolicy from "../RetryPolicy.js"
import * as Wire from "../Wire.js"
import * as Bounded from "./bounded.js"
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
  readonly maxRetryAfter: Duration.Duration
  readonly retryBudget: Duration.Duration
  readonly maxBodyBytes: number
  readonly headers: Readonly<Record<string, string>>
  /** Also trace each HTTP attempt with the platform's own `http.client` span. */
  readonly httpSpans: boolean
}

const excerptLength = 300

/**
 * The issue to report: the one deepest in the value. Where a union's members all failed, that is
 * the member that matched furthest, the one the caller meant.
 */
const firstIssue = (error: ParseResult.ParseError): { readonly path: string; readonly issue: string } => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  let issue = issues[0]
  for (const other of issues) if (other.path.length > issue.path.length) issue = other
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
// What a caller sends is read exactly: a field the API does not know is an error, not dropped.
const requestDecoderOf = perSchema((schema) => {
  const fast = FastDecode.make(schema, { exact: true })
  const full = Schema.decodeUnknownEither(schema, { onExcessProperty: "error" })
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
  let encoded: Either.Either<unknown, ParseResult.ParseError>
  try {
    const decoded = requestDecoderOf(schema)(input)
    encoded = Either.isRight(decoded) ? encoderOf(schema)(decoded.right) : decoded
  } catch (defect) {
    // A value whose getters throw, or nested beyond what the decoder can walk.
    return Either.left(
      new HaiError.InvalidRequest({ operation, path: "", issue: `cannot be read (${describe(defect)})` })
    )
  }
  return Either.mapLeft(encoded, (error) => {
    const { issue, path } = firstIssue(error)
    return new HaiError.InvalidRequest({
      operation,
      path,
      issue: issue.startsWith("is unexpected") ? `is not a field the API knows (${issue})` : issue
    })
  })
}

const describe = (defect: unknown) => defect instanceof Error ? defect.message : String(defect)

/** Reads the delay the server asked for, in milliseconds from now. */
export const retryAfterMillis = (headers: Readonly<Record<string, string>>, now: number): number | undefined => {
  const ms = headers["retry-after-ms"]
  if (ms !== undefined && Number.isFinite(Number(ms))) return Math.max(0, Number(ms))
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
    // The reviver makes parsing several times slower: pay it only when the key could be there at
    // all (spelled out, or hidden behind \u escapes).
    const risky = text.includes("__proto__") || text.includes("\\u")
    return Option.some(risky ? JSON.parse(text, dropProto) : JSON.parse(text))
  } catch {
    return Option.none()
  }
}

/** A body that is markup rather than data: what a web server answers when the base URL is wrong. */
const looksLikeMarkup = (text: string, contentType: string | undefined) =>
  (contentType !== undefined && /html|xml/i.test(contentType)) || /^\s*</.test(text)

const decodeValidation = Schema.decodeUnknownOption(Schema.Array(Wire.ValidationError))

// -----------------------------------------------------------------------------------------------
// Failures of the platform
// -----------------------------------------------------------------------------------------------

const failureByCode: Record<string, HaiError.TransportFailure> = {
  ECONNREFUSED: "ConnectionRefused",
  ENOTFOUND: "DnsLookup",
  EAI_AGAIN: "DnsLookup",
  EAI_FAIL: "DnsLookup",
  EAI_NONAME: "DnsLookup",
  EAI_NODATA: "DnsLookup",
  ECONNRESET: "ConnectionReset",
  ECONNABORTED: "ConnectionReset",
  EPIPE: "ConnectionReset",
  UND_ERR_SOCKET: "ConnectionReset",
  UND_ERR_CLOSED: "ConnectionReset",
  ETIMEDOUT: "ConnectTimeout",
  UND_ERR_CONNECT_TIMEOUT: "ConnectTimeout",
  EHOSTUNREACH: "Unreachable",
  ENETUNREACH: "Unreachable",
  ENETDOWN: "Unreachable",
  EHOSTDOWN: "Unreachable",
  EPROTO: "Tls",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "Tls",
  UNABLE_TO_GET_ISSUER_CERT: "Tls",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "Tls",
  DEPTH_ZERO_SELF_SIGNED_CERT: "Tls",
  SELF_SIGNED_CERT_IN_CHAIN: "Tls",
  CERT_HAS_EXPIRED: "Tls",
  CERT_NOT_YET_VALID: "Tls",
  HOSTNAME_MISMATCH: "Tls"
}

const failureOfCode = (code: string): HaiError.TransportFailure | undefined =>
  failureByCode[code] ?? (/^(ERR_TLS_|ERR_SSL_|CERT_)/.test(code) ? "Tls" : undefined)

/** The errors under a platform error, outermost first (`cause` chains, and `AggregateError`s). */
const chainOf = (error: unknown): Array<Record<string, unknown>> => {
  const out: Array<Record<string, unknown>> = []
  const queue: Array<unknown> = [error]
  while (queue.length > 0 && out.length < 8) {
    const current = queue.shift()
    if (current === null || typeof current !== "object" || out.includes(current as any)) continue
    const record = current as Record<string, unknown>
    out.push(record)
    if (Array.isArray(record.errors)) queue.push(...record.errors.slice(0, 4))
    if ("cause" in record) queue.push(record.cause)
  }
  return out
}

/** What kept a request from an answer, named from the codes of the errors under it. */
const classify = (error: HttpClientError.HttpClientError): HaiError.TransportFailure => {
  if (error._tag === "RequestError" && error.reason === "InvalidUrl") return "InvalidUrl"
  for (const item of chainOf(error.cause)) {
    const failure = typeof item.code === "string" ? failureOfCode(item.code) : undefined
    if (failure !== undefined) return failure
  }
  return "Other"
}

/** The messages along the error chain, each once: what the platform said, then what Node said. */
const reasonOf = (error: HttpClientError.HttpClientError): string => {
  const parts: Array<string> = []
  const add = (text: unknown) => {
    if (typeof text === "string" && text.length > 0 && !parts.some((p) => p.includes(text))) parts.push(text)
  }
  add(error.description)
  for (const item of chainOf(error.cause)) {
    add(item.message)
    if (typeof item.code === "string" && !parts.some((p) => p.includes(item.code as string))) add(item.code)
  }
  if (parts.length === 0) parts.push(error.reason)
  return Bounded.cut(parts.join(": "), excerptLength)
}

// -----------------------------------------------------------------------------------------------
// Tracing
// -----------------------------------------------------------------------------------------------

/**
 * The client as the SDK's operations use it: the operation's own span is the one span of a call
 * (a platform `http.client` span per attempt would double what tracing costs a call), so the
 * platform's is switched off and the operation's span is what goes out in `traceparent` and `b3`,
 * under the same switches the platform honours (`currentTracerPropagation`, the tracer being on).
 */
const withOperationSpans = (client: HttpClient.HttpClient): HttpClient.HttpClient =>
  HttpClient.mapRequestEffect(client, (request) =>
    Effect.withFiberRuntime((fiber) => {
      if (
        !fiber.getFiberRef(HttpClient.currentTracerPropagation) || !fiber.getFiberRef(FiberRef.currentTracerEnabled)
      ) {
        return Effect.succeed(request)
      }
      const span = Context.getOption(fiber.currentContext, Tracer.ParentSpan)
      return Effect.succeed(
        Option.isSome(span) && span.value._tag === "Span"
          ? HttpClientRequest.setHeaders(request, HttpTraceContext.toHeaders(span.value))
          : request
      )
    })).pipe(HttpClient.withTracerDisabledWhen(constTrue))

/**
 * The client of the unspanned operations (see `HaiAgents.unspannedOf`): no request span either,
 * and nothing to switch when the fiber runs with the tracer off already (the session watcher).
 */
const withoutRequestSpans = (client: HttpClient.HttpClient): HttpClient.HttpClient =>
  HttpClient.transformResponse(
    client,
    (effect) =>
      Effect.withFiberRuntime<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((fiber) =>
        fiber.getFiberRef(FiberRef.currentTracerEnabled)
          ? Effect.locally(effect, HttpClient.currentTracerDisabledWhen, constTrue)
          : effect
      )
  )

// -----------------------------------------------------------------------------------------------
// The runner
// -----------------------------------------------------------------------------------------------

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
  httpClient: HttpClient.HttpClient,
  config: TransportConfig,
  // Off for the unspanned runner: it has no span of its own, it runs in its caller's.
  annotateSpans = true
): Runner => {
  const secret = Redacted.value(config.apiKey)
  const scrub = Bounded.scrubber(secret)
  const client = !annotateSpans
    ? withoutRequestSpans(httpClient)
    : config.httpSpans
    ? httpClient
    : withOperationSpans(httpClient)
  const timeoutMillis = Duration.toMillis(config.timeout)
  const marginMillis = Duration.toMillis(config.longPollMargin)
  const budgetMillis = Duration.toMillis(config.retryBudget)
  const schedule = RetryPolicy.honourRetryAfter(config.retrySchedule, {
    maxRetryAfter: config.maxRetryAfter,
    budget: config.retryBudget
  })
  const deadlined = Deadline.make(client, config.timeoutBy)
  // The base URL's path prefix, without its trailing slashes, to which the API paths are added.
  const prefix = `${config.baseUrl.origin}${config.baseUrl.pathname.replace(/\/+$/, "")}`
  // Built once: every request carries the same identity, key and accept headers. `authorization`
  // is among the header names the platform redacts in spans and logs.
  const baseHeaders = Headers.fromInput({
    ...config.headers,
    authorization: `Bearer ${secret}`,
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

  // Server text kept by an error: the key taken out, then cut (in that order, so that a cut
  // never leaves part of the key).
  const excerpt = (text: string) => Bounded.cut(scrub(text.slice(0, excerptLength + secret.length)), excerptLength)

  const detailOf = (text: string): unknown => {
    const json = parseJson(text)
    if (Option.isNone(json)) return text.length > 0 ? excerpt(text) : undefined
    const body = json.value
    return Bounded.copy(body !== null && typeof body === "object" && "detail" in body ? body.detail : body, scrub)
  }

  const errorFor = (status: number, text: string, headers: Headers.Headers, info: RequestInfo, now: number) => {
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

  const notJson = (info: RequestInfo, status: number, text: string, contentType: string | undefined) =>
    new HaiError.DecodeError({
      ...info,
      status,
      path: "",
      issue: "the body is not JSON",
      excerpt: excerpt(text),
      kind: "NotJson",
      ...(contentType !== undefined ? { contentType: Bounded.cut(contentType, 100) } : {})
    })

  const decodeBody = (
    endpoint: Endpoint,
    exchange: Exchange,
    info: () => RequestInfo
  ): Effect.Effect<unknown, HaiError.HaiError> => {
    const { response, text } = exchange
    const status = response.status
    if (endpoint.decode === "void") {
      // The body of an acknowledgement is not read, but a web page is not one.
      return text.length > 0 && looksLikeMarkup(text, response.headers["content-type"])
        ? Effect.fail(notJson(info(), status, text, response.headers["content-type"]))
        : Effect.void
    }
    if (endpoint.decode === "option" && (status === 204 || text.length === 0)) {
      return Effect.succeed(Option.none())
    }
    const json = parseJson(text)
    if (Option.isNone(json)) return Effect.fail(notJson(info(), status, text, response.headers["content-type"]))
    let decoded: Either.Either<unknown, ParseResult.ParseError>
    let issue: { readonly path: string; readonly issue: string }
    try {
      decoded = decoderOf(endpoint.response!)(json.value)
      if (Either.isRight(decoded)) {
        return Effect.succeed(endpoint.decode === "option" ? Option.some(decoded.right) : decoded.right)
      }
      issue = firstIssue(decoded.left)
    } catch (defect) {
      // Schema's formatter can throw on hostile values (e.g. `{"toString": null}` as a tag), and a
      // body nested deeper than the decoder can walk overflows the stack: still a bad body.
      issue = { path: "", issue: `the body could not be decoded (${describe(defect)})` }
    }
    return Effect.fail(
      new HaiError.DecodeError({
        ...info(),
        status,
        path: Bounded.cut(scrub(issue.path), excerptLength),
        issue: Bounded.cut(scrub(issue.issue), excerptLength * 2),
        excerpt: excerpt(text),
        kind: "Schema"
      })
    )
  }

  /** The platform's error as a cause an error may keep: without the request's key. */
  const keyless = (error: HttpClientError.HttpClientError): HttpClientError.HttpClientError => {
    // The same request without the headers that carry the key (and without its body).
    const original = error.request
    const keyFree = HttpClientRequest.make(original.method)(original.url, {
      urlParams: original.urlParams,
      headers: Headers.remove(
        original.headers,
        Object.keys(original.headers).filter((name) =>
          name === "authorization" || original.headers[name].includes(secret)
        )
      )
    })
    const fields = {
      cause: error.cause,
      ...(error.description !== undefined ? { description: scrub(error.description) } : {})
    }
    if (error._tag === "RequestError") {
      return new HttpClientError.RequestError({ request: keyFree, reason: error.reason, ...fields })
    }
    // Rebuilt, since the response refers to the request it answered, key included.
    const response = HttpClientResponse.fromWeb(
      keyFree,
      new Response(null, {
        status: Math.min(599, Math.max(200, error.response.status)),
        headers: Headers.remove(error.response.headers, "set-cookie")
      })
    )
    return new HttpClientError.ResponseError({ request: keyFree, response, reason: error.reason, ...fields })
  }

  return (endpoint, pathParams, params, body) =>
    Effect.withFiberRuntime((fiber) => {
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
        url: scrub(urlParams.length > 0 ? `${url}?${UrlParams.toString(urlParams)}` : url)
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

      // The operation's span (the caller's, for the unspanned runner, which leaves it alone).
      const parent = annotateSpans ? Context.getOption(fiber.currentContext, Tracer.ParentSpan) : Option.none()
      const span = Option.isSome(parent) && parent.value._tag === "Span" ? parent.value : undefined
      if (span !== undefined) {
        span.attribute("http.request.method", endpoint.method)
        span.attribute("url.path", url.slice(config.baseUrl.origin.length))
        span.attribute("server.address", config.baseUrl.host)
        for (let i = 0; i < pathParams.length; i++) {
          span.attribute(`hai.${endpoint.pathParams[i]}`, String(pathParams[i]))
        }
      }

      // A long-poll is expected to take its wait; past the wait plus a margin something is wrong.
      const holdSeconds = endpoint.longPoll === undefined ? 0 : Number(queryInput[endpoint.longPoll] ?? 0)
      const requestMillis = holdSeconds > 0 ? holdSeconds * 1000 + marginMillis : timeoutMillis
      const safeToRepeat = idempotencyKey !== undefined || RetryPolicy.idempotentMethods.has(endpoint.method)

      const lost = (error: HttpClientError.HttpClientError): HaiError.HaiError => {
        const fields = { ...info(), reason: scrub(reasonOf(error)), kind: classify(error), cause: keyless(error) }
        return safeToRepeat || (error._tag === "RequestError" && error.reason !== "Transport")
          ? new HaiError.TransportError(fields)
          : new HaiError.OutcomeUnknown(fields)
      }

      const exchange = (client: HttpClient.HttpClient.With<HttpClientError.HttpClientError, Scope.Scope>) =>
        Effect.flatMap(
          client.execute(request),
          (response): Effect.Effect<Exchange, HttpClientError.ResponseError, Scope.Scope> =>
            endpoint.decode === "bytes" && response.status >= 200 && response.status < 300
              ? Effect.map(response.arrayBuffer, (buffer) => ({ response, text: "", bytes: new Uint8Array(buffer) }))
              : Effect.map(response.text, (text) => ({ response, text, bytes: undefined }))
        )

      const attempt = (millis: number) =>
        Effect.matchEffect(
          deadlined(exchange, millis, () =>
            safeToRepeat
              ? new HaiError.TimeoutError({ ...info(), timeoutMillis: millis })
              : new HaiError.OutcomeUnknown({ ...info(), reason: `no answer within ${millis} ms` })),
          {
            onFailure: (error): Effect.Effect<never, HaiError.HaiError> =>
              Effect.fail(HttpClientError.isHttpClientError(error) ? lost(error) : error),
            onSuccess: (exchange) => {
              const status = exchange.response.status
              span?.attribute("http.response.status_code", status)
              const ok = status >= 200 && status < 300
              // An acknowledgement is any 2xx; an answer with a body, the statuses the API documents.
              if (ok && (endpoint.decode === "void" || endpoint.successStatus.includes(status))) {
                return exchange.bytes !== undefined
                  ? Effect.succeed(exchange.bytes)
                  : decodeBody(endpoint, exchange, info)
              }
              if (ok && exchange.text.length > 0 && Option.isNone(parseJson(exchange.text))) {
                return Effect.fail(notJson(info(), status, exchange.text, exchange.response.headers["content-type"]))
              }
              return Effect.flatMap(
                Clock.currentTimeMillis,
                (now) => Effect.fail(errorFor(status, exchange.text, exchange.response.headers, info(), now))
              )
            }
          }
        )

      return Retrying.retryWhen(
        attempt(requestMillis),
        schedule,
        (error) => RetryPolicy.isRetryable(error, { method: endpoint.method, idempotencyKey: safeToRepeat }),
        // A retry gets no more time than what is left of the budget, so that the last one too ends
        // within it.
        (firstFailedAt) =>
          Effect.flatMap(
            Clock.currentTimeMillis,
            (now) => attempt(Math.max(1, Math.min(requestMillis, firstFailedAt + budgetMillis - now)))
          )
      )
    })
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
