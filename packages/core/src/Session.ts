/**
 * Agent sessions that run, stream, steer and clean up after themselves.
 *
 * - {@link run}: start an agent, wait until it settles, get a typed result.
 * - {@link start}: a session as a scoped resource with a handle to watch and steer it; when the
 *   scope closes (or the fiber is interrupted) before the session settled, it is cancelled.
 * - {@link attach}: a handle on a session that already exists.
 * - {@link runAll}: many sessions with bounded concurrency, results as a Stream.
 *
 * How a session ends:
 * - `completed` or `idle` (EU ends one-shot runs idle, US completed): success; the answer is
 *   decoded with the `answer` Schema when one is given (a mismatch fails with
 *   `AnswerValidationError`, which keeps the raw answer).
 * - `failed`, `timed_out`, `interrupted`: a typed `SessionFailed` failure, so a caller cannot
 *   mistake them for success. It carries the status, `error` and `error_code`.
 *
 * One watcher per session reads `/changes` (one request per round), runs the custom tools the
 * agent calls (each call once, recorded in a ledger) and feeds every consumer of the handle.
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { Session } from "@hai-effect/core"
 *
 * const Jobs = Schema.Struct({ jobs: Schema.Array(Schema.Struct({ title: Schema.String, url: Schema.String })) })
 *
 * const program = Effect.gen(function*() {
 *   const result = yield* Session.run({
 *     agent: "h/web-surfer-holo3-1-35b",
 *     messages: "Find 3 open ML engineering roles in Paris.",
 *     answer: Jobs,
 *     timeout: "10 minutes"
 *   })
 *   return result.answer.jobs
 * })
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as Encoding from "effect/Encoding"
import * as Exit from "effect/Exit"
import type * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as ChangeFeed from "./ChangeFeed.js"
import { HaiAgents } from "./HaiAgents.js"
import type * as HaiError from "./HaiError.js"
import * as Open from "./internal/open.js"
import * as Request from "./internal/request.js"
import * as StatusWait from "./internal/statusWait.js"
import type * as Overrides from "./Overrides.js"
import type * as Toolkit from "./Toolkit.js"
import type * as Wire from "./Wire.js"

// =============================================================================
// Models
// =============================================================================

/**
 * A message to the agent: text, or text with images (URLs or `data:` URLs) and files (see
 * {@link fileFromBytes} and {@link fileFromUrl}).
 *
 * @since 0.1.0
 * @category Models
 */
export type Message = string | {
  readonly message: string
  readonly images?: ReadonlyArray<string> | undefined
  readonly files?: ReadonlyArray<File> | undefined
}

/**
 * A file attached to a message, as the wire's `FileContent`: its bytes in base64, or a URL.
 *
 * @since 0.1.0
 * @category Models
 */
export type File = typeof Wire.FileContent.Encoded

/**
 * A file from its bytes, sent inline (base64).
 *
 * @example
 * import { Session } from "@hai-effect/core"
 *
 * const csv = Session.fileFromBytes(new TextEncoder().encode("a,b\n1,2\n"), { name: "data.csv", mediaType: "text/csv" })
 * const message: Session.Message = { message: "Sum column b of the attached file", files: [csv] }
 *
 * @since 0.1.0
 * @category Constructors
 */
export const fileFromBytes = (
  bytes: Uint8Array,
  options: { readonly name: string; readonly mediaType?: string | undefined }
): File => ({
  type: "base64",
  source: Encoding.encodeBase64(bytes),
  name: options.name,
  ...(options.mediaType !== undefined ? { media_type: options.mediaType } : {}),
  size_bytes: bytes.byteLength
})

