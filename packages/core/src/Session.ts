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
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Either from "effect/Either"
import * as Exit from "effect/Exit"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as Answer from "./Answer.js"
import * as ChangeFeed from "./ChangeFeed.js"
import { HaiAgents } from "./HaiAgents.js"
import * as HaiError from "./HaiError.js"
import * as Cell from "./internal/cell.js"
import * as Overrides from "./Overrides.js"
import * as SessionStore from "./SessionStore.js"
import type * as Tool from "./Tool.js"
import type * as Toolkit from "./Toolkit.js"
import type * as Wire from "./Wire.js"

// =============================================================================
// Models
// =============================================================================

/**
 * A message to the agent: text, or text with images (URLs or `data:` URLs).
 *
 * @since 0.1.0
 * @category Models
 */
export type Message = string | { readonly message: string; readonly images?: ReadonlyArray<string> | undefined }

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
   * belongs to can settle, so nothing is missed. The lightest way to follow many sessions at once
   * (a `Stream` reader per session costs about 20 KiB more while it waits).
   */
  readonly onEvent?: ((event: ChangeFeed.IndexedEvent) => Effect.Effect<void>) | undefined
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
  /** Waits until the current turn settles; its answer, decoded. */
  readonly awaitSettled: (options?: WaitOptions) => Effect.Effect<Result<A>, HaiError.SessionError>
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

// =============================================================================
// Request building
// =============================================================================

const toWireMessage = (message: Message): typeof Wire.UserMessageEvent.Encoded =>
  typeof message === "string"
    ? { type: "user_message", message }
    : { type: "user_message", message: message.message, ...(message.images ? { images: message.images } : {}) }

const seconds = (duration: Duration.DurationInput) => Duration.toMillis(Duration.decode(duration)) / 1000

/**
 * The wire request a {@link StartRequest} becomes: messages, budgets, tools in
 * `overrides["agent.tools"]`, the answer's JSON Schema in `overrides["agent.answer_format"]` (or
 * in an inline agent's `answer_format`).
 *
 * @since 0.1.0
 * @category Utils
 */
export const toWireRequest = (
  request: StartRequest<any, any, Toolkit.Any>
): Effect.Effect<typeof Wire.SessionRequest.Encoded, HaiError.InvalidRequest> =>
  Effect.suspend(() => {
    const conflict = (path: string, issue: string) =>
      Effect.fail(new HaiError.InvalidRequest({ operation: "Session.start", path, issue }))
    const overrides: Record<string, unknown> = { ...request.request?.overrides, ...request.overrides }
    let agent = request.agent
    if (request.tools && request.tools.definitions.length > 0) {
      const existing = overrides[Overrides.paths.tools]
      overrides[Overrides.paths.tools] = [
        ...(Array.isArray(existing) ? existing : []),
        ...request.tools.definitions
      ]
    }
    if (request.answer) {
      const format = Answer.format(request.answer)
      if (typeof agent === "object") {
        if (agent.answer_format !== undefined && agent.answer_format !== null) {
          return conflict("agent.answer_format", "is set on the inline agent and `answer` is given too: keep one")
        }
        agent = { ...agent, answer_format: format }
      } else {
        if (overrides[Overrides.paths.answerFormat] !== undefined) {
          return conflict(
            "overrides[\"agent.answer_format\"]",
            "is set and `answer` is given too: keep one"
          )
        }
        overrides[Overrides.paths.answerFormat] = format
      }
    }
    const messages = request.messages === undefined
      ? request.request?.messages
      : typeof request.messages === "string"
      ? request.messages
      : Array.isArray(request.messages)
      ? request.messages.map(toWireMessage)
      : toWireMessage(request.messages as Message)
    return Effect.succeed({
      ...request.request,
      agent,
      ...(messages !== undefined ? { messages } : {}),
      ...(request.maxSteps !== undefined ? { max_steps: request.maxSteps } : {}),
      ...(request.maxTime !== undefined ? { max_time_s: seconds(request.maxTime) } : {}),
      ...(request.idleTimeout !== undefined
        ? { idle_timeout_s: Math.max(1, Math.ceil(seconds(request.idleTimeout))) }
        : {}),
      ...(request.queue !== undefined ? { queue: request.queue } : {}),
      ...(Object.keys(overrides).length > 0 ? { overrides } : {})
    })
  })

