/**
 * Agent sessions as durable workflow steps: {@link run} is `Session.run` for the body of an
 * `@effect/workflow` `Workflow`, and it survives the process that runs it.
 *
 * What each part of a step becomes:
 * - the create is an `Activity` whose `Idempotency-Key` is derived from the workflow's execution
 *   id and the step's name, so a replay after a crash (even one between the request and its
 *   answer) finds the session it created instead of starting a second one;
 * - the wait for the session to settle is a `DurableClock` whose `DurableDeferred` is completed by
 *   whichever comes first: a webhook routed by `DurableWebhooks`, or the clock itself (the
 *   fallback status check). While it waits, the workflow holds no fiber, on any runner;
 * - each custom tool call is an `Activity` keyed by its call id: once it has returned, a replay
 *   reads its result and never runs it again; the results are posted to the session as
 *   `Session.run` posts them;
 * - the answer is decoded with the request's Schema, with the same tagged errors as `Session.run`
 *   (`AnswerValidationError`, `NoAnswer`, `SessionFailed`, `WaitTimeout`, any `HaiError`);
 * - interrupting the workflow (`Workflow.interrupt`) or failing it cancels every session it left
 *   unsettled (a compensation), and a step that fails before its session settled cancels it.
 *
 * What crosses a restart, and what does not: the step runs again from its workflow's body on
 * whichever runner picks it up, so the request is rebuilt by code. Plain data (agent, messages,
 * overrides, budgets: see {@link Spec} to carry them in a workflow's payload) is sent as is. The
 * answer Schema and the toolkit are code: define them at module level, and register the same
 * workflow layer (which imports them) on every runner. Callbacks (`onEvent`), handles, Streams
 * and `Scope`s of `Session.start` cannot cross a restart and are not offered here.
 *
 * A tool call's activity may run again when its runner died while it ran (its result was never
 * recorded). Give the outside world the call's stable key ({@link ToolCall}'s `idempotencyKey`)
 * so it applies the side effect once.
 *
 * @example
 * import { Workflow } from "@effect/workflow"
 * import { Effect, Schema } from "effect"
 * import { DurableSession } from "@hai-effect/workflow"
 *
 * const Jobs = Schema.Struct({ jobs: Schema.Array(Schema.Struct({ title: Schema.String, url: Schema.String })) })
 *
 * const FindJobs = Workflow.make({
 *   name: "FindJobs",
 *   payload: { city: Schema.String },
 *   success: Jobs,
 *   error: DurableSession.SessionError,
 *   idempotencyKey: ({ city }) => city
 * })
 *
 * export const FindJobsLive = FindJobs.toLayer(({ city }) =>
 *   Effect.map(
 *     DurableSession.run({
 *       step: "find",
 *       agent: "h/web-surfer-holo3-1-35b",
 *       messages: `Find 3 open ML engineering roles in ${city}.`,
 *       answer: Jobs
 *     }),
 *     (result) => result.answer
 *   )
 * )
 *
 * @since 0.1.0
 */
import * as Activity from "@effect/workflow/Activity"
import * as DurableClock from "@effect/workflow/DurableClock"
import * as DurableDeferred from "@effect/workflow/DurableDeferred"
import * as Workflow from "@effect/workflow/Workflow"
import * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import * as Answer from "@hai-effect/core/Answer"
import * as ChangeFeed from "@hai-effect/core/ChangeFeed"
import { HaiAgents } from "@hai-effect/core/HaiAgents"
import * as HaiError from "@hai-effect/core/HaiError"
import type * as Overrides from "@hai-effect/core/Overrides"
import * as Session from "@hai-effect/core/Session"
import * as SessionStore from "@hai-effect/core/SessionStore"
import type * as Toolkit from "@hai-effect/core/Toolkit"
import * as Wire from "@hai-effect/core/Wire"
import * as Cause from "effect/Cause"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Tools from "./internal/tools.js"
import { SessionLimit } from "./SessionLimit.js"
import { SessionRoutes } from "./SessionRoutes.js"