// The file name a URL ends with, else "file"; never throws (a malformed escape stays as written).
const lastSegment = (href: string): string => {
  const segment = href.split(/[?#]/)[0].split("/").pop() ?? ""
  try {
    return decodeURIComponent(segment) || "file"
  } catch {
    return segment || "file"
  }
}

/**
 * A file the service fetches from a URL.
 *
 * @example
 * import { Session } from "@hai-effect/core"
 *
 * const report = Session.fileFromUrl("https://example.com/q3.pdf", { mediaType: "application/pdf" })
 *
 * @since 0.1.0
 * @category Constructors
 */
export const fileFromUrl = (
  url: string | URL,
  options?: { readonly name?: string | undefined; readonly mediaType?: string | undefined }
): File => {
  const href = String(url)
  const name = options?.name ?? lastSegment(href)
  return {
    type: "url",
    source: href,
    name,
    ...(options?.mediaType !== undefined ? { media_type: options.mediaType } : {})
  }
}

/**
 * What to start.
 *
 * @since 0.1.0
 * @category Models
 */
export interface StartRequest<A = unknown, I = unknown, T extends Toolkit.Any = Toolkit.Toolkit<never>> {
  /** A catalog agent's name (`"h/web-surfer-holo3-1-35b"`) or an inline agent definition. */
  readonly agent: string | typeof Wire.Agent.Encoded
  /** The task: text, a message with images, or several messages. */
  readonly messages?: Message | ReadonlyArray<Message> | undefined
  /** The answer's Schema: sent as `answer_format`, used to decode the answer. */
  readonly answer?: Schema.Schema<A, I> | undefined
  /** Custom tools the agent may call; run by this client. */
  readonly tools?: T | undefined
  /** Most steps the agent may take (`max_steps`). */
  readonly maxSteps?: number | undefined
  /** Most time the agent may run (`max_time_s`). */
  readonly maxTime?: Duration.DurationInput | undefined
  /** After each answer, how long the session waits idle for a follow-up (`idle_timeout_s`). */
  readonly idleTimeout?: Duration.DurationInput | undefined
  /** Overrides over the resolved request; see {@link Overrides}. */
  readonly overrides?: Overrides.Overrides | undefined
  /** Wait for a slot when over the concurrency quota (default `true`), instead of failing with 429. */
  readonly queue?: boolean | undefined
  /** Any other field of the wire request (`group_id`, `delete_after_min`, ...). */
  readonly request?: Partial<typeof Wire.SessionRequest.Encoded> | undefined
  /** Names this create; retries reuse it. Made for you when absent. */
  readonly idempotencyKey?: string | undefined
  /** Most tool calls run at once. Default 4. */
  readonly toolConcurrency?: number | undefined
  /** How the watcher polls (`waitForSeconds`, `retrySchedule`, ...). */
  readonly watch?: Omit<ChangeFeed.Options, "fromIndex" | "until"> | undefined
  /** When closing the scope cancels the session: `"unsettled"` (default), `"always"` or `"never"`. */
  readonly cancelOnClose?: "unsettled" | "always" | "never" | undefined
  /** Bound on the cancel request made on close. Default 10 seconds. */
  readonly cancelTimeout?: Duration.DurationInput | undefined
  /**
   * Called with each event as it arrives, in order, by the session's watcher: before the turn it
   * belongs to can settle, so nothing is missed. The lightest way to follow many sessions at once:
   * a `Stream` reader per session holds more memory while it waits.
   */
  readonly onEvent?: ((event: ChangeFeed.IndexedEvent) => Effect.Effect<void>) | undefined
  /**
   * When the watcher saves its checkpoint (with a persistent `SessionStore`) relative to `onEvent`:
   * `"at-least-once"` (default) after `onEvent` has taken the round, so an event is never lost to a
   * crash but one may be handed over again after a restart (drop repeats by their `index`);
   * `"at-most-once"` before, so none is handed over twice but a crash may lose some.
   */
  readonly delivery?: "at-least-once" | "at-most-once" | undefined
}

/**
 * How long to wait for a turn.
 *
 * @since 0.1.0
 * @category Models
 */
export interface WaitOptions {
  /** Fail with `WaitTimeout` (naming the last status) after this long. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Ask the agent for its final answer (force answer) after this long. */
  readonly softDeadline?: Duration.DurationInput | undefined
  /** Cancel the session after this long. */
  readonly hardDeadline?: Duration.DurationInput | undefined
  /**
   * Fail with `WaitRoundsExceeded` when the session has not settled after this many rounds (one
   * read of its feed each, a long-poll of up to `waitForSeconds`). The session goes on.
   */
  readonly maxRounds?: number | undefined
}

/**
 * What one wait of a handle takes: {@link WaitOptions}, and an answer Schema of its own for this
 * wait (`false`: none, the raw answer) in place of the handle's.
 *
 * @since 0.1.0
 * @category Models
 */
export interface AwaitOptions<B, J> extends WaitOptions {
  readonly answer?: Schema.Schema<B, J> | false | undefined
}

/**
 * What {@link run} takes.
 *
 * @since 0.1.0
 * @category Models
 */
export interface RunRequest<A = unknown, I = unknown, T extends Toolkit.Any = Toolkit.Toolkit<never>>
  extends StartRequest<A, I, T>, WaitOptions
{}

/**
 * How a turn (or a whole one-shot run) ended, when it ended well.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Result<A> {
  readonly id: string
  readonly status: Wire.TrajectoryStatus
  /** The decoded answer (the raw one when no Schema was given); `undefined` when there was none. */
  readonly answer: A
  /** The answer exactly as the service sent it. */
  readonly rawAnswer: unknown
  readonly outcome: Wire.AnswerOutcome | null
  readonly error: string | null
  readonly errorCode: Wire.SessionErrorCode | null
  /** The events of this turn, indexed. */
  readonly events: ReadonlyArray<ChangeFeed.IndexedEvent>
  readonly metrics: Wire.Metrics | undefined
  /** The last `/changes` answer, as received. */
  readonly changes: Option.Option<Wire.SessionChanges>
  /** The index to follow the session from. */
  readonly nextIndex: number
}

/**
 * What {@link awaitStatus} takes.
 *
 * @since 0.1.0
 * @category Models
 */
export interface StatusWaitOptions<A = unknown, I = unknown> {
  /** The answer's Schema; without it the answer is left raw. */
  readonly answer?: Schema.Schema<A, I> | undefined
  /** Time between two reads of the status. Default 2 seconds. */
  readonly interval?: Duration.DurationInput | undefined
  /** Fail with `WaitTimeout` after this long. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Fail with `WaitRoundsExceeded` after this many reads of the status without a settle. */
  readonly maxRounds?: number | undefined
}

/**
 * How a session settled, as a wait on its status alone sees it: a {@link Result} without events.
 *
 * @since 0.1.0
 * @category Models
 */
export type StatusResult<A> = Omit<Result<A>, "events" | "changes" | "nextIndex">

/**
 * A started or attached session.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Handle<A> {
  readonly id: string
  /** The session as created or first read. */
  readonly session: Wire.Session
  /** The latest status the watcher saw. */
  readonly status: Effect.Effect<Wire.TrajectoryStatus>
  /** Every status change the watcher sees, starting with the current one. */
  readonly statusChanges: Stream.Stream<Wire.TrajectoryStatus>
  /** Reads the session from the service. */
  readonly get: Effect.Effect<Wire.Session, HaiError.HaiError>
  /** A fresh feed from the service, from any index. */
  readonly changes: (options?: ChangeFeed.Options) => Stream.Stream<ChangeFeed.IndexedEvent, HaiError.HaiError>
  /** Every event the watcher has seen and will see, from the start; ends when the session ends. */
  readonly events: Stream.Stream<ChangeFeed.IndexedEvent, HaiError.SessionError>
  /**
   * Waits until the current turn settles; its answer, decoded with the handle's Schema, or with
   * this wait's own `answer` (`false`: left raw).
   */
  readonly awaitSettled: {
    <B, J>(options: AwaitOptions<B, J> & { readonly answer: Schema.Schema<B, J> }): Effect.Effect<
      Result<B>,
      HaiError.SessionError
    >
    (options: AwaitOptions<never, never> & { readonly answer: false }): Effect.Effect<
      Result<unknown>,
      HaiError.SessionError
    >
    (options?: WaitOptions): Effect.Effect<Result<A>, HaiError.SessionError>
  }
  /** Sends a follow-up (wakes an idle session) and starts a new turn. */
  readonly send: (input: Message | ReadonlyArray<Message>) => Effect.Effect<void, HaiError.HaiError>
  readonly pause: Effect.Effect<void, HaiError.HaiError>
  readonly resume: Effect.Effect<void, HaiError.HaiError>
  /** Asks the agent to answer on its next step. */
  readonly forceAnswer: Effect.Effect<void, HaiError.HaiError>
  /** Cancels the session; it ends `interrupted` shortly after. */
  readonly cancel: Effect.Effect<void, HaiError.HaiError>
  readonly share: Effect.Effect<Wire.ShareLink, HaiError.HaiError>
  readonly unshare: Effect.Effect<void, HaiError.HaiError>
}

