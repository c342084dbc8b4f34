/**
 * Typed webhook events: the envelope `{ type, id, created_at, data }` as a Schema union discriminated by `type`,
 * with an explicit fallback for event types this version does not know. `created_at` may be absent.
 *
 * @since 0.1.0
 */
import type * as Effect from "effect/Effect"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"

// =============================================================================
// Status
// =============================================================================

/**
 * The `TrajectoryStatus` enum of the API.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * Schema.decodeUnknownSync(WebhookEvent.TrajectoryStatus)("completed")
 * ```
 *
 * @since 0.1.0
 * @category Schemas
 */
// The statuses are listed here rather than taken from core's `Wire`: importing `Wire` would bring all of
// its 106 schema classes into the edge bundle of `Webhook.verify` (82 KB gzip today).
export const TrajectoryStatus = Schema.Literal(
  "queued",
  "pending",
  "running",
  "paused",
  "idle",
  "awaiting_tool_results",
  "completed",
  "failed",
  "timed_out",
  "interrupted"
)

/**
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const s: WebhookEvent.TrajectoryStatus = "idle"
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export type TrajectoryStatus = typeof TrajectoryStatus.Type

/**
 * A status value this version does not know, kept as a branded string.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * Schema.decodeUnknownSync(WebhookEvent.UnknownStatus)("hibernating")
 * ```
 *
 * @since 0.1.0
 * @category Schemas
 */
export const UnknownStatus = Schema.String.pipe(Schema.brand("@hai-effect/webhooks/UnknownStatus"))

/**
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const unknown: WebhookEvent.UnknownStatus = WebhookEvent.UnknownStatus.make("hibernating")
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export type UnknownStatus = typeof UnknownStatus.Type

/**
 * A session status: one of `TrajectoryStatus`, or any other string (branded `UnknownStatus`) so a new status on the
 * server never breaks decoding. Comparing with known literals still narrows.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const status = Schema.decodeUnknownSync(WebhookEvent.Status)("completed")
 * if (status === "completed") console.log("done")
 * ```
 *
 * @since 0.1.0
 * @category Schemas
 */
export const Status = Schema.Union(TrajectoryStatus, UnknownStatus)

/**
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const s: WebhookEvent.Status = "running"
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export type Status = typeof Status.Type

const knownStatuses: ReadonlySet<string> = new Set(TrajectoryStatus.literals)

/**
 * Whether a status is one of the known `TrajectoryStatus` values.
 *
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * WebhookEvent.isTrajectoryStatus("completed") // true
 * ```
 *
 * @since 0.1.0
 * @category Guards
 */
export const isTrajectoryStatus = (status: string): status is TrajectoryStatus => knownStatuses.has(status)

/**
 * Statuses after which a session never runs again.
 *
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * WebhookEvent.isTerminalStatus("timed_out") // true
 * ```
 *
 * @since 0.1.0
 * @category Guards
 */
export const isTerminalStatus = (status: string): boolean =>
  status === "completed" || status === "failed" || status === "timed_out" || status === "interrupted"

// =============================================================================
// Events
// =============================================================================

/**
 * The `data` of a session event.
 *
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const data = new WebhookEvent.SessionStatusData({ session_id: "s1", status: "running", previous_status: "pending" })
 * ```
 *
 * @since 0.1.0
 * @category Schemas
 */
export class SessionStatusData extends Schema.Class<SessionStatusData>("@hai-effect/webhooks/SessionStatusData")({
  session_id: Schema.String,
  status: Status,
  previous_status: Schema.optionalWith(Schema.NullOr(Status), { default: () => null })
}) {}

const envelope = {
  id: Schema.String,
  // Optional because the official TypeScript SDK's own signed vectors omit it; the server's deliveries carry it.
  created_at: Schema.optionalWith(Schema.String, { exact: true }),
  data: SessionStatusData
}

/**
 * `session.status_updated`: the session changed status.
 *
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const e = new WebhookEvent.SessionStatusUpdated({
 *   id: "evt_1",
 *   created_at: "2026-11-30T12:00:00Z",
 *   data: new WebhookEvent.SessionStatusData({ session_id: "s1", status: "running", previous_status: "pending" })
 * })
 * ```
 *
 * @since 0.1.0
 * @category Schemas
 */
export class SessionStatusUpdated
  extends Schema.Class<SessionStatusUpdated>("@hai-effect/webhooks/SessionStatusUpdated")({
    type: Schema.tag("session.status_updated"),
    ...envelope
  })
{}

/**
 * `session.completed`: the session finished with an answer.
 *
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const e = new WebhookEvent.SessionCompleted({
 *   id: "evt_2",
 *   created_at: "2026-11-30T12:00:00Z",
 *   data: new WebhookEvent.SessionStatusData({ session_id: "s1", status: "completed", previous_status: "running" })
 * })
 * ```
 *
 * @since 0.1.0
 * @category Schemas
 */
export class SessionCompleted extends Schema.Class<SessionCompleted>("@hai-effect/webhooks/SessionCompleted")({
  type: Schema.tag("session.completed"),
  ...envelope
}) {}