// =============================================================================
// Tools
// =============================================================================

const errorText = (error: unknown): string => {
  if (error !== null && typeof error === "object") {
    const e = error as { _tag?: unknown; name?: unknown; message?: unknown }
    const type = typeof e._tag === "string" ? e._tag : typeof e.name === "string" ? e.name : "Error"
    const message = typeof e.message === "string" && e.message.length > 0 ? e.message : JSON.stringify(error)
    return `${type}: ${message}`
  }
  return `Error: ${String(error)}`
}

type ToolOutcome =
  | { readonly _tag: "result"; readonly call: SessionStore.PendingCall; readonly result: unknown }
  | { readonly _tag: "error"; readonly call: SessionStore.PendingCall; readonly error: string }

const echo = (call: SessionStore.PendingCall) => ({
  tool_name: call.tool_name,
  args: call.args ?? {},
  id: call.id ?? null
})

const toWireResult = (outcome: ToolOutcome) =>
  outcome._tag === "result"
    ? { kind: "tool_result" as const, tool_req: echo(outcome.call), result: outcome.result }
    : { kind: "error_event" as const, error: outcome.error, origin: "client", tool_req: echo(outcome.call) }

const toolResultsRetry = Schedule.exponential("500 millis", 2).pipe(
  Schedule.jittered,
  Schedule.union(Schedule.spaced("10 seconds")),
  Schedule.intersect(Schedule.recurs(6))
)

const runCall = (toolkit: Toolkit.Any, call: SessionStore.PendingCall): Effect.Effect<ToolOutcome, never, any> => {
  const tool: Tool.Any | undefined = toolkit.tools.get(call.tool_name)
  if (tool === undefined) {
    return Effect.succeed({
      _tag: "error",
      call,
      error: `UnknownTool: this client has no tool named "${call.tool_name}" (it has: ${
        [...toolkit.tools.keys()].join(", ") || "none"
      })`
    })
  }
  return Schema.decodeUnknown(tool.parameters as Schema.Schema<any, any>)(call.args ?? {}).pipe(
    Effect.mapError((e) => `InvalidArguments: ${ParseResult.TreeFormatter.formatErrorSync(e)}`),
    Effect.flatMap((params) =>
      tool.handler(params).pipe(
        Effect.sandbox,
        Effect.mapError((cause) =>
          Cause.isInterruptedOnly(cause)
            ? "Interrupted: the tool call was interrupted"
            : errorText(Cause.squash(cause))
        )
      )
    ),
    Effect.flatMap((value) =>
      tool.success
        ? Schema.encode(tool.success as Schema.Schema<any, any>)(value).pipe(
          Effect.mapError((e) => `InvalidResult: ${ParseResult.TreeFormatter.formatErrorSync(e)}`)
        )
        : Effect.succeed(value)
    ),
    Effect.match({
      onFailure: (error): ToolOutcome => ({ _tag: "error", call, error }),
      onSuccess: (result): ToolOutcome => ({ _tag: "result", call, result: result === undefined ? null : result })
    })
  )
}

// =============================================================================
// The watcher and the handle
// =============================================================================

interface Snapshot {
  /** The index after the last event seen. */
  readonly count: number
  readonly status: Wire.TrajectoryStatus
  /** Settled and drained. */
  readonly settled: boolean
  /** The watcher is still reading the feed. */
  readonly watching: boolean
  readonly failure: Option.Option<HaiError.HaiError | HaiError.PersistenceError>
}

interface Live {
  readonly base: number
  readonly log: Array<ChangeFeed.IndexedEvent>
  lastChanges: Option.Option<Wire.SessionChanges>
  /** `count` when `lastChanges` arrived, to tell which turn its answer belongs to. */
  lastChangesAt: number
  pending: ReadonlyArray<SessionStore.PendingCall>
}

