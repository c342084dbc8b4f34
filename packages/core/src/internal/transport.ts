/**
 * Turns an endpoint descriptor and its arguments into one HTTP exchange with the service:
 * URL, headers, body, timeout, retries, and the mapping of every answer to a value or a
 * tagged error (the answers in `response.ts`, the platform's failures in `platformFailure.ts`).
 *
 * @since 0.1.0
 * @internal
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpTraceContext from "@effect/platform/HttpTraceContext"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Chunk from "effect/Chunk"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import type * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import { constTrue } from "effect/Function"
import * as Option from "effect/Option"
import type * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import type * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Tracer from "effect/Tracer"
import * as HaiError from "../HaiError.js"
import * as RetryPolicy from "../RetryPolicy.js"
import * as Bounded from "./bounded.js"
import * as Deadline from "./deadline.js"
import type { Endpoint, Paginator, Runner } from "./endpoints.js"
import * as FastDecode from "./fastDecode.js"
import * as PlatformFailure from "./platformFailure.js"
import * as Response from "./response.js"
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

const fillPath = (endpoint: Endpoint, values: ReadonlyArray<string | number>): string => {
  let i = 0
  return endpoint.path.replace(/\{[^}]+\}/g, () => encodeURIComponent(String(values[i++])))
}

// What a caller sends is read exactly: a field the API does not know is an error, not dropped.
const requestDecoderOf = Response.perSchema((schema) => {
  const fast = FastDecode.make(schema, { exact: true })
  const full = Schema.decodeUnknownEither(schema, { onExcessProperty: "error" })
  return (u) => {
    const value = fast(u)
    return value !== undefined ? Either.right(value) : full(u)
  }
})
// A schema that only checks (every query schema) encodes what it decoded unchanged: no encode.
const encoderOf = Response.perSchema((schema) =>
  FastDecode.checksOnly(schema.ast) ? Either.right : Schema.encodeEither(schema)
)

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
      new HaiError.InvalidRequest({ operation, path: "", issue: `cannot be read (${Response.describe(defect)})` })
    )
  }
  return Either.mapLeft(encoded, (error) => {
    const { issue, path } = Response.firstIssue(error)
    return new HaiError.InvalidRequest({
      operation,
      path,
      issue: issue.startsWith("is unexpected") ? `is not a field the API knows (${issue})` : issue
    })
  })
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

/** What a runner resolves once, when the client is built, for all its calls. */
interface RunnerContext {
  readonly config: TransportConfig
  readonly redaction: Response.Redaction
  // Off for the unspanned runner: it has no span of its own, it runs in its caller's.
  readonly annotateSpans: boolean
  // The base URL's path prefix, without its trailing slashes, to which the API paths are added.
  readonly prefix: string
  readonly templateOf: (endpoint: Endpoint) => HttpClientRequest.HttpClientRequest
  readonly deadlined: Deadline.Deadlined
  readonly schedule: Schedule.Schedule<unknown, HaiError.HaiError>
  readonly timeoutMillis: number
  readonly marginMillis: number
  readonly budgetMillis: number
}

/** One call, checked and ready to send. */
interface Call {
  readonly endpoint: Endpoint
  readonly url: string
  readonly request: HttpClientRequest.HttpClientRequest
  // Only errors need the full URL: built then.
  readonly info: () => Response.RequestInfo
  readonly requestMillis: number
  readonly safeToRepeat: boolean
}

/** The clients a runner sends through: as they are, and with each request tied to a scope. */
const clientsOf = (
  httpClient: HttpClient.HttpClient,
  config: TransportConfig,
  annotateSpans: boolean,
  transformClient: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
) => {
  const wrap = (base: HttpClient.HttpClient) => {
    const transformed = transformClient ? transformClient(base) : base
    return !annotateSpans
      ? withoutRequestSpans(transformed)
      : config.httpSpans
      ? transformed
      : withOperationSpans(transformed)
  }
  // The request is tied to its scope beneath the caller's `transformClient`: `withScope` runs the
  // request's preprocessing outside the wrappers above it, so over it a switch the caller's client
  // sets for its requests (`withTracerPropagation(false)`) would not be seen when the trace headers
  // are decided. The casts only move `Scope` between the type and the deadline that provides it.
  const scoped = wrap(
    HttpClient.withScope(httpClient) as unknown as HttpClient.HttpClient
  ) as unknown as HttpClient.HttpClient.With<HttpClientError.HttpClientError, Scope.Scope>
  return { client: wrap(httpClient), scoped }
}