/**
 * `session.failed`: the session failed.
 *
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const e = new WebhookEvent.SessionFailed({
 *   id: "evt_3",
 *   created_at: "2026-11-30T12:00:00Z",
 *   data: new WebhookEvent.SessionStatusData({ session_id: "s1", status: "failed", previous_status: "running" })
 * })
 * ```
 *
 * @since 0.1.0
 * @category Schemas
 */
export class SessionFailed extends Schema.Class<SessionFailed>("@hai-effect/webhooks/SessionFailed")({
  type: Schema.tag("session.failed"),
  ...envelope
}) {}

/**
 * `session.idle`: the session answered and waits for the next message (EU one-shot runs end here).
 *
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const e = new WebhookEvent.SessionIdle({
 *   id: "evt_4",
 *   created_at: "2026-11-30T12:00:00Z",
 *   data: new WebhookEvent.SessionStatusData({ session_id: "s1", status: "idle", previous_status: "running" })
 * })
 * ```
 *
 * @since 0.1.0
 * @category Schemas
 */
export class SessionIdle extends Schema.Class<SessionIdle>("@hai-effect/webhooks/SessionIdle")({
  type: Schema.tag("session.idle"),
  ...envelope
}) {}

/**
 * `session.timed_out`: the session ran out of time.
 *
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const e = new WebhookEvent.SessionTimedOut({
 *   id: "evt_5",
 *   created_at: "2026-11-30T12:00:00Z",
 *   data: new WebhookEvent.SessionStatusData({ session_id: "s1", status: "timed_out", previous_status: "running" })
 * })
 * ```
 *
 * @since 0.1.0
 * @category Schemas
 */
export class SessionTimedOut extends Schema.Class<SessionTimedOut>("@hai-effect/webhooks/SessionTimedOut")({
  type: Schema.tag("session.timed_out"),
  ...envelope
}) {}

/**
 * `session.awaiting_tool_results`: the agent called custom tools and waits for their results.
 *
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const e = new WebhookEvent.SessionAwaitingToolResults({
 *   id: "evt_6",
 *   created_at: "2026-11-30T12:00:00Z",
 *   data: new WebhookEvent.SessionStatusData({
 *     session_id: "s1",
 *     status: "awaiting_tool_results",
 *     previous_status: "running"
 *   })
 * })
 * ```
 *
 * @since 0.1.0
 * @category Schemas
 */
export class SessionAwaitingToolResults
  extends Schema.Class<SessionAwaitingToolResults>("@hai-effect/webhooks/SessionAwaitingToolResults")({
    type: Schema.tag("session.awaiting_tool_results"),
    ...envelope
  })
{}

/**
 * The event types this version knows.
 *
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * WebhookEvent.KnownEventType.literals.includes("session.idle") // true
 * ```
 *
 * @since 0.1.0
 * @category Schemas
 */
export const KnownEventType = Schema.Literal(
  "session.status_updated",
  "session.completed",
  "session.failed",
  "session.idle",
  "session.timed_out",
  "session.awaiting_tool_results"
)

/**
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const t: WebhookEvent.KnownEventType = "session.completed"
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export type KnownEventType = typeof KnownEventType.Type

const knownEventTypes: ReadonlySet<string> = new Set(KnownEventType.literals)

declare const UnknownEventTypeBrand: unique symbol

/**
 * An event `type` this version does not know (for example whatever the test delivery sent by `ping` uses). At run
 * time it is a plain string that is not a `KnownEventType`. Its TypeScript type is a branded `String` object type on
 * purpose: no subtype of `string` lets `event.type === "session.completed"` narrow the union (TypeScript finds every
 * string subtype comparable with every string literal), this type does. Use `String(event.type)` or
 * `event.typeName` to get it as a `string`.
 *
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const t: WebhookEvent.UnknownEventType = WebhookEvent.unknownEventType("ping")
 * String(t) // "ping"
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
// eslint-disable-next-line @typescript-eslint/no-wrapper-object-types -- see the JSDoc: a string subtype cannot narrow
export interface UnknownEventType extends String {
  readonly [UnknownEventTypeBrand]: "UnknownEventType"
}

/**
 * The schema of `UnknownEventType`: any string that is not a `KnownEventType`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * Schema.decodeUnknownSync(WebhookEvent.UnknownEventType)("ping")
 * ```
 *
 * @since 0.1.0
 * @category Schemas
 */
export const UnknownEventType: Schema.Schema<UnknownEventType, string> = Schema.String.pipe(
  Schema.filter((s) => !knownEventTypes.has(s), { message: () => "a known event type must match its schema" }),
  Schema.annotations({ identifier: "UnknownEventType" })
) as unknown as Schema.Schema<UnknownEventType, string>