const isAnswerEvent = (event: Wire.SessionEvent): event is Wire.AgentEvent =>
  event.type === "AgentEvent" && (event as Wire.AgentEvent).data.kind === "answer_event"

interface HandleOptions<A> {
  readonly sessionId: string
  readonly session: Wire.Session
  readonly fromIndex: number
  readonly answer: Schema.Schema<A, any> | undefined
  readonly tools: Toolkit.Any | undefined
  readonly toolConcurrency: number
  readonly watch: Omit<ChangeFeed.Options, "fromIndex" | "until"> | undefined
  /** `"settled"` for one-shot runs (no long-poll left open after the answer), else `"terminal"`. */
  readonly watchUntil: "settled" | "terminal"
  /** Called with each event in order, before turn waits see the round. */
  readonly onEvent?: ((event: ChangeFeed.IndexedEvent) => Effect.Effect<void>) | undefined
  readonly pending: ReadonlyArray<SessionStore.PendingCall>
  readonly state: Cell.Cell<Snapshot>
  /** Leave the watcher to the caller rather than fork it (see {@link Watched}). */
  readonly watchInline?: boolean | undefined
}

/**
 * A handle, and the watcher that feeds it: already running in the scope, or (`watchInline`) to be
 * run by the caller. `Session.run` without deadlines runs it inline: a session that nobody can
 * steer needs no second fiber, nor a wait on a Deferred.
 */
interface Watched<A> {
  readonly handle: Handle<A>
  readonly watch: Effect.Effect<void, never, any>
}