// =============================================================================
// Models
// =============================================================================

/**
 * What {@link run} takes: the fields of `Session.run`'s request that can be rebuilt on any
 * runner, a `step` name, and the durable wait's settings.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Request<A = unknown, I = unknown, T extends Toolkit.Any = Toolkit.Toolkit<never>> {
  /**
   * Names this step within its workflow, like an `Activity` name: unique per workflow execution
   * and the same on every replay. The session's `Idempotency-Key` is derived from it.
   */
  readonly step: string
  /** A catalog agent's name (`"h/web-surfer-holo3-1-35b"`) or an inline agent definition. */
  readonly agent: string | typeof Wire.Agent.Encoded
  /** The task: text, a message with images, or several messages. */
  readonly messages?: Session.Message | ReadonlyArray<Session.Message> | undefined
  /** The answer's Schema: sent as `answer_format`, used to decode the answer. Code: define it at module level. */
  readonly answer?: Schema.Schema<A, I> | undefined
  /** Custom tools the agent may call. Code: register the same workflow layer on every runner. */
  readonly tools?: T | undefined
  /** Most steps the agent may take (`max_steps`). */
  readonly maxSteps?: number | undefined
  /** Most time the agent may run (`max_time_s`). */
  readonly maxTime?: Duration.DurationInput | undefined
  /** After each answer, how long the session waits idle for a follow-up (`idle_timeout_s`). */
  readonly idleTimeout?: Duration.DurationInput | undefined
  /** Overrides over the resolved request. */
  readonly overrides?: Overrides.Overrides | undefined
  /** Wait for a slot when over the concurrency quota (default `true`), instead of failing with 429. */
  readonly queue?: boolean | undefined
  /** Any other field of the wire request (`group_id`, `delete_after_min`, ...). */
  readonly request?: Partial<typeof Wire.SessionRequest.Encoded> | undefined
  /** Most tool calls run at once. Default 4. */
  readonly toolConcurrency?: number | undefined
  /**
   * How long the step waits for a webhook before it checks the session's status itself. Default
   * 30 seconds; with no webhook set up, this is the polling interval.
   */
  readonly pollInterval?: Duration.DurationInput | undefined
  /**
   * Fail with `WaitTimeout` (and cancel the session) when it has not settled this long after it
   * was created. Counted across restarts.
   */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * The plain-data part of a {@link Request}, as a Schema: put it in a workflow's payload to carry
 * a whole request across runners (durations as milliseconds). The `step`, the answer Schema and
 * the tools stay in code.
 *
 * @example
 * import { Workflow } from "@effect/workflow"
 * import { Schema } from "effect"
 * import { DurableSession } from "@hai-effect/workflow"
 *
 * const RunAgent = Workflow.make({
 *   name: "RunAgent",
 *   payload: { id: Schema.String, spec: DurableSession.Spec },
 *   error: DurableSession.SessionError,
 *   idempotencyKey: ({ id }) => id
 * })
 *
 * export const RunAgentLive = RunAgent.toLayer(({ spec }) => DurableSession.run({ ...spec, step: "run" }))
 *
 * @since 0.1.0
 * @category Schemas
 */
export const Spec = Schema.Struct({
  agent: Schema.Union(Schema.String, Schema.encodedSchema(Wire.Agent)),
  messages: Schema.optional(Schema.Union(
    Schema.String,
    Schema.Struct({ message: Schema.String, images: Schema.optional(Schema.Array(Schema.String)) }),
    Schema.Array(Schema.Union(
      Schema.String,
      Schema.Struct({ message: Schema.String, images: Schema.optional(Schema.Array(Schema.String)) })
    ))
  )),
  maxSteps: Schema.optional(Schema.Number),
  maxTime: Schema.optional(Schema.DurationFromMillis),
  idleTimeout: Schema.optional(Schema.DurationFromMillis),
  overrides: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  queue: Schema.optional(Schema.Boolean),
  request: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  pollInterval: Schema.optional(Schema.DurationFromMillis),
  timeout: Schema.optional(Schema.DurationFromMillis)
})