/**
 * What {@link attach} takes besides the session's id.
 *
 * @since 0.1.0
 * @category Models
 */
export interface AttachOptions<A = unknown, I = unknown, T extends Toolkit.Any = Toolkit.Toolkit<never>> {
  /** First index to watch from; default: the checkpoint saved in the `SessionStore`, else 0. */
  readonly fromIndex?: number | undefined
  readonly answer?: Schema.Schema<A, I> | undefined
  readonly tools?: T | undefined
  readonly toolConcurrency?: number | undefined
  readonly watch?: Omit<ChangeFeed.Options, "fromIndex" | "until"> | undefined
  /** When closing the scope cancels the session: `"never"` (default), `"unsettled"` or `"always"`. */
  readonly cancelOnClose?: "unsettled" | "always" | "never" | undefined
  readonly cancelTimeout?: Duration.DurationInput | undefined
  /** Called with each event from `fromIndex` (or the saved checkpoint) on, as for {@link start}. */
  readonly onEvent?: ((event: ChangeFeed.IndexedEvent) => Effect.Effect<void>) | undefined
  /** When the checkpoint is saved relative to `onEvent`, as for {@link start}. Default `"at-least-once"`. */
  readonly delivery?: "at-least-once" | "at-most-once" | undefined
}

/**
 * The wire request a {@link StartRequest} becomes: messages, budgets, tools in
 * `overrides["agent.tools"]`, the answer's JSON Schema in `overrides["agent.answer_format"]` (or
 * in an inline agent's `answer_format`).
 *
 * @since 0.1.0
 * @category Utils
 */