const makeHandle = <A>(
  options: HandleOptions<A>
): Effect.Effect<Watched<A>, never, HaiAgents | Scope.Scope | SessionStore.SessionStore | any> =>
  Effect.gen(function*() {
    const hai = yield* HaiAgents
    const store = yield* SessionStore.SessionStore
    const id = options.sessionId
    const state = options.state
    const live: Live = {
      base: options.fromIndex,
      log: [],
      lastChanges: Option.none(),
      lastChangesAt: -1,
      pending: options.pending
    }
    // -1: the first wait resolves on any settled state, even one reached before this handle existed.
    const turnStart = yield* Ref.make(-1)

    // Turn waits are Deferreds completed by the watcher's updates, not Stream subscriptions.
    interface Waiter {
      readonly test: (s: Snapshot) => boolean
      readonly resume: (effect: Effect.Effect<Snapshot>) => void
    }
    const waiters = new Set<Waiter>()
    const publish = (update: (s: Snapshot) => Snapshot) =>
      Effect.sync(() => {
        const next = state.unsafeUpdate(update)
        for (const waiter of waiters) {
          if (waiter.test(next)) {
            waiters.delete(waiter)
            waiter.resume(Effect.succeed(next))
          }
        }
      })
    // A wait is a callback in `waiters` (removed when the wait is interrupted): every reader of a
    // handle waits here once per round, so it costs no Deferred and no finalizer.
    const waitFor = (test: (s: Snapshot) => boolean): Effect.Effect<Snapshot> =>
      Effect.suspend(() => {
        const now = state.unsafeGet()
        if (test(now)) return Effect.succeed(now)
        return Effect.async<Snapshot>((resume) => {
          const waiter: Waiter = { test, resume }
          waiters.add(waiter)
          return Effect.sync(() => {
            waiters.delete(waiter)
          })
        })
      })
    const hardDeadlineHit = yield* Ref.make(false)

    const runTools = (toolkit: Toolkit.Any) =>
      Effect.gen(function*() {
        const fresh: Array<SessionStore.PendingCall> = []
        const orphaned: Array<SessionStore.PendingCall> = []
        for (const call of live.pending) {
          const known = yield* store.getCall(id, SessionStore.callKey(call))
          if (Option.isNone(known)) fresh.push(call)
          else if (known.value === "started") orphaned.push(call)
        }
        if (fresh.length === 0 && orphaned.length === 0) return
        yield* Effect.forEach(fresh, (call) => store.setCall(id, SessionStore.callKey(call), "started"), {
          discard: true
        })
        const ran = yield* Effect.forEach(fresh, (call) => runCall(toolkit, call), {
          concurrency: options.toolConcurrency
        })
        const outcomes: Array<ToolOutcome> = [
          ...ran,
          ...orphaned.map((call): ToolOutcome => ({
            _tag: "error",
            call,
            error:
              "ToolInterrupted: the client stopped while this call ran; its outcome is unknown and it was not run again"
          }))
        ]
        // Results are keyed by call id: posting them again cannot act twice (the service answers 409
        // or 422 for calls it already has), so unlike other POSTs a lost or failed post is retried.
        yield* hai.sessions.sendToolResults(id, { type: "batch", results: outcomes.map(toWireResult) }).pipe(
          Effect.retry({
            schedule: toolResultsRetry,
            while: (e) =>
              e._tag === "ServerError" || e._tag === "OutcomeUnknown" || e._tag === "TransportError"
              || e._tag === "TimeoutError" || e._tag === "RateLimited"
          }),
          Effect.catchTags({
            Conflict: () => Effect.logDebug("tool results after the session settled were ignored (409)"),
            Unprocessable: (e) => Effect.logWarning("the service refused tool results", e.message)
          })
        )
        yield* Effect.forEach(outcomes, (o) => store.setCall(id, SessionStore.callKey(o.call), "posted"), {
          discard: true
        })
      }).pipe(Effect.withSpan("Session.runTools", { attributes: { "hai.session_id": id } }))

    // The caller's code run by the watcher (`onEvent`, tool handlers) is traced as the caller was.
    const traced = yield* FiberRef.get(FiberRef.currentTracerEnabled)
    const asCaller = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      traced ? Effect.withTracerEnabled(effect, true) : effect
    // Chained by hand rather than a generator: this runs once per round of every watched session.
    const onRound = (
      round: ChangeFeed.Round
    ): Effect.Effect<void, HaiError.HaiError | HaiError.PersistenceError, any> => {
      for (const item of round.events) {
        live.log.push(item)
        if (item.event.type === "ActiveStateChangeEvent") {
          const data = (item.event as Wire.ActiveStateChangeEvent).data
          live.pending = data.state === "awaiting_tool_results" ? data.pending_tool_calls ?? [] : []
        }
      }
      if (Option.isSome(round.changes)) {
        live.lastChanges = round.changes
        live.lastChangesAt = round.nextIndex
      }
      const onEvent = options.onEvent
      // Each event is handed over once the previous one's effect is done, in order.
      const deliver = (i: number): Effect.Effect<void> =>
        onEvent === undefined || i >= round.events.length
          ? Effect.void
          : Effect.flatMap(onEvent(round.events[i]), () => deliver(i + 1))
      const settle = publish((s) => ({ ...s, count: round.nextIndex, status: round.status, settled: round.settled }))
      const tools = options.tools && round.status === "awaiting_tool_results" && live.pending.length > 0
        ? runTools(options.tools)
        : undefined
      // The checkpoint (with the pending calls) is saved before consumers see the round, so a
      // restart never delivers an event twice; the calls themselves are guarded by the ledger.
      return Effect.flatMap(
        store.saveCheckpoint(id, { cursor: round.nextIndex, pending: live.pending }),
        () => {
          const delivered = onEvent === undefined ? settle : Effect.zipRight(asCaller(deliver(0)), settle)
          return tools === undefined ? delivered : Effect.zipRight(delivered, asCaller(tools))
        }
      )
    }

    // A plain loop over the feed's steps: one watcher per session, so no Stream machinery here.
    const feed = yield* ChangeFeed.stepper(id, {
      ...options.watch,
      fromIndex: options.fromIndex,
      until: options.watchUntil
    })
    const loop = (at: ChangeFeed.State): Effect.Effect<void, HaiError.HaiError | HaiError.PersistenceError, any> =>
      Effect.flatMap(
        feed.step(at),
        ([round, next]) => Effect.zipRight(onRound(round), Option.isSome(next) ? loop(next.value) : Effect.void)
      )
    // The watcher's own requests are not traced (a span per poll would be a span per event): it
    // runs with the tracer off, set once, and the caller's code it runs (`onEvent`, tool handlers)
    // gets the caller's setting back. Polls then need no tracer switch of their own per request.
    const watcher = Effect.withTracerEnabled(loop(feed.initial), false).pipe(
      Effect.catchAll((failure) => publish((s) => ({ ...s, failure: Option.some(failure) }))),
      Effect.ensuring(publish((s) => ({ ...s, watching: false })))
    )
    if (!options.watchInline) yield* Effect.forkScoped(watcher)

    const settledSince = (start: number) => (s: Snapshot) =>
      Option.isSome(s.failure) || !s.watching || (s.settled && (s.count > start || ChangeFeed.isTerminal(s.status)))

    const finish = (snapshot: Snapshot, start: number): Effect.Effect<Result<A>, HaiError.SessionError> =>
      Effect.gen(function*() {
        if (Option.isSome(snapshot.failure)) return yield* Effect.fail(snapshot.failure.value)
        const events = live.log.slice(Math.max(0, start - live.base), snapshot.count - live.base)
        const status = snapshot.status
        const changes = live.lastChanges
        const fromChanges = Option.isSome(changes) && live.lastChangesAt > start ? changes.value : undefined
        let rawAnswer: unknown = undefined
        let outcome: Wire.AnswerOutcome | null = null
        const answerEvent = [...events].reverse().find((e) => isAnswerEvent(e.event))
        if (answerEvent) {
          const data = (answerEvent.event as Wire.AgentEvent).data as Wire.AnswerEvent
          rawAnswer = data.answer
          outcome = data.outcome ?? null
        } else if (fromChanges && fromChanges.answer !== undefined && fromChanges.answer !== null) {
          rawAnswer = fromChanges.answer
          outcome = fromChanges.outcome ?? null
        } else if (Answer.validatedStatuses.has(status)) {
          const latest = yield* hai.sessions.changes(id, { from_index: 0, include_events: false })
          if (Option.isSome(latest)) {
            rawAnswer = latest.value.answer ?? undefined
            outcome = latest.value.outcome ?? null
          }
        }
        let error: string | null = fromChanges?.error ?? null
        let errorCode: Wire.SessionErrorCode | null = fromChanges?.error_code ?? null
        if (ChangeFeed.isTerminal(status) && status !== "completed") {
          const final = yield* hai.sessions.status(id)
          error = final.error ?? error
          errorCode = final.error_code ?? errorCode
          const hard = yield* Ref.get(hardDeadlineHit)
          return yield* Effect.fail(
            new HaiError.SessionFailed({
              sessionId: id,
              status,
              error,
              errorCode,
              ...(hard ? { reason: "hard deadline reached" } : {})
            })
          )
        }
        if (!snapshot.watching && !ChangeFeed.isSettled(status)) {
          return yield* Effect.fail(
            new HaiError.SessionFailed({
              sessionId: id,
              status,
              reason: "the watcher stopped before the session settled"
            })
          )
        }
        let answer: unknown = rawAnswer
        if (options.answer && Answer.validatedStatuses.has(status)) {
          if (rawAnswer === undefined || rawAnswer === null) {
            return yield* Effect.fail(
              new HaiError.AnswerValidationError({
                sessionId: id,
                raw: rawAnswer ?? null,
                issues: `the session settled (${status}) without an answer`
              })
            )
          }
          answer = yield* Answer.decode(options.answer, rawAnswer, id)
        }
        return {
          id,
          status,
          answer: answer as A,
          rawAnswer,
          outcome,
          error,
          errorCode,
          events,
          metrics: fromChanges?.metrics ?? (Option.isSome(changes) ? changes.value.metrics : undefined),
          changes,
          nextIndex: snapshot.count
        }
      })

    const deadlines = (wait: WaitOptions) =>
      Effect.all([
        wait.softDeadline === undefined ? Effect.void : Effect.forkScoped(
          Effect.sleep(wait.softDeadline).pipe(
            Effect.zipRight(hai.sessions.forceAnswer(id)),
            Effect.catchAll((e) => Effect.logWarning("force answer at the soft deadline failed", e.message))
          )
        ),
        wait.hardDeadline === undefined ? Effect.void : Effect.forkScoped(
          Effect.sleep(wait.hardDeadline).pipe(
            Effect.zipRight(Ref.set(hardDeadlineHit, true)),
            Effect.zipRight(hai.sessions.cancel(id)),
            Effect.catchAll((e) => Effect.logWarning("cancel at the hard deadline failed", e.message))
          )
        )
      ], { discard: true })
    const settledOrTimeout = (start: number, wait?: WaitOptions): Effect.Effect<Snapshot, HaiError.WaitTimeout> =>
      wait?.timeout === undefined ? waitFor(settledSince(start)) : waitFor(settledSince(start)).pipe(
        Effect.timeoutFail({ duration: wait.timeout, onTimeout: () => undefined }),
        Effect.catchAll(() =>
          Effect.flatMap(state.get, (s) =>
            Effect.fail(
              new HaiError.WaitTimeout({
                sessionId: id,
                lastStatus: s.status,
                waitedMillis: Duration.toMillis(Duration.decode(wait.timeout!))
              })
            ))
        )
      )
    // A scope only when there are deadline timers to tie to the wait: a plain wait (every turn of
    // most handles) holds nothing more than its callback while the session works.
    const awaitSettled = (wait?: WaitOptions) =>
      Effect.flatMap(Ref.get(turnStart), (start) => {
        const settle = Effect.flatMap(settledOrTimeout(start, wait), (snapshot) => finish(snapshot, start))
        return wait?.softDeadline === undefined && wait?.hardDeadline === undefined
          ? settle
          : Effect.scoped(Effect.zipRight(deadlines(wait), settle))
      }).pipe(Effect.withSpan("Session.awaitSettled", { attributes: { "hai.session_id": id } }))

    // Each step waits for the snapshot to move past what was emitted and takes every event since,
    // as one chunk: no queue of snapshots per reader, and a slow reader gets larger chunks, not a
    // backlog. The events come first, then the watcher's failure if it failed, then the end. The
    // position is the unfold's state, so each run of the stream starts from the first event.
    const events = (): Stream.Stream<ChangeFeed.IndexedEvent, HaiError.SessionError> =>
      Stream.unfoldChunkEffect(live.base, (emitted) =>
        Effect.flatMap(
          waitFor((s) => s.count > emitted || !s.watching || Option.isSome(s.failure)),
          (
            s
          ): Effect.Effect<
            Option.Option<readonly [Chunk.Chunk<ChangeFeed.IndexedEvent>, number]>,
            HaiError.SessionError
          > => {
            if (s.count > emitted) {
              const chunk = Chunk.unsafeFromArray(live.log.slice(emitted - live.base, s.count - live.base))
              return Effect.succeed(Option.some([chunk, s.count] as const))
            }
            return Option.isSome(s.failure) ? Effect.fail(s.failure.value) : Effect.succeed(Option.none())
          }
        ))

    const send = (input: Message | ReadonlyArray<Message>) =>
      Effect.gen(function*() {
        const current = yield* state.get
        const body = Array.isArray(input)
          ? { type: "batch" as const, messages: input.map(toWireMessage) }
          : toWireMessage(input as Message)
        yield* hai.sessions.sendMessages(id, body)
        // Only a message the service took starts a turn; a refused one leaves the current turn settled.
        yield* Ref.set(turnStart, current.count)
      }).pipe(Effect.withSpan("Session.send", { attributes: { "hai.session_id": id } }))

    // Getters: each operation is built when read, as most handles (every `Session.run`) use a few
    // of them at most, and a thousand watched sessions would otherwise carry them all.
    const handle: Handle<A> = {
      id,
      session: options.session,
      get status() {
        return Effect.map(state.get, (s) => s.status)
      },
      get statusChanges() {
        return Stream.changes(Stream.map(state.changes, (s) => s.status))
      },
      get get() {
        return hai.sessions.get(id)
      },
      changes: (feed) => Stream.provideService(ChangeFeed.events(id, feed), HaiAgents, hai),
      get events() {
        return events()
      },
      awaitSettled,
      send,
      get pause() {
        return hai.sessions.pause(id)
      },
      get resume() {
        return hai.sessions.resume(id)
      },
      get forceAnswer() {
        return hai.sessions.forceAnswer(id)
      },
      get cancel() {
        return hai.sessions.cancel(id)
      },
      get share() {
        return hai.sessions.share(id)
      },
      get unshare() {
        return hai.sessions.unshare(id)
      }
    }
    return { handle, watch: options.watchInline ? watcher : Effect.void }
  })