/** One request value per endpoint (method and headers); a call only sets its URL and query. */
const templatesOf = (config: TransportConfig, secret: string) => {
  // Built once: every request carries the same identity, key and accept headers. `authorization`
  // is among the header names the platform redacts in spans and logs.
  const baseHeaders = Headers.fromInput({
    ...config.headers,
    authorization: `Bearer ${secret}`,
    accept: "application/json"
  })
  const templates = new Map<Endpoint, HttpClientRequest.HttpClientRequest>()
  return (endpoint: Endpoint) => {
    let template = templates.get(endpoint)
    if (template === undefined) {
      template = HttpClientRequest.make(endpoint.method)("", { headers: baseHeaders })
      templates.set(endpoint, template)
    }
    return template
  }
}

/** Builds the runner every generated method calls. */
export const makeRunner = (
  httpClient: HttpClient.HttpClient,
  config: TransportConfig,
  annotateSpans = true,
  transformClient?: (client: HttpClient.HttpClient) => HttpClient.HttpClient
): Runner => {
  const secret = Redacted.value(config.apiKey)
  const { client, scoped } = clientsOf(httpClient, config, annotateSpans, transformClient)
  const context: RunnerContext = {
    config,
    redaction: { secret, scrub: Bounded.scrubber(secret) },
    annotateSpans,
    prefix: `${config.baseUrl.origin}${config.baseUrl.pathname.replace(/\/+$/, "")}`,
    templateOf: templatesOf(config, secret),
    deadlined: Deadline.make(client, config.timeoutBy, scoped),
    schedule: RetryPolicy.honourRetryAfter(config.retrySchedule, {
      maxRetryAfter: config.maxRetryAfter,
      budget: config.retryBudget
    }),
    timeoutMillis: Duration.toMillis(config.timeout),
    marginMillis: Duration.toMillis(config.longPollMargin),
    budgetMillis: Duration.toMillis(config.retryBudget)
  }
  return (endpoint, pathParams, params, body) =>
    Effect.withFiberRuntime((fiber) => {
      const call = prepare(context, endpoint, pathParams, params, body)
      if (Either.isLeft(call)) return Effect.fail(call.left)
      return send(context, call.right, annotate(context, fiber, call.right, pathParams))
    })
}

/** The request of one call: URL, query, body and idempotency key, each checked. */
const prepare = (
  context: RunnerContext,
  endpoint: Endpoint,
  pathParams: ReadonlyArray<string | number>,
  params: unknown,
  body: unknown
): Either.Either<Call, HaiError.HaiError> => {
  const { idempotencyKey: givenKey, ...queryInput } = (params ?? {}) as Record<string, unknown>
  const url = context.prefix + fillPath(endpoint, pathParams)
  let urlParams = UrlParams.empty
  if (endpoint.query) {
    const query = normalize(endpoint.name, endpoint.query, queryInput)
    if (Either.isLeft(query)) return Either.left(query.left)
    urlParams = queryParams(query.right as Record<string, unknown>)
  }
  const info = (): Response.RequestInfo => ({
    method: endpoint.method,
    url: context.redaction.scrub(urlParams.length > 0 ? `${url}?${UrlParams.toString(urlParams)}` : url)
  })
  let request = HttpClientRequest.setUrlParams(HttpClientRequest.setUrl(context.templateOf(endpoint), url), urlParams)
  if (endpoint.body && (body !== undefined || endpoint.bodyRequired)) {
    const withBody = bodyOf(context, endpoint, request, body, info)
    if (Either.isLeft(withBody)) return Either.left(withBody.left)
    request = withBody.right
  }
  // One key per call, made before the first attempt, so every retry names the same create.
  const idempotencyKey = endpoint.idempotencyKey
    ? (typeof givenKey === "string" && givenKey.length > 0 ? givenKey : globalThis.crypto.randomUUID())
    : undefined
  if (idempotencyKey !== undefined) {
    request = HttpClientRequest.setHeader(request, "Idempotency-Key", idempotencyKey)
  }
  // A long-poll is expected to take its wait; past the wait plus a margin something is wrong.
  const holdSeconds = endpoint.longPoll === undefined ? 0 : Number(queryInput[endpoint.longPoll] ?? 0)
  return Either.right({
    endpoint,
    url,
    request,
    info,
    requestMillis: holdSeconds > 0 ? holdSeconds * 1000 + context.marginMillis : context.timeoutMillis,
    safeToRepeat: idempotencyKey !== undefined || RetryPolicy.idempotentMethods.has(endpoint.method)
  })
}

