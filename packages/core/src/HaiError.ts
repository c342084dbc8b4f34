/**
 * Every way a call to the Computer-Use Agents API can fail, as tagged errors.
 *
 * Handle them by tag (`Effect.catchTag("RateLimited", ...)`) or all at once through the
 * {@link HaiError} union. Each error's `message` says what happened and what to do about it. None
 * of them ever carries the API key.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Predicate from "effect/Predicate"
import * as Schema from "effect/Schema"
import * as Bounded from "./internal/bounded.js"
import * as Wire from "./Wire.js"

/**
 * @since 0.1.0
 * @category Type Ids
 */
export const TypeId: unique symbol = Symbol.for("@hai-effect/core/HaiError")

/**
 * @since 0.1.0
 * @category Type Ids
 */
export type TypeId = typeof TypeId

/**
 * Where a failed request went: method and URL (never headers).
 *
 * @since 0.1.0
 * @category Schemas
 */
export const RequestInfo = {
  method: Schema.String,
  url: Schema.String
}

const where = (e: { readonly method: string; readonly url: string }) => `${e.method} ${e.url}`

// Details come from servers: rendered within bounds, whatever their depth or size.
const formatDetail = (detail: unknown): string =>
  detail === undefined || detail === null ? "" : `: ${Bounded.render(detail)}`

const formatDelay = (millis: number | undefined) =>
  millis === undefined ? "" : ` Retry after ${Duration.format(Duration.millis(Math.max(0, Math.ceil(millis))))}.`

/**
 * What kept a request from getting an answer, as far as the platform's error tells.
 *
 * @since 0.1.0
 * @category Models
 */
export const TransportFailure = Schema.Literal(
  "ConnectionRefused",
  "DnsLookup",
  "Tls",
  "ConnectTimeout",
  "ConnectionReset",
  "Unreachable",
  "InvalidUrl",
  "Other"
)

/**
 * @since 0.1.0
 * @category Models
 */
export type TransportFailure = typeof TransportFailure.Type

const transportFailures: Record<TransportFailure, readonly [what: string, advice: string]> = {
  ConnectionRefused: [
    "connection refused",
    "Nothing accepts connections at that address: check the base URL (HAI_API_BASE_URL or the baseUrl option) and that the server runs."
  ],
  DnsLookup: [
    "the host name could not be resolved",
    "Check the host name in the base URL and this machine's DNS."
  ],
  Tls: [
    "the TLS handshake failed",
    "Check the base URL's scheme (the service is https://, a local emulator http://) and any proxy or certificate in between."
  ],
  ConnectTimeout: [
    "no connection could be made in time",
    "Check the network, any firewall or proxy, and the base URL."
  ],
  ConnectionReset: [
    "the connection was closed before the answer",
    "Check the network or proxy; idempotent calls were already retried."
  ],
  Unreachable: [
    "the network or host is unreachable",
    "Check this machine's network and the base URL."
  ],
  InvalidUrl: [
    "the URL is not valid",
    "Check the base URL and the ids passed to the call."
  ],
  Other: ["", "Check the network and the base URL; idempotent calls were already retried."]
}

const describeFailure = (kind: TransportFailure | undefined, reason: string) => {
  const [what] = transportFailures[kind ?? "Other"]
  return what === "" ? reason : `${what} (${reason})`
}

/**
 * The request never got an HTTP answer: DNS, connection refused or reset, TLS, an aborted body.
 * `kind` names which, when the platform's error tells; `cause` is the platform's error itself
 * (without the request's authorization header).
 *
 * @since 0.1.0
 * @category Errors
 */