/**
 * The failures of {@link run}, as one Schema: use it as (part of) a workflow's `error`, so the
 * tagged errors cross runners intact.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const SessionError = Schema.Union(
  HaiError.HaiError,
  HaiError.AnswerValidationError,
  HaiError.NoAnswer,
  HaiError.SessionFailed,
  HaiError.WaitTimeout,
  HaiError.WaitRoundsExceeded,
  HaiError.PersistenceError,
  HaiError.WatcherStopped
)

/**
 * The tool call being run, for tool handlers called by {@link run}: `idempotencyKey` is the
 * same on every attempt of this call, on every runner, so a system that dedupes on it applies
 * the side effect once even when a crash made the call run twice.
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { Tool } from "@hai-effect/core"
 * import { DurableSession } from "@hai-effect/workflow"
 *
 * const charge = Tool.make("charge", {
 *   description: "Charge the customer",
 *   parameters: Schema.Struct({ cents: Schema.Number }),
 *   handler: ({ cents }) =>
 *     Effect.map(DurableSession.ToolCall, (call) => ({ cents, idempotencyKey: call.idempotencyKey }))
 * })
 *
 * @since 0.1.0
 * @category Tags
 */
export class ToolCall extends Context.Tag("@hai-effect/workflow/DurableSession/ToolCall")<ToolCall, {
  readonly sessionId: string
  readonly step: string
  readonly toolName: string
  /** The call's id as the agent announced it (`null` when it gave none). */
  readonly callId: string | null
  /** Stable across attempts, replays and runners. */
  readonly idempotencyKey: string
  /** 1 on the first run of this call. */
  readonly attempt: number
}>() {}

// =============================================================================
// Activities' records
// =============================================================================

const Created = Schema.Struct({
  id: Schema.String,
  status: Schema.String,
  /** When the create returned, by the runner's clock: the origin of `timeout`. */
  at: Schema.Number
})

const Final = Schema.Struct({
  error: Schema.NullOr(Schema.String),
  errorCode: Schema.NullOr(Schema.String),
  answer: Schema.optional(Schema.Unknown),
  outcome: Schema.NullOr(Schema.String)
})

const Observation = Schema.Struct({
  events: Schema.Array(Wire.SessionEvent),
  status: Wire.TrajectoryStatus,
  /** The last `/changes` 200 body of the round, without its events (they are in `events`). */
  changes: Schema.OptionFromNullOr(Wire.SessionChanges),
  now: Schema.Number,
  /** Read once the session settled: what the result needs beyond the feed. */
  final: Schema.optional(Final)
})
type Observation = typeof Observation.Type

const ActivityError = Schema.Union(HaiError.HaiError, HaiError.PersistenceError)

/**
 * The deferred a webhook completes: the wake-up of a step's current wait. Its name comes from the
 * token, so one value serves every step and round.
 *
 * @internal
 */
export const wakeDeferred = DurableDeferred.make("hai/wake")

/**
 * Statuses worth waking a waiting step for: it has something to do (run tools) or to return.
 *
 * @since 0.1.0
 * @category Utils
 */
export const isActionable = (status: string): boolean =>
  status === "awaiting_tool_results" || ChangeFeed.isSettled(status)

const isAnswerEvent = (event: Wire.SessionEvent): event is Wire.AgentEvent =>
  event.type === "AgentEvent" && (event as Wire.AgentEvent).data.kind === "answer_event"

const answerOf = (events: ReadonlyArray<Wire.SessionEvent>) => {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i]
    if (isAnswerEvent(event)) {
      const data = event.data as Wire.AnswerEvent
      return { answer: data.answer as unknown, outcome: (data.outcome ?? null) as string | null }
    }
  }
  return undefined
}