export const toWireRequest: <A, I, T extends Toolkit.Any>(
  request: StartRequest<A, I, T>
) => Effect.Effect<typeof Wire.SessionRequest.Encoded, HaiError.InvalidRequest> = Request.toWireRequest

// =============================================================================
// Public operations
// =============================================================================

/**
 * Starts a session in the current scope and returns its handle. When the scope closes before
 * the session settled, the session is cancelled (bounded by `cancelTimeout`).
 *
 * @example
 * import { Console, Effect, Stream } from "effect"
 * import { Session } from "@hai-effect/core"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const session = yield* Session.start({
 *     agent: "h/web-surfer-holo3-1-35b",
 *     messages: "Open the HN front page and read the top story",
 *     idleTimeout: "10 minutes"
 *   })
 *   yield* Effect.fork(session.events.pipe(Stream.runForEach(({ event, index }) => Console.log(index, event.type))))
 *   const first = yield* session.awaitSettled()
 *   yield* session.send("Now summarize its comments")
 *   const second = yield* session.awaitSettled({ timeout: "5 minutes" })
 *   return [first.answer, second.answer]
 * }))
 *
 * @since 0.1.0
 * @category Constructors
 */
export const start = <A = unknown, I = unknown, T extends Toolkit.Any = Toolkit.Toolkit<never>>(
  request: StartRequest<A, I, T>
): Effect.Effect<Handle<A>, HaiError.HaiError, HaiAgents | Scope.Scope | Toolkit.Requirements<T>> =>
  Effect.map(Open.start(request, "terminal"), (watched) => watched.handle).pipe(
    Effect.withSpan("Session.start")
  )

/**
 * A handle on an existing session. It resumes from the checkpoint saved in the
 * {@link SessionStore} when there is one (so a restarted process neither repeats events nor
 * runs a tool call twice), else from `fromIndex` (default 0, which also finds tool calls
 * announced before this client joined). Closing the scope does not cancel the session unless
 * `cancelOnClose` says so.
 *
 * @example
 * import { Effect } from "effect"
 * import { Session } from "@hai-effect/core"
 *
 * const resume = (id: string) =>
 *   Effect.scoped(Effect.flatMap(Session.attach(id), (session) => session.awaitSettled()))
 *
 * @since 0.1.0
 * @category Constructors
 */
export const attach = <A = unknown, I = unknown, T extends Toolkit.Any = Toolkit.Toolkit<never>>(
  sessionId: string,
  options?: AttachOptions<A, I, T>
): Effect.Effect<
  Handle<A>,
  HaiError.HaiError | HaiError.PersistenceError,
  HaiAgents | Scope.Scope | Toolkit.Requirements<T>
> => Open.attach(sessionId, options).pipe(Effect.withSpan("Session.attach"))

/**
 * Starts a session, waits until it settles, and returns its result; the answer is decoded with
 * `answer` when given. `failed`, `timed_out` and `interrupted` sessions fail with
 * `SessionFailed`. If the wait fails or is interrupted before the session settled, the session
 * is cancelled.
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { Session, Tool, Toolkit } from "@hai-effect/core"
 *
 * const getWeather = Tool.make("get_weather", {
 *   description: "Current weather in a city",
 *   parameters: Schema.Struct({ city: Schema.String }),
 *   handler: ({ city }) => Effect.succeed({ city, celsius: 18 })
 * })
 *
 * const program = Session.run({
 *   agent: "h/web-surfer-holo3-1-35b",
 *   messages: "Is it warm in Paris? Use get_weather.",
 *   answer: Schema.Struct({ warm: Schema.Boolean }),
 *   tools: Toolkit.make(getWeather),
 *   timeout: "5 minutes",
 *   softDeadline: "4 minutes"
 * })
 *
 * @since 0.1.0
 * @category Constructors
 */