const withStore = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(
    Effect.serviceOption(SessionStore.SessionStore),
    (store): Effect.Effect<A, E, Exclude<R, SessionStore.SessionStore>> =>
      Option.isSome(store)
        ? Effect.provideService(effect, SessionStore.SessionStore, store.value)
        : Effect.flatMap(
          SessionStore.makeMemory,
          (memory) => Effect.provideService(effect, SessionStore.SessionStore, memory)
        )
  )

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
export const start: <A = unknown, I = unknown, T extends Toolkit.Any = Toolkit.Toolkit<never>>(
  request: StartRequest<A, I, T>
) => Effect.Effect<
  Handle<A>,
  HaiError.HaiError,
  HaiAgents | Scope.Scope | Toolkit.Requirements<T>
> // Effect.fn drops the signature's type parameters; the declared type above restores them.
 = Effect.fn("Session.start")((request: StartRequest<any, any, any>) =>
  Effect.map(startWatching(request, "terminal", request.onEvent), (watched) => watched.handle)
) as any

const startWatching = (
  request: StartRequest<any, any, any>,
  watchUntil: "settled" | "terminal",
  onEvent?: ((event: ChangeFeed.IndexedEvent) => Effect.Effect<void>) | undefined,
  watchInline = false
) =>
  Effect.gen(function*() {
    const hai = yield* HaiAgents
    const body = yield* toWireRequest(request)
    const state = Cell.make<Snapshot>({
      count: 0,
      status: "queued",
      settled: false,
      watching: true,
      failure: Option.none()
    })
    const cancelOnClose = request.cancelOnClose ?? "unsettled"
    const cancelTimeout = request.cancelTimeout ?? "10 seconds"
    const session = yield* Effect.acquireRelease(
      hai.sessions.create(body, { idempotencyKey: request.idempotencyKey }),
      (session) =>
        Effect.gen(function*() {
          const s = yield* state.get
          const owed = cancelOnClose === "always" || (cancelOnClose === "unsettled" && !ChangeFeed.isSettled(s.status))
          if (!owed) return
          yield* hai.sessions.cancel(session.id).pipe(
            Effect.timeout(cancelTimeout),
            Effect.catchAllCause((cause) =>
              Effect.logWarning(`could not cancel session ${session.id} on close; cancel it by hand`, cause)
            ),
            Effect.withSpan("Session.cancelOnClose", { attributes: { "hai.session_id": session.id } })
          )
        })
    )
    yield* Effect.annotateCurrentSpan("hai.session_id", session.id)
    state.unsafeUpdate((s) => ({ ...s, status: session.status.status }))
    return yield* withStore(makeHandle<any>({
      sessionId: session.id,
      session,
      fromIndex: 0,
      answer: request.answer,
      tools: request.tools,
      toolConcurrency: request.toolConcurrency ?? 4,
      watch: request.watch,
      watchUntil,
      onEvent,
      pending: [],
      state,
      watchInline
    }))
  })

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
export const attach: <A = unknown, I = unknown, T extends Toolkit.Any = Toolkit.Toolkit<never>>(
  sessionId: string,
  options?: {
    readonly fromIndex?: number | undefined
    readonly answer?: Schema.Schema<A, I> | undefined
    readonly tools?: T | undefined
    readonly toolConcurrency?: number | undefined
    readonly watch?: Omit<ChangeFeed.Options, "fromIndex" | "until"> | undefined
    readonly cancelOnClose?: "unsettled" | "always" | "never" | undefined
    readonly cancelTimeout?: Duration.DurationInput | undefined
    /** Called with each event from `fromIndex` (or the saved checkpoint) on, as for {@link start}. */
    readonly onEvent?: ((event: ChangeFeed.IndexedEvent) => Effect.Effect<void>) | undefined
  }
) => Effect.Effect<
  Handle<A>,
  HaiError.HaiError | HaiError.PersistenceError,
  HaiAgents | Scope.Scope | Toolkit.Requirements<T>