// The feed has caught up with an actionable status when its last event is the one that announced it.
const caughtUp = (events: ReadonlyArray<Wire.SessionEvent>, status: string): boolean => {
  const last = events[events.length - 1]
  if (last === undefined) return true
  if (last.type === "ActiveStateChangeEvent") {
    const state = (last as Wire.ActiveStateChangeEvent).data.state
    return state === status
  }
  return ChangeFeed.isTerminal(status) && (last.type === "AgentCompletionEvent" || last.type === "AgentErrorEvent")
}

const transientRetry = <A, E extends HaiError.HaiError, R>(
  effect: Effect.Effect<A, E, R>,
  retryable: (e: E) => boolean = Tools.isTransient
) => Effect.retry(effect, { schedule: ChangeFeed.defaultRetrySchedule, while: retryable })

// A 429 stays the create's caller's answer (`queue: false` asks for it); other transient failures are retried.
const createRetryable = (e: HaiError.HaiError) => Tools.isTransient(e) && e._tag !== "RateLimited"

const durationMillis = (d: Duration.DurationInput) => Duration.toMillis(Duration.decode(d))

// =============================================================================
// The step
// =============================================================================

/**
 * Runs one agent session as a durable step of the current workflow and returns the same typed
 * `Result` as `Session.run`. Call it from a workflow body (not from inside an `Activity`), as
 * often as the workflow needs, each call with its own `step` name.
 *
 * @example
 * import { Workflow } from "@effect/workflow"
 * import { Effect, Schema } from "effect"
 * import { Tool, Toolkit } from "@hai-effect/core"
 * import { DurableSession } from "@hai-effect/workflow"
 *
 * const Company = Schema.Struct({ name: Schema.String, employees: Schema.Number })
 * const lookup = Tool.make("lookup_company", {
 *   description: "Size of a company",
 *   parameters: Schema.Struct({ name: Schema.String }),
 *   handler: ({ name }) => Effect.succeed({ name, employees: 120 })
 * })
 * const tools = Toolkit.make(lookup)
 *
 * const Enrich = Workflow.make({
 *   name: "Enrich",
 *   payload: { company: Schema.String },
 *   success: Company,
 *   error: DurableSession.SessionError,
 *   idempotencyKey: ({ company }) => company
 * })
 *
 * export const EnrichLive = Enrich.toLayer(({ company }) =>
 *   Effect.map(
 *     DurableSession.run({
 *       step: "enrich",
 *       agent: "h/web-surfer-holo3-1-35b",
 *       messages: `How many people work at ${company}? Use lookup_company.`,
 *       answer: Company,
 *       tools,
 *       pollInterval: "1 minute"
 *     }),
 *     (result) => result.answer
 *   )
 * )
 *
 * @since 0.1.0
 * @category Constructors
 */
export const run: <A = unknown, I = unknown, T extends Toolkit.Any = Toolkit.Toolkit<never>>(
  request: Request<A, I, T>
) => Effect.Effect<
  Session.Result<A>,
  HaiError.SessionError,
  | HaiAgents
  | SessionRoutes
  | WorkflowEngine.WorkflowEngine
  | WorkflowEngine.WorkflowInstance
  | Scope.Scope
  | Exclude<Toolkit.Requirements<T>, ToolCall>
