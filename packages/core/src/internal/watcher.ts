/**
 * The watcher of a session: the one fiber per session that steps through its change feed. Each
 * round it appends the events to the session's log, hands each event to `onEvent`, saves the
 * checkpoint (before `onEvent` with `delivery: "at-most-once"`), publishes the session's snapshot (which resumes the handle's readers) and runs the
 * tools the agent called.
 *
 * @since 0.1.0
 * @internal
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Predicate from "effect/Predicate"
import type * as Scope from "effect/Scope"
import type * as ChangeFeed from "../ChangeFeed.js"
import { HaiAgents, type Service as Client } from "../HaiAgents.js"
import * as HaiError from "../HaiError.js"
import * as RetryPolicy from "../RetryPolicy.js"
import * as SessionStore from "../SessionStore.js"
import * as ToolCall from "../ToolCall.js"
import type * as Toolkit from "../Toolkit.js"
import type * as Wire from "../Wire.js"
import type * as Cell from "./cell.js"
import * as Feed from "./changeFeed.js"
import * as Retrying from "./retrying.js"

/** What the handle's readers wait on; published by the watcher once per round. */
export interface Snapshot {
  /** The index after the last event seen. */
  readonly count: number
  readonly status: Wire.TrajectoryStatus
  /** Settled and drained. */
  readonly settled: boolean
  /** The watcher is still reading the feed. */
  readonly watching: boolean
  /** Rounds of the feed read so far (absent before the first). */
  readonly rounds?: number | undefined
  readonly failure: Option.Option<HaiError.HaiError | HaiError.PersistenceError | HaiError.WatcherStopped>
}

/** What the watcher has received, written by it alone (before it publishes the round). */
export interface Log {
  /** The index of the first event in `events`. */
  readonly base: number
  readonly events: Array<ChangeFeed.IndexedEvent>
  lastChanges: Option.Option<Wire.SessionChanges>
  /** `count` when `lastChanges` arrived, to tell which turn its answer belongs to. */
  lastChangesAt: number
  pending: ReadonlyArray<SessionStore.PendingCall>
}

export type OnEvent = (event: ChangeFeed.IndexedEvent) => Effect.Effect<void>

export interface Options<T extends Toolkit.Any> {
  readonly sessionId: string
  readonly fromIndex: number
  readonly tools: T | undefined
  readonly toolConcurrency: number
  readonly watch: Omit<ChangeFeed.Options, "fromIndex" | "until"> | undefined
  /** `"settled"` for one-shot runs (no long-poll left open after the answer), else `"terminal"`. */
  readonly until: "settled" | "terminal"
  /** Called with each event in order, before turn waits see the round. */
  readonly onEvent: OnEvent | undefined
  /** When the checkpoint is saved: after `onEvent` (default) or before it. */
  readonly delivery?: "at-least-once" | "at-most-once" | undefined
  /** The calls pending at the checkpoint this watcher resumes from. */
  readonly pending: ReadonlyArray<SessionStore.PendingCall>
  readonly state: Cell.Cell<Snapshot>
}

export interface Watcher<R> {
  readonly log: Log
  /** Runs until the feed ends or fails; the failure is published, not raised. */
  readonly run: Effect.Effect<void, never, R>
}

type Failure = HaiError.HaiError | HaiError.PersistenceError

const describe = (defect: unknown): string => {
  if (defect instanceof Error) return `${defect.name}: ${defect.message}`
  return Predicate.hasProperty(defect, "message") ? String(defect.message) : String(defect)
}

/** Why a watcher died rather than failed: a defect of the code it runs (`onEvent`, say), or an interruption. */
const stopped = (sessionId: string, lastStatus: string, cause: Cause.Cause<unknown>) =>
  Cause.isInterruptedOnly(cause)
    ? new HaiError.WatcherStopped({ sessionId, lastStatus, reason: "it was interrupted" })
    : new HaiError.WatcherStopped({
      sessionId,
      lastStatus,
      reason: `it died: ${describe(Cause.squash(cause))}`,
      cause: Cause.squash(cause)
    })

const record = (log: Log, round: ChangeFeed.Round) => {
  for (const item of round.events) {
    log.events.push(item)
    if (item.event.type === "ActiveStateChangeEvent") {
      const data = (item.event as Wire.ActiveStateChangeEvent).data
      log.pending = data.state === "awaiting_tool_results" ? data.pending_tool_calls ?? [] : []
    }
  }
  if (Option.isSome(round.changes)) {
    log.lastChanges = round.changes
    log.lastChangesAt = round.nextIndex
  }
}

const announced = (
  events: ReadonlyArray<Wire.SessionEvent>,
  first: number,
  upTo: number,
  found: ReadonlyArray<SessionStore.PendingCall>
) => {
  let pending = found
  events.forEach((event, i) => {
    if (first + i < upTo && event.type === "ActiveStateChangeEvent") {
      const data = (event as Wire.ActiveStateChangeEvent).data
      pending = data.state === "awaiting_tool_results" ? data.pending_tool_calls ?? [] : []
    }
  })
  return pending
}

/**
 * The calls pending as of index `upTo`, read from the start of the feed: for a watcher that joined
 * after the event announcing them (an attach past it, a checkpoint without them), as the official
 * SDKs do. Read at once, page by page, without waiting.
 */