/** The request with its JSON body, refused before sending when over the size limit. */
const bodyOf = (
  context: RunnerContext,
  endpoint: Endpoint,
  request: HttpClientRequest.HttpClientRequest,
  body: unknown,
  info: () => Response.RequestInfo
): Either.Either<HttpClientRequest.HttpClientRequest, HaiError.HaiError> => {
  const encoded = normalize(endpoint.name, endpoint.body!, body)
  if (Either.isLeft(encoded)) return Either.left(encoded.left)
  const json = JSON.stringify(encoded.right)
  const limit = context.config.maxBodyBytes
  // A UTF-16 unit is at most 3 bytes of UTF-8: encode only when the limit could be near.
  if (json.length * 3 > limit) {
    const size = new TextEncoder().encode(json).byteLength
    if (size > limit) return Either.left(new HaiError.RequestTooLarge({ ...info(), size, limit }))
  }
  return Either.right(HttpClientRequest.bodyText(request, json, "application/json"))
}

/** Names the call on the operation's span (the caller's, for the unspanned runner, which leaves it alone). */
const annotate = (
  context: RunnerContext,
  fiber: Fiber.RuntimeFiber<unknown, unknown>,
  call: Call,
  pathParams: ReadonlyArray<string | number>
): Tracer.Span | undefined => {
  if (!context.annotateSpans) return undefined
  const parent = Context.getOption(fiber.currentContext, Tracer.ParentSpan)
  if (Option.isNone(parent) || parent.value._tag !== "Span") return undefined
  const span = parent.value
  const { baseUrl } = context.config
  span.attribute("http.request.method", call.endpoint.method)
  span.attribute("url.path", call.url.slice(baseUrl.origin.length))
  span.attribute("server.address", baseUrl.host)
  for (let i = 0; i < pathParams.length; i++) {
    span.attribute(`hai.${call.endpoint.pathParams[i]}`, String(pathParams[i]))
  }
  return span
}

/** A failure of the platform: a transport error, or an unknown outcome when a repeat is not safe. */
const lost = (context: RunnerContext, call: Call, error: HttpClientError.HttpClientError): HaiError.HaiError => {
  const { redaction } = context
  const fields = {
    ...call.info(),
    reason: redaction.scrub(PlatformFailure.reasonOf(error)),
    kind: PlatformFailure.classify(error),
    cause: PlatformFailure.keyless(redaction, error)
  }
  return call.safeToRepeat || (error._tag === "RequestError" && error.reason !== "Transport")
    ? new HaiError.TransportError(fields)
    : new HaiError.OutcomeUnknown(fields)
}

/** Sends the request and reads the body: as bytes for a successful download, else as text. */
const exchangeOf = (call: Call) =>
(
  client: HttpClient.HttpClient.With<HttpClientError.HttpClientError, Scope.Scope>
): Effect.Effect<Response.Exchange, HttpClientError.HttpClientError, Scope.Scope> =>
  Effect.flatMap(
    client.execute(call.request),
    (response): Effect.Effect<Response.Exchange, HttpClientError.ResponseError, Scope.Scope> =>
      call.endpoint.decode === "bytes" && response.status >= 200 && response.status < 300
        ? Effect.map(response.arrayBuffer, (buffer) => ({ response, text: "", bytes: new Uint8Array(buffer) }))
        : Effect.map(response.text, (text) => ({ response, text, bytes: undefined }))
  )

/** One attempt, given `millis` to answer. */
const attempt = (
  context: RunnerContext,
  call: Call,
  span: Tracer.Span | undefined,
  millis: number
): Effect.Effect<unknown, HaiError.HaiError> =>
  Effect.matchEffect(
    context.deadlined(exchangeOf(call), millis, () =>
      call.safeToRepeat
        ? new HaiError.TimeoutError({ ...call.info(), timeoutMillis: millis })
        : new HaiError.OutcomeUnknown({ ...call.info(), reason: `no answer within ${millis} ms` })),
    {
      onFailure: (error): Effect.Effect<never, HaiError.HaiError> =>
        Effect.fail(HttpClientError.isHttpClientError(error) ? lost(context, call, error) : error),
      onSuccess: (exchange) => {
        span?.attribute("http.response.status_code", exchange.response.status)
        return Response.settle(context.redaction, call.endpoint, exchange, call.info)
      }
    }
  )

/** The call's attempts, retried as the schedule and the retry rules allow. */
const send = (context: RunnerContext, call: Call, span: Tracer.Span | undefined) =>
  Retrying.retryWhen(
    attempt(context, call, span, call.requestMillis),
    context.schedule,
    (error) => RetryPolicy.isRetryable(error, { method: call.endpoint.method, idempotencyKey: call.safeToRepeat }),
    // A retry gets no more time than what is left of the budget, so that the last one too ends
    // within it.
    (firstFailedAt) =>
      Effect.flatMap(
        Clock.currentTimeMillis,
        (now) =>
          attempt(
            context,
            call,
            span,
            Math.max(1, Math.min(call.requestMillis, firstFailedAt + context.budgetMillis - now))
          )
      )
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