> = Effect.fn("Session.attach")(function*(sessionId: string, options?: any) {
  const hai = yield* HaiAgents
  yield* Effect.annotateCurrentSpan("hai.session_id", sessionId)
  const session = yield* hai.sessions.get(sessionId)
  const state = Cell.make<Snapshot>({
    count: 0,
    status: session.status.status,
    settled: false,
    watching: true,
    failure: Option.none()
  })
  const cancelOnClose = options?.cancelOnClose ?? "never"
  if (cancelOnClose !== "never") {
    yield* Effect.addFinalizer(() =>
      Effect.gen(function*() {
        const s = yield* state.get
        if (cancelOnClose === "unsettled" && ChangeFeed.isSettled(s.status)) return
        yield* hai.sessions.cancel(sessionId).pipe(
          Effect.timeout(options?.cancelTimeout ?? "10 seconds"),
          Effect.catchAllCause((cause) => Effect.logWarning(`could not cancel session ${sessionId} on close`, cause))
        )
      })
    )
  }
  return yield* withStore(Effect.gen(function*() {
    const store = yield* SessionStore.SessionStore
    const checkpoint = options?.fromIndex === undefined ? yield* store.loadCheckpoint(sessionId) : Option.none()
    const fromIndex = Option.isSome(checkpoint) ? checkpoint.value.cursor : options?.fromIndex ?? 0
    state.unsafeUpdate((s) => ({ ...s, count: fromIndex }))
    const { handle } = yield* makeHandle({
      sessionId,
      session,
      fromIndex,
      answer: options?.answer,
      tools: options?.tools,
      toolConcurrency: options?.toolConcurrency ?? 4,
      watch: options?.watch,
      watchUntil: "terminal",
      onEvent: options?.onEvent,
      pending: Option.isSome(checkpoint) ? checkpoint.value.pending : [],
      state
    })
    return handle
  }))
  // Effect.fn drops the signature's type parameters; the declared type above restores them.
}) as any

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
export const run: <A = unknown, I = unknown, T extends Toolkit.Any = Toolkit.Toolkit<never>>(
  request: RunRequest<A, I, T>
) => Effect.Effect<Result<A>, HaiError.SessionError, HaiAgents | Toolkit.Requirements<T>> = Effect.fn("Session.run")(
  function*<A, I, T extends Toolkit.Any>(request: RunRequest<A, I, T>) {
    return yield* Effect.scoped(Effect.gen(function*() {
      // onEvent runs inside the watcher, in order, before the turn can settle: nothing is missed.
      // Without a deadline nothing has to happen while the watcher runs, so it runs right here;
      // when it returns the session has settled (or the watcher failed) and the wait is immediate.
      const inline = request.timeout === undefined && request.softDeadline === undefined
        && request.hardDeadline === undefined
      const { handle, watch } = yield* startWatching(request, "settled", request.onEvent, inline)
      yield* Effect.annotateCurrentSpan("hai.session_id", handle.id)
      yield* watch
      return yield* handle.awaitSettled(request)
    }))
  }
  // Effect.fn drops the signature's type parameters; the declared type above restores them.
) as any

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