/**
 * Makes an `UnknownEventType` (for building `UnknownWebhookEvent`s in tests and emulators).
 *
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const ping = new WebhookEvent.UnknownWebhookEvent({ type: WebhookEvent.unknownEventType("ping"), id: "evt_0" })
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const unknownEventType = (type: string): UnknownEventType => type as unknown as UnknownEventType

/**
 * The fallback for any delivery whose `type` is not a `KnownEventType`. Decoding never fails because of an unknown
 * type: `id`, `created_at` and `data` are kept as sent (and may be absent).
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const e = Schema.decodeUnknownSync(WebhookEvent.WebhookEvent)({ type: "ping", id: "evt_0" })
 * if (e instanceof WebhookEvent.UnknownWebhookEvent) console.log(e.typeName)
 * ```
 *
 * @since 0.1.0
 * @category Schemas
 */
export class UnknownWebhookEvent extends Schema.Class<UnknownWebhookEvent>("@hai-effect/webhooks/UnknownWebhookEvent")({
  type: UnknownEventType,
  id: Schema.optional(Schema.String),
  created_at: Schema.optional(Schema.String),
  data: Schema.optional(Schema.Unknown)
}) {
  /**
   * The event type as a plain `string`.
   *
   * @since 0.1.0
   */
  get typeName(): string {
    return this.type as unknown as string
  }
}

/**
 * Every known session event.
 *
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const sessionId = (e: WebhookEvent.SessionEvent) => e.data.session_id
 * ```
 *
 * @since 0.1.0
 * @category Schemas
 */
export const SessionEvent = Schema.Union(
  SessionStatusUpdated,
  SessionCompleted,
  SessionFailed,
  SessionIdle,
  SessionTimedOut,
  SessionAwaitingToolResults
)

/**
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const statusOf = (e: WebhookEvent.SessionEvent) => e.data.status
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export type SessionEvent = typeof SessionEvent.Type

/**
 * A webhook delivery: a known session event, discriminated by `type`, or an `UnknownWebhookEvent`.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const event = Schema.decodeUnknownSync(WebhookEvent.WebhookEvent)({
 *   type: "session.completed",
 *   id: "evt_1",
 *   created_at: "2026-11-30T12:00:00Z",
 *   data: { session_id: "s1", status: "completed", previous_status: "running" }
 * })
 * if (event.type === "session.completed") console.log(event.data.session_id)
 * ```
 *
 * @since 0.1.0
 * @category Schemas
 */
export const WebhookEvent = Schema.Union(SessionEvent, UnknownWebhookEvent)

/**
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const describe = (e: WebhookEvent.WebhookEvent): string => String(e.type)
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export type WebhookEvent = typeof WebhookEvent.Type

/**
 * The encoded (JSON) shape of a `WebhookEvent`.
 *
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const raw: WebhookEvent.WebhookEventEncoded = { type: "ping" }
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export type WebhookEventEncoded = typeof WebhookEvent.Encoded

/**
 * `WebhookEvent` parsed from JSON text.
 *
 * @example
 * ```ts
 * import { Schema } from "effect"
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * Schema.decodeUnknownSync(WebhookEvent.WebhookEventFromJson)('{"type":"ping"}')
 * ```
 *
 * @since 0.1.0
 * @category Schemas
 */
export const WebhookEventFromJson = Schema.parseJson(WebhookEvent)

/**
 * Whether an event is one of the known session events.
 *
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const sessionIdOf = (e: WebhookEvent.WebhookEvent) => WebhookEvent.isSessionEvent(e) ? e.data.session_id : undefined
 * ```
 *
 * @since 0.1.0
 * @category Guards
 */
export const isSessionEvent = (event: WebhookEvent): event is SessionEvent => !(event instanceof UnknownWebhookEvent)

/**
 * Whether an event tells that its session has settled (terminal or idle): `session.completed`, `session.failed`,
 * `session.timed_out`, `session.idle`, or a `session.status_updated` to such a status.
 *
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const wake = (e: WebhookEvent.WebhookEvent) => WebhookEvent.isSettled(e)
 * ```
 *
 * @since 0.1.0
 * @category Guards
 */
export const isSettled = (event: WebhookEvent): event is SessionEvent =>
  isSessionEvent(event) && (event.data.status === "idle" || isTerminalStatus(event.data.status))

/**
 * Decodes an event from JSON text without verifying anything. Use `Webhook.verify` for deliveries.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const program = WebhookEvent.decodeJson('{"type":"ping"}')
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const decodeJson: (text: string) => Effect.Effect<WebhookEvent, ParseResult.ParseError> = Schema
  .decodeUnknown(WebhookEventFromJson)

/**
 * Encodes an event to the JSON text a server would send.
 *
 * @example
 * ```ts
 * import { WebhookEvent } from "@hai-effect/webhooks"
 *
 * const program = WebhookEvent.encodeJson(
 *   new WebhookEvent.SessionIdle({
 *     id: "evt_4",
 *     created_at: "2026-11-30T12:00:00Z",
 *     data: new WebhookEvent.SessionStatusData({ session_id: "s1", status: "idle", previous_status: "running" })
 *   })
 * )
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const encodeJson: (event: WebhookEvent) => Effect.Effect<string, ParseResult.ParseError> = Schema.encode(
  WebhookEventFromJson
)