const pendingFromStart = (
  hai: Client,
  sessionId: string,
  upTo: number,
  from = 0,
  found: ReadonlyArray<SessionStore.PendingCall> = []
): Effect.Effect<ReadonlyArray<SessionStore.PendingCall>, HaiError.HaiError> =>
  Effect.flatMap(
    Retrying.retryWhen(
      hai.sessions.changes(sessionId, { from_index: from, wait_for_seconds: 0, include_events: true }),
      Feed.defaultRetrySchedule,
      RetryPolicy.isTransient
    ),
    (answer) => {
      const events = Option.isSome(answer) ? answer.value.new_events ?? [] : []
      const pending = announced(events, from, upTo, found)
      const next = from + events.length
      return events.length === 0 || next >= upTo
        ? Effect.succeed(pending)
        : pendingFromStart(hai, sessionId, upTo, next, pending)
    }
  )

// Each event is handed over once the previous one's effect is done, in order.
const deliver = (onEvent: OnEvent, events: ReadonlyArray<ChangeFeed.IndexedEvent>, i = 0): Effect.Effect<void> =>
  i >= events.length ? Effect.void : Effect.flatMap(onEvent(events[i]), () => deliver(onEvent, events, i + 1))

export const make = <T extends Toolkit.Any>(
  options: Options<T>
): Effect.Effect<Watcher<Toolkit.Requirements<T>>, never, HaiAgents | SessionStore.SessionStore | Scope.Scope> =>
  Effect.gen(function*() {
    const hai = yield* HaiAgents
    const store = yield* SessionStore.SessionStore
    const id = options.sessionId
    const { onEvent, state, tools } = options
    const atMostOnce = options.delivery === "at-most-once"
    const log: Log = {
      base: options.fromIndex,
      events: [],
      lastChanges: Option.none(),
      lastChangesAt: -1,
      pending: options.pending
    }
    // The caller's code run by the watcher (`onEvent`, tool handlers) is traced as the caller was.
    const traced = yield* FiberRef.get(FiberRef.currentTracerEnabled)
    const asCaller = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
      traced ? Effect.withTracerEnabled(effect, true) : effect
    const runTools = (toolkit: T) =>
      ToolCall.runPending({ sessionId: id, toolkit, pending: log.pending, concurrency: options.toolConcurrency }).pipe(
        Effect.provideService(HaiAgents, hai),
        Effect.provideService(SessionStore.SessionStore, store),
        Effect.withSpan("Session.runTools", { attributes: { "hai.session_id": id } }),
        asCaller
      )

    // Chained by hand rather than a generator: this runs once per round of every watched session.
    const onRound = (round: ChangeFeed.Round): Effect.Effect<void, Failure, Toolkit.Requirements<T>> => {
      record(log, round)
      const settle = state.update((s) => ({
        ...s,
        count: round.nextIndex,
        status: round.status,
        settled: round.settled,
        rounds: (s.rounds ?? 0) + 1
      }))
      const save = store.saveCheckpoint(id, { cursor: round.nextIndex, pending: log.pending })
      // The checkpoint (with the pending calls) is saved once `onEvent` has taken the round, so a
      // crash in between delivers those events again after a restart (each carries its index for
      // the consumer to drop repeats) rather than never; "at-most-once" saves it first instead.
      // Either way it is saved before the tools run, which the ledger guards.
      const delivered = onEvent === undefined
        ? Effect.zipRight(save, settle)
        : atMostOnce
        ? Effect.zipRight(save, Effect.zipRight(asCaller(deliver(onEvent, round.events)), settle))
        : Effect.zipRight(asCaller(deliver(onEvent, round.events)), Effect.zipRight(save, settle))
      const waiting = tools !== undefined && round.status === "awaiting_tool_results"
      if (!waiting) return delivered
      if (log.pending.length > 0) return Effect.zipRight(delivered, runTools(tools))
      // The session waits on calls this watcher never saw announced: find them from the start.
      return Effect.zipRight(
        delivered,
        Effect.flatMap(pendingFromStart(hai, id, round.nextIndex), (pending) => {
          log.pending = pending
          return pending.length > 0
            ? Effect.zipRight(store.saveCheckpoint(id, { cursor: round.nextIndex, pending }), runTools(tools))
            : Effect.void
        })
      )
    }

    const feed = yield* Feed.stepper(id, { ...options.watch, fromIndex: options.fromIndex, until: options.until })
    const loop = (at: Feed.State): Effect.Effect<void, Failure, Toolkit.Requirements<T>> =>
      Effect.flatMap(
        feed.step(at),
        ([round, next]) => Effect.zipRight(onRound(round), Option.isSome(next) ? loop(next.value) : Effect.void)
      )
    // The watcher's own requests are not traced (a span per poll would be a span per event): it
    // runs with the tracer off, set once, and the caller's code it runs gets the caller's setting.
    const run = Effect.withTracerEnabled(loop(feed.initial), false).pipe(
      Effect.catchAllCause((cause) => {
        const failure = Cause.failureOption(cause)
        return state.update((s) => ({
          ...s,
          failure: Option.some(Option.isSome(failure) ? failure.value : stopped(id, s.status, cause))
        }))
      }),
      Effect.ensuring(state.update((s) => ({ ...s, watching: false })))
    )
    return { log, run }
  })