> = Effect.fn("DurableSession.run")(function*(request: Request<any, any, any>) {
  const hai = yield* HaiAgents
  const routes = yield* SessionRoutes
  const step = request.step
  const prefix = `hai/${step}`
  yield* Effect.annotateCurrentSpan("hai.step", step)
  const body = yield* Session.toWireRequest(request)
  const pollMillis = durationMillis(request.pollInterval ?? "30 seconds")
  const timeoutMillis = request.timeout === undefined ? undefined : durationMillis(request.timeout)

  // ---- create, once per step --------------------------------------------------------------
  const idempotencyKey = `hai-wf-${yield* Activity.idempotencyKey(`${prefix}/create`)}`
  const limit = Option.getOrUndefined(yield* Effect.serviceOption(SessionLimit))
  const created = yield* Workflow.withCompensation(
    Activity.make({
      name: `${prefix}/create`,
      success: Created,
      error: HaiError.HaiError,
      execute: Effect.flatMap(
        // The key makes a retried create find the session the lost attempt made: a transient
        // failure (the service or the network unreachable for a while) must not fail the workflow.
        Effect.zipRight(
          limit === undefined ? Effect.void : limit.acquire(idempotencyKey),
          transientRetry(hai.sessions.create(body, { idempotencyKey }), createRetryable)
        ),
        (session) =>
          Effect.map(Clock.currentTimeMillis, (at) => ({ id: session.id, status: session.status.status, at }))
      )
    }),
    // The workflow failed or was interrupted (`Workflow.interrupt`): a session it left running
    // must not run on. An interruption the workflow did not ask for is a runner handing the
    // workflow over (a shard moved, a deploy, a shutdown): it resumes elsewhere, on this session.
    (created, cause) =>
      Effect.flatMap(
        WorkflowEngine.WorkflowInstance,
        (instance) =>
          Cause.isInterruptedOnly(cause) && !instance.interrupted ? Effect.void : cancelUnsettled(created.id)
      )
  )
  const id = created.id
  yield* Effect.annotateCurrentSpan("hai.session_id", id)

  // ---- follow it, each round an activity; wait durably between rounds ----------------------
  const events: Array<ChangeFeed.IndexedEvent> = []
  let status: string = created.status
  let lastChanges: Option.Option<Wire.SessionChanges> = Option.none()
  let lastRoundEvents: ReadonlyArray<Wire.SessionEvent> = []
  let pending: ReadonlyArray<SessionStore.PendingCall> = []
  let final: typeof Final.Type | undefined
  let now = created.at
  const handled = new Set<string>()

  const loop = Effect.gen(function*() {
    for (let round = 0;; round++) {
      const wake = { name: `${prefix}/wake/${round}`, duration: pollMillis }
      const token = yield* DurableDeferred.token(DurableClock.make(wake).deferred)
      const seenAnswer = answerOf(events.map((e) => e.event)) !== undefined
      const observation: Observation = yield* Activity.make({
        name: `${prefix}/observe/${round}`,
        success: Observation,
        error: ActivityError,
        execute: observe({ id, fromIndex: events.length, token, seenAnswer })
      })
      for (const event of observation.events) {
        events.push({ index: events.length, event })
        if (event.type === "ActiveStateChangeEvent") {
          const data = (event as Wire.ActiveStateChangeEvent).data
          pending = data.state === "awaiting_tool_results" ? data.pending_tool_calls ?? [] : []
        }
      }
      status = observation.status
      now = observation.now
      if (Option.isSome(observation.changes)) {
        lastChanges = observation.changes
        lastRoundEvents = observation.events
      }
      if (ChangeFeed.isSettled(status)) {
        final = observation.final
        return
      }
      // A session this runner took over counts against its limit until it settles.
      if (limit !== undefined) yield* limit.adopt(idempotencyKey)

      if (status === "awaiting_tool_results") {
        const fresh = pending.filter((call) => !handled.has(SessionStore.callKey(call)))
        if (fresh.length > 0) {
          yield* runTools(id, fresh, round)
          for (const call of fresh) handled.add(SessionStore.callKey(call))
          continue
        }
      }

      let wait = pollMillis
      if (timeoutMillis !== undefined) {
        const left = created.at + timeoutMillis - now
        if (left <= 0) {
          return yield* Effect.fail(
            new HaiError.WaitTimeout({ sessionId: id, lastStatus: status, waitedMillis: timeoutMillis })
          )
        }
        wait = Math.min(wait, left)
      }
      // The clock's deferred is the one the route names: a webhook completes it early.
      yield* DurableClock.sleep({ ...wake, duration: wait, inMemoryThreshold: Duration.zero })
    }
  })

  const runTools = (sessionId: string, calls: ReadonlyArray<SessionStore.PendingCall>, round: number) =>
    Effect.gen(function*() {
      const outcomes = yield* Effect.forEach(calls, (call) =>
        Effect.gen(function*() {
          const key = SessionStore.callKey(call)
          const name = call.id !== undefined && call.id !== null && call.id !== ""
            ? `${prefix}/tool/${call.id}`
            : `${prefix}/tool/${yield* Activity.idempotencyKey(key)}`
          const idempotencyKey = yield* Activity.idempotencyKey(name)
          return yield* Activity.make({
            name,
            success: Tools.Outcome,
            execute: Effect.flatMap(Activity.CurrentAttempt, (attempt) =>
              Effect.provideService(Tools.run(request.tools, call), ToolCall, {
                sessionId,
                step,
                toolName: call.tool_name,
                callId: call.id ?? null,
                idempotencyKey,
                attempt
              }))
          })
        }), { concurrency: request.toolConcurrency ?? 4 })
      yield* Activity.make({
        name: `${prefix}/results/${round}`,
        error: HaiError.HaiError,
        // Results are keyed by call id: posting them again cannot act twice (the service answers
        // 409 or 422 for calls it already has), so a lost or failed post is retried.
        execute: hai.sessions.sendToolResults(sessionId, {
          type: "batch",
          results: calls.map((call, i) => Tools.toWire(call, outcomes[i]))
        }).pipe(
          Effect.retry({ schedule: Tools.postRetry, while: Tools.isTransient }),
          Effect.catchTags({
            Conflict: () => Effect.logDebug("tool results after the session settled were ignored (409)"),
            Unprocessable: (e) => Effect.logWarning("the service refused tool results", e.message)
          })
        )
      })
    })

  const observe = (options: {
    readonly id: string
    readonly fromIndex: number
    readonly token: string
    readonly seenAnswer: boolean
  }): Effect.Effect<Observation, HaiError.HaiError | HaiError.PersistenceError> =>
    Effect.gen(function*() {
      // The route is written before the status is read: a webhook sent after this read finds it.
      yield* routes.set(options.id, options.token)
      const fresh: Array<Wire.SessionEvent> = []
      let changes: Option.Option<Wire.SessionChanges> = Option.none()
      let current: string
      for (;;) {
        const answer = yield* transientRetry(hai.sessions.changes(options.id, {
          from_index: options.fromIndex + fresh.length,
          include_events: true,
          wait_for_seconds: 0
        }))
        if (Option.isNone(answer)) {
          current = Option.isSome(changes)
            ? changes.value.status
            : (yield* transientRetry(hai.sessions.status(options.id))).status
          break
        }
        const got = answer.value.new_events ?? []
        fresh.push(...got)
        changes = Option.some(new Wire.SessionChanges({ ...answer.value, new_events: undefined }))
        current = answer.value.status
        // Read on until the feed has caught up with what the status announces (the pending calls,
        // the answer); a running session needs no more than one read per round.
        if (got.length === 0 || !isActionable(current) || caughtUp(fresh, current)) break
      }
      const result: { -readonly [K in keyof Observation]: Observation[K] } = {
        events: fresh,
        status: current as Wire.TrajectoryStatus,
        changes,
        now: yield* Clock.currentTimeMillis
      }
      if (ChangeFeed.isSettled(current)) {
        yield* routes.remove(options.id)
        const c = Option.getOrUndefined(changes)
        let error = c?.error ?? null
        let errorCode: string | null = c?.error_code ?? null
        if (ChangeFeed.isTerminal(current) && current !== "completed") {
          const s = yield* transientRetry(hai.sessions.status(options.id))
          error = s.error ?? error
          errorCode = s.error_code ?? errorCode
        }
        let answer: unknown = undefined
        let outcome: string | null = null
        const inFeed = options.seenAnswer || answerOf(fresh) !== undefined
          || (c?.answer !== undefined && c.answer !== null)
        if (!inFeed && Answer.validatedStatuses.has(current)) {
          const latest = yield* transientRetry(
            hai.sessions.changes(options.id, { from_index: 0, include_events: false })
          )
          if (Option.isSome(latest)) {
            answer = latest.value.answer ?? undefined
            outcome = latest.value.outcome ?? null
          }
        }
        result.final = { error, errorCode, outcome, ...(answer !== undefined ? { answer } : {}) }
      }
      return result
    })

  const cancel = Activity.make({
    name: `${prefix}/cancel`,
    execute: cancelUnsettled(id)
  })

  // A step that fails before its session settled cancels it, as `Session.run` does.
  yield* Effect.catchAll(loop, (error) => Effect.zipRight(cancel, Effect.fail(error))).pipe(
    // Not on interruption: that is how a workflow suspends while its session still runs.
    Effect.onExit((exit) =>
      limit === undefined || (Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause))
        ? Effect.void
        : limit.release(idempotencyKey)
    )
  )

  // ---- the result, as `Session.run` builds it ----------------------------------------------
  const all = events.map((e) => e.event)
  const fromEvents = answerOf(all)
  const c = Option.getOrUndefined(lastChanges)
  let rawAnswer: unknown = undefined
  let outcome: Wire.AnswerOutcome | null = null
  if (fromEvents !== undefined) {
    rawAnswer = fromEvents.answer
    outcome = fromEvents.outcome as Wire.AnswerOutcome | null
  } else if (c !== undefined && c.answer !== undefined && c.answer !== null) {
    rawAnswer = c.answer
    outcome = c.outcome ?? null
  } else if (final?.answer !== undefined) {
    rawAnswer = final.answer
    outcome = final.outcome as Wire.AnswerOutcome | null
  }
  const error = final?.error ?? c?.error ?? null
  const errorCode = (final?.errorCode ?? c?.error_code ?? null) as Wire.SessionErrorCode | null
  if (ChangeFeed.isTerminal(status) && status !== "completed") {
    return yield* Effect.fail(new HaiError.SessionFailed({ sessionId: id, status, error, errorCode }))
  }
  let answer: unknown = rawAnswer
  if (request.answer && Answer.validatedStatuses.has(status)) {
    if (rawAnswer === undefined || rawAnswer === null) {
      return yield* Effect.fail(new HaiError.NoAnswer({ sessionId: id, status, nextIndex: events.length }))
    }
    answer = yield* Answer.decode(request.answer, rawAnswer, id)
  }
  const result: Session.Result<unknown> = {
    id,
    status: status as Wire.TrajectoryStatus,
    answer,
    rawAnswer,
    outcome,
    error,
    errorCode,
    events,
    metrics: c?.metrics,
    changes: c === undefined
      ? Option.none()
      : Option.some(new Wire.SessionChanges({ ...c, new_events: lastRoundEvents })),
    nextIndex: events.length
  }
  return result
  // Effect.fn drops the signature's type parameters; the declared type above restores them.
}) as any

/**
 * Cancels a session unless it already settled; failures are logged, never raised (it runs as a
 * compensation and while a step fails).
 */
const cancelUnsettled = (sessionId: string): Effect.Effect<void, never, HaiAgents> =>
  Effect.gen(function*() {
    const hai = yield* HaiAgents
    const status = yield* hai.sessions.status(sessionId)
    if (ChangeFeed.isSettled(status.status)) return
    yield* hai.sessions.cancel(sessionId)
  }).pipe(
    Effect.timeout("30 seconds"),
    Effect.catchAllCause((cause) =>
      Effect.logWarning(`could not cancel session ${sessionId}; cancel it by hand`, cause)
    ),
    Effect.withSpan("DurableSession.cancel", { attributes: { "hai.session_id": sessionId } })
  )