export const run = <A = unknown, I = unknown, T extends Toolkit.Any = Toolkit.Toolkit<never>>(
  request: RunRequest<A, I, T>
): Effect.Effect<Result<A>, HaiError.SessionError, HaiAgents | Toolkit.Requirements<T>> =>
  Effect.scoped(Effect.gen(function*() {
    // onEvent runs inside the watcher, in order, before the turn can settle: nothing is missed.
    // Without a deadline nothing has to happen while the watcher runs, so it runs right here;
    // when it returns the session has settled (or the watcher failed) and the wait is immediate.
    const inline = request.timeout === undefined && request.softDeadline === undefined
      && request.hardDeadline === undefined
    const { handle, watch } = yield* Open.start(request, "settled", inline)
    yield* Effect.annotateCurrentSpan("hai.session_id", handle.id)
    yield* watch
    return yield* handle.awaitSettled(request)
  })).pipe(Effect.withSpan("Session.run"))

/**
 * Waits until a session settles by reading its status alone (`GET /status`, every `interval`),
 * never its events, then reads its answer once: the light wait for a caller that does not read
 * the events and lends no tools (nothing runs the tools here). Settled well: the answer, decoded
 * with `answer` when given (`NoAnswer` when there is none); `failed`, `timed_out`,
 * `interrupted`: `SessionFailed`.
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { Session } from "@hai-effect/core"
 *
 * const answerOf = (id: string) =>
 *   Effect.map(
 *     Session.awaitStatus(id, { answer: Schema.Struct({ price: Schema.Number }), interval: "5 seconds", maxRounds: 120 }),
 *     (result) => result.answer.price
 *   )
 *
 * @since 0.1.0
 * @category Constructors
 */
export const awaitStatus = <A = unknown, I = unknown>(
  sessionId: string,
  options?: StatusWaitOptions<A, I>
): Effect.Effect<StatusResult<A>, HaiError.SessionError, HaiAgents> => StatusWait.awaitStatus(sessionId, options)

/**
 * The outcome of one session of a fleet.
 *
 * @since 0.1.0
 * @category Models
 */
export interface FleetResult<A> {
  /** Position of the request in the input. */
  readonly index: number
  readonly result: Either.Either<Result<A>, HaiError.SessionError>
}

/**
 * Runs many sessions, at most `concurrency` at once (`"quota"` reads the organisation's
 * concurrent-session limit), and streams each result as it completes.
 *
 * @example
 * import { Effect, Stream } from "effect"
 * import { Session } from "@hai-effect/core"
 *
 * const cities = ["Paris", "Lyon", "Nice"]
 * const program = Session.runAll(
 *   cities.map((city) => ({ agent: "h/web-surfer-holo3-1-35b", messages: `Weather in ${city}?` })),
 *   { concurrency: "quota" }
 * ).pipe(Stream.runCollect)
 *
 * @since 0.1.0
 * @category Constructors
 */
export const runAll = <A = unknown, I = unknown, T extends Toolkit.Any = Toolkit.Toolkit<never>>(
  requests: Iterable<RunRequest<A, I, T>>,
  options?: { readonly concurrency?: number | "quota" | undefined }
): Stream.Stream<FleetResult<A>, HaiError.HaiError, HaiAgents | Toolkit.Requirements<T>> =>
  Stream.unwrap(Effect.gen(function*() {
    const hai = yield* HaiAgents
    const wanted = options?.concurrency ?? 4
    const concurrency = wanted === "quota" ? Math.max(1, (yield* hai.sessions.quota()).limit) : Math.max(1, wanted)
    return Stream.fromIterable([...requests].map((request, index) => ({ request, index }))).pipe(
      Stream.mapEffect(
        ({ index, request }) =>
          Effect.map(Effect.either(run(request)), (result): FleetResult<A> => ({ index, result })),
        { concurrency, unordered: true }
      )
    )
  }))

/**
 * Whether a result came from an `Exit` of a session run that was interrupted by the caller.
 *
 * @since 0.1.0
 * @category Guards
 */
export const isCancelledByCaller = (exit: Exit.Exit<unknown, unknown>): boolean =>
  Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause)