export class TransportError extends Schema.TaggedError<TransportError>("@hai-effect/core/TransportError")(
  "TransportError",
  {
    ...RequestInfo,
    reason: Schema.String,
    kind: Schema.optional(TransportFailure),
    cause: Schema.optional(Schema.Defect)
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get message() {
    return `${where(this)} failed before an answer arrived: ${describeFailure(this.kind, this.reason)}. ${
      transportFailures[this.kind ?? "Other"][1]
    }`
  }
}

/**
 * No answer in time: the client's per-request timeout elapsed, or the server answered 408.
 *
 * @since 0.1.0
 * @category Errors
 */
export class TimeoutError extends Schema.TaggedError<TimeoutError>("@hai-effect/core/TimeoutError")(
  "TimeoutError",
  { ...RequestInfo, timeoutMillis: Schema.optional(Schema.Number), status: Schema.optional(Schema.Number) }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get message() {
    return this.status === 408
      ? `${where(this)} timed out on the server (408). It was retried; try again later.`
      : `${where(this)} got no answer within ${
        Duration.format(Duration.millis(this.timeoutMillis ?? 0))
      }. Raise \`timeout\` in HaiAgents.layer options if the service is slow.`
  }
}

/**
 * 401 or 403: the API key is missing, wrong, revoked, or lacks access to this resource.
 *
 * @since 0.1.0
 * @category Errors
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>("@hai-effect/core/Unauthorized")(
  "Unauthorized",
  { ...RequestInfo, status: Schema.Literal(401, 403), detail: Schema.optional(Schema.Unknown) }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get message() {
    return `${where(this)} was refused with ${this.status}${
      formatDetail(this.detail)
    }. Check HAI_API_KEY (or the apiKey option) and that the key belongs to the organisation that owns the resource.`
  }
}

/**
 * 404: no such resource (or it belongs to another organisation).
 *
 * @since 0.1.0
 * @category Errors
 */
export class NotFound extends Schema.TaggedError<NotFound>("@hai-effect/core/NotFound")(
  "NotFound",
  { ...RequestInfo, detail: Schema.optional(Schema.Unknown) }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get message() {
    return `${where(this)} found nothing (404)${
      formatDetail(this.detail)
    }. Check the id, and the region: EU and US hold different resources.`
  }
}

/**
 * 409: the resource is in a state that forbids the call, e.g. tool results for a session that
 * already settled.
 *
 * @since 0.1.0
 * @category Errors
 */
export class Conflict extends Schema.TaggedError<Conflict>("@hai-effect/core/Conflict")(
  "Conflict",
  { ...RequestInfo, detail: Schema.optional(Schema.Unknown) }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get message() {
    return `${where(this)} conflicts with the resource's current state (409)${
      formatDetail(this.detail)
    }. Read its state again before retrying.`
  }
}

/**
 * 422: the server rejected the request's content; `detail` lists each problem with its location.
 *
 * @since 0.1.0
 * @category Errors
 */
export class Unprocessable extends Schema.TaggedError<Unprocessable>("@hai-effect/core/Unprocessable")(
  "Unprocessable",
  { ...RequestInfo, detail: Schema.Array(Wire.ValidationError), raw: Schema.optional(Schema.Unknown) }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get message() {
    const lines = this.detail.slice(0, 20).map((d) => `${Bounded.render(d.loc.join("."))}: ${Bounded.render(d.msg)}`)
    if (this.detail.length > 20) lines.push(`and ${this.detail.length - 20} more`)
    const body = lines.length > 0 ? lines.join("; ") : Bounded.render(this.raw ?? null)
    return `${where(this)} was rejected as invalid (422): ${body}. Fix the fields named above.`
  }
}

/**
 * 429: over the rate limit or the concurrent-session quota. Retried automatically; this error
 * means the retries ran out. `retryAfterMillis` is the server's requested wait, when it gave one.
 *
 * @since 0.1.0
 * @category Errors
 */
export class RateLimited extends Schema.TaggedError<RateLimited>("@hai-effect/core/RateLimited")(
  "RateLimited",
  { ...RequestInfo, retryAfterMillis: Schema.optional(Schema.Number), detail: Schema.optional(Schema.Unknown) }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get message() {
    return `${where(this)} was rate limited (429)${formatDetail(this.detail)}.${
      formatDelay(this.retryAfterMillis)
    } For sessions, create with \`queue: true\` to wait for a slot instead.`
  }
}

/**
 * 5xx: the service failed. Idempotent calls were retried; this error means the retries ran out.
 *
 * @since 0.1.0
 * @category Errors
 */
export class ServerError extends Schema.TaggedError<ServerError>("@hai-effect/core/ServerError")(
  "ServerError",
  {
    ...RequestInfo,
    status: Schema.Number,
    retryAfterMillis: Schema.optional(Schema.Number),
    detail: Schema.optional(Schema.Unknown)
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get message() {
    return `${where(this)} failed on the server (${this.status})${formatDetail(this.detail)}.${
      formatDelay(this.retryAfterMillis)
    } Try again later.`
  }
}

/**
 * A status the API does not document for this operation.
 *
 * @since 0.1.0
 * @category Errors
 */
export class UnexpectedStatus extends Schema.TaggedError<UnexpectedStatus>("@hai-effect/core/UnexpectedStatus")(
  "UnexpectedStatus",
  { ...RequestInfo, status: Schema.Number, excerpt: Schema.String }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get message() {
    return `${where(this)} answered with an unexpected status ${this.status}: ${
      Bounded.render(this.excerpt)
    }. Check the base URL points at the Agents API.`
  }
}

/**
 * The answer did not match the API's schema. `path` names the bad field, `excerpt` shows the
 * start of the body. `kind` is `"NotJson"` when the body was not JSON at all (an HTML page: the
 * base URL points at something other than the API), `"Schema"` when it was JSON of another shape.
 *
 * @since 0.1.0
 * @category Errors
 */
export class DecodeError extends Schema.TaggedError<DecodeError>("@hai-effect/core/DecodeError")(
  "DecodeError",
  {
    ...RequestInfo,
    status: Schema.Number,
    path: Schema.String,
    issue: Schema.String,
    excerpt: Schema.String,
    kind: Schema.optional(Schema.Literal("NotJson", "Schema")),
    contentType: Schema.optional(Schema.String)
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get message() {
    const excerpt = Bounded.render(this.excerpt)
    if (this.kind === "NotJson") {
      return `${where(this)} answered ${this.status} with a body that is not JSON${
        this.contentType ? ` (${Bounded.render(this.contentType)})` : ""
      }: ${excerpt}. The base URL seems to point at something other than the Agents API (a web page, a proxy): check HAI_API_BASE_URL or the baseUrl option.`
    }
    return `${where(this)} answered ${this.status} with a body that does not match the API schema at ${
      Bounded.render(this.path || "(root)")
    }: ${Bounded.render(this.issue)}. Body starts with: ${excerpt}. Upgrade @hai-effect/core if the API changed.`
  }
}

/**
 * The request body is over the gateway's 10 MB limit; nothing was sent.
 *
 * @since 0.1.0
 * @category Errors
 */
export class RequestTooLarge extends Schema.TaggedError<RequestTooLarge>("@hai-effect/core/RequestTooLarge")(
  "RequestTooLarge",
  { ...RequestInfo, size: Schema.Number, limit: Schema.Number }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get message() {
    return `${
      where(this)
    } was not sent: its body is ${this.size} bytes, over the ${this.limit}-byte limit. Send large files through session files or a browser profile upload.`
  }
}

/**
 * The arguments given to an SDK call do not match the API's schema; nothing was sent.
 *
 * @since 0.1.0
 * @category Errors
 */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>("@hai-effect/core/InvalidRequest")(
  "InvalidRequest",
  { operation: Schema.String, path: Schema.String, issue: Schema.String }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get message() {
    return `${this.operation} was not sent: ${Bounded.render(this.path || "(argument)")} ${Bounded.render(this.issue)}.`
  }
}

/**
 * A request that is not safe to repeat (a POST without an idempotency key) lost its connection
 * or timed out after it may have reached the server: whether it took effect is unknown. It was
 * not retried, so that nothing is done twice; read the resource's state before trying again.
 *
 * @since 0.1.0
 * @category Errors
 */
export class OutcomeUnknown extends Schema.TaggedError<OutcomeUnknown>("@hai-effect/core/OutcomeUnknown")(
  "OutcomeUnknown",
  {
    ...RequestInfo,
    reason: Schema.String,
    kind: Schema.optional(TransportFailure),
    cause: Schema.optional(Schema.Defect)
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get message() {
    return `${where(this)} may or may not have taken effect (${
      describeFailure(this.kind, this.reason)
    }); it was not retried because repeating it could act twice. Check the resource's state before trying again.`
  }
}

/**
 * Any error of a call to the API.
 *
 * @example
 * import { Effect } from "effect"
 * import { HaiAgents } from "@hai-effect/core"
 *
 * const program = Effect.gen(function*() {
 *   const hai = yield* HaiAgents.HaiAgents
 *   return yield* hai.sessions.get("6f1c...")
 * }).pipe(
 *   Effect.catchTags({
 *     NotFound: () => Effect.succeed(undefined),
 *     RateLimited: (e) => Effect.fail(e)
 *   })
 * )
 *
 * @since 0.1.0
 * @category Models
 */
export type HaiError =
  | TransportError
  | TimeoutError
  | Unauthorized
  | NotFound
  | Conflict
  | Unprocessable
  | RateLimited
  | ServerError
  | UnexpectedStatus
  | DecodeError
  | RequestTooLarge
  | InvalidRequest
  | OutcomeUnknown

/**
 * The schema of {@link HaiError}, to carry errors across RPC, MCP or a persisted log.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const HaiError: Schema.Union<[
  typeof TransportError,
  typeof TimeoutError,
  typeof Unauthorized,
  typeof NotFound,
  typeof Conflict,
  typeof Unprocessable,
  typeof RateLimited,
  typeof ServerError,
  typeof UnexpectedStatus,
  typeof DecodeError,
  typeof RequestTooLarge,
  typeof InvalidRequest,
  typeof OutcomeUnknown
]> = Schema.Union(
  TransportError,
  TimeoutError,
  Unauthorized,
  NotFound,
  Conflict,
  Unprocessable,
  RateLimited,
  ServerError,
  UnexpectedStatus,
  DecodeError,
  RequestTooLarge,
  InvalidRequest,
  OutcomeUnknown
)

// =============================================================================
// Session runtime
// =============================================================================

/**
 * The session settled with an answer that does not match the answer Schema. `raw` is the answer
 * exactly as the service sent it; `issues` is the Schema's report.
 *
 * @since 0.1.0
 * @category Errors
 */
export class AnswerValidationError extends Schema.TaggedError<AnswerValidationError>(
  "@hai-effect/core/AnswerValidationError"
)("AnswerValidationError", { sessionId: Schema.String, raw: Schema.Unknown, issues: Schema.String }) {
  constructor(
    props: { readonly sessionId: string; readonly raw: unknown; readonly issues: string },
    options?: Schema.MakeOptions
  ) {
    // The answer is kept whole, but not deeper than JSON can be printed: a hostile answer nested
    // 100,000 levels would make the error itself unprintable.
    super({ ...props, raw: Bounded.copy(props.raw, undefined, Bounded.answerLimits) }, options)
  }
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get message() {
    const raw = this.raw === undefined ? "(none)" : Bounded.cut(Bounded.render(this.raw), 300)
    return `Session ${this.sessionId} answered, but the answer does not match the answer Schema: ${
      Bounded.render(this.issues)
    }. Raw answer: ${raw}. Loosen the Schema or describe the expected shape in the task.`
  }
}

/**
 * The session ended without success: \`failed\`, \`timed_out\` or \`interrupted\`.
 *
 * @since 0.1.0
 * @category Errors
 */
export class SessionFailed extends Schema.TaggedError<SessionFailed>("@hai-effect/core/SessionFailed")(
  "SessionFailed",
  {
    sessionId: Schema.String,
    status: Schema.String,
    error: Schema.optional(Schema.NullOr(Schema.String)),
    errorCode: Schema.optional(Schema.NullOr(Schema.String)),
    reason: Schema.optional(Schema.String)
  }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get message() {
    const code = this.errorCode ? ` [${this.errorCode}]` : ""
    const why = this.reason ? ` (${this.reason})` : ""
    const error = this.error ? `: ${Bounded.render(this.error)}` : ""
    return `Session ${this.sessionId} ended ${Bounded.render(this.status)}${code}${why}${error}. ${
      this.status === "timed_out"
        ? "Raise max_time_s / max_steps or narrow the task."
        : this.status === "interrupted"
        ? "It was cancelled."
        : "See the session's events for the last steps."
    }`
  }
}

/**
 * Waiting for a session exceeded the caller's timeout. The session was cancelled if the wait
 * owned it (\`Session.run\`, \`Session.start\`).
 *
 * @since 0.1.0
 * @category Errors
 */
export class WaitTimeout extends Schema.TaggedError<WaitTimeout>("@hai-effect/core/WaitTimeout")(
  "WaitTimeout",
  { sessionId: Schema.String, lastStatus: Schema.String, waitedMillis: Schema.Number }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get message() {
    return `Session ${this.sessionId} did not settle within ${
      Duration.format(Duration.millis(this.waitedMillis))
    }; last status seen: ${this.lastStatus}. Raise the timeout, or set softDeadline to ask for an answer earlier.`
  }
}

/**
 * The session store (cursor and tool ledger) could not be read or written. The runtime stops
 * rather than risk running a tool call twice.
 *
 * @since 0.1.0
 * @category Errors
 */
export class PersistenceError extends Schema.TaggedError<PersistenceError>("@hai-effect/core/PersistenceError")(
  "PersistenceError",
  { operation: Schema.String, reason: Schema.String }
) {
  /** @since 0.1.0 */
  readonly [TypeId]: TypeId = TypeId
  /** @since 0.1.0 */
  get message() {
    return `The session store failed to ${this.operation}: ${this.reason}. Check the store (disk space, permissions) and resume the watcher.`
  }
}

/**
 * Any failure of the session runtime: a call's error, or how the session itself ended.
 *
 * @since 0.1.0
 * @category Models
 */
export type SessionError = HaiError | AnswerValidationError | SessionFailed | WaitTimeout | PersistenceError

/**
 * @since 0.1.0
 * @category Guards
 */
export const isHaiError = (u: unknown): u is HaiError => Predicate.hasProperty(u, TypeId)
