/**
 * A session's events as a `Stream`, read from the long-polling `/changes` endpoint.
 *
 * One request per round in steady state: `/changes` waits up to 20 s for new events and its 200
 * answer carries the status, so `/status` is asked only after a 204 (which says nothing about the
 * status). When the session settles, the feed drains what is left with `wait_for_seconds=0`
 * before it ends. An index is delivered once: the cursor moves only past events received, and a
 * failed round is asked again from the same cursor.
 *
 * @example
 * import { Console, Effect, Stream } from "effect"
 * import { ChangeFeed } from "@hai-effect/core"
 *
 * const program = ChangeFeed.events("6f1c...", { fromIndex: 0 }).pipe(
 *   Stream.runForEach(({ index, event }) => Console.log(index, event.type))
 * )
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { HaiAgents, unspannedOf } from "./HaiAgents.js"
import type * as HaiError from "./HaiError.js"
import * as Retrying from "./internal/retrying.js"
import * as SessionSignals from "./SessionSignals.js"
import type * as Wire from "./Wire.js"

/**
 * An event with its position in the session's log.
 *
 * @since 0.1.0
 * @category Models
 */
export interface IndexedEvent {
  readonly index: number
  readonly event: Wire.SessionEvent
}

/**
 * What one round of the feed learned.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Round {
  /** Events received this round, in index order. */
  readonly events: ReadonlyArray<IndexedEvent>
  /** The latest status seen. */
  readonly status: Wire.TrajectoryStatus
  /** The last `/changes` 200 body of this round, as received. */
  readonly changes: Option.Option<Wire.SessionChanges>
  /** The index to ask from next. */
  readonly nextIndex: number
  /** Whether the session is settled (terminal or idle) and drained. */
  readonly settled: boolean
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Options {
  /** First index to deliver. Default 0. */
  readonly fromIndex?: number | undefined
  /** End the feed once the session is `"settled"` (terminal or idle, the default) or only `"terminal"`. */
  readonly until?: "settled" | "terminal" | undefined
  /** Long-poll wait, 0 to 25 seconds. Default 20. */
  readonly waitForSeconds?: number | undefined
  /** Most events per answer. */
  readonly limit?: number | undefined
  /** How to back off when a round fails with a transient error. Default: 0.5 s doubling, capped at 10 s, 30 times. */
  readonly retrySchedule?: Schedule.Schedule<unknown, HaiError.HaiError> | undefined
  /** Pause after a round that answered at once with nothing new, so the feed never hot-loops. Default 1 s. */
  readonly idlePollInterval?: Duration.DurationInput | undefined
  /**
   * `"longPoll"` (default): long-poll `/changes`. `"signals"`: read `/changes` when a
   * {@link SessionSignals} signal (e.g. a webhook) arrives, else every `safetyInterval`; falls back
   * to long-polling when no `SessionSignals` is in context.
   */
  readonly wakeOn?: "longPoll" | "signals" | undefined
  /** In `"signals"` mode, the slow poll that covers lost signals. Default 60 seconds. */
  readonly safetyInterval?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category Utils
 */
export const terminalStatuses: ReadonlySet<string> = new Set(["completed", "failed", "timed_out", "interrupted"])

/**
 * Terminal, or idle (EU ends one-shot runs idle, US completed).
 *
 * @since 0.1.0
 * @category Utils
 */
export const isSettled = (status: string): boolean => status === "idle" || terminalStatuses.has(status)

/**
 * @since 0.1.0
 * @category Utils
 */
export const isTerminal = (status: string): boolean => terminalStatuses.has(status)

/**
 * The default back-off between failed rounds.
 *
 * @since 0.1.0
 * @category Schedules
 */
export const defaultRetrySchedule: Schedule.Schedule<unknown, HaiError.HaiError> = Schedule.exponential(
  "500 millis",
  2
).pipe(Schedule.union(Schedule.spaced("10 seconds")), Schedule.intersect(Schedule.recurs(30)))

const transient = (error: HaiError.HaiError) =>
  error._tag === "TransportError" || error._tag === "TimeoutError" || error._tag === "ServerError"
  || error._tag === "RateLimited"

/**
 * Whether the events just received end with the event that marks this settlement (the agent's
 * completion, or its switch to idle): then nothing of the settled turn can be missing, and the
 * drain request is saved.
 */
const endsWithSettlement = (events: ReadonlyArray<IndexedEvent>, status: string): boolean => {
  const last = events[events.length - 1]?.event
  if (last === undefined) return false
  if (status === "idle") {
    return last.type === "ActiveStateChangeEvent" && (last as Wire.ActiveStateChangeEvent).data.state === "idle"
  }
  return last.type === "AgentCompletionEvent" || last.type === "AgentErrorEvent"
}

/**
 * Where a feed stands between rounds.
 *
 * @since 0.1.0
 * @category Internals
 */
export interface State {
  readonly cursor: number
  readonly status: Wire.TrajectoryStatus | undefined
  /** Cursor at the last drain, so a session that stays idle is not drained every round. */
  readonly drainedAt: number
}

/**
 * The feed round by round: events, status and the raw changes of each round.
 *
 * @since 0.1.0
 * @category Streams
 */
export const rounds = (
  sessionId: string,
  options?: Options
): Stream.Stream<Round, HaiError.HaiError, HaiAgents> =>
  Stream.unwrapScoped(
    Effect.map(stepper(sessionId, options), ({ initial, step }) => Stream.paginateEffect(initial, step))
  )

/**
 * The feed as a state machine, one round per `step`: what {@link rounds} streams, for loops that
 * want no Stream machinery (the session watcher runs one per session).
 *
 * @since 0.1.0
 * @category Internals
 */
export interface Stepper {
  readonly initial: State
  readonly step: (state: State) => Effect.Effect<readonly [Round, Option.Option<State>], HaiError.HaiError>
}

/**
 * @since 0.1.0
 * @category Internals
 */
export const stepper = (
  sessionId: string,
  options?: Options
): Effect.Effect<Stepper, never, HaiAgents | Scope.Scope> =>
  Effect.gen(function*() {
    // A span per poll would be a span per event: the feed runs inside its caller's span.
    const hai = unspannedOf(yield* HaiAgents)
    const signals = options?.wakeOn === "signals"
      ? yield* Effect.serviceOption(SessionSignals.SessionSignals)
      : Option.none<SessionSignals.Service>()
    if (options?.wakeOn === "signals" && Option.isNone(signals)) {
      yield* Effect.logWarning("ChangeFeed: wakeOn \"signals\" without a SessionSignals layer; long-polling instead")
    }
    // Subscribed before the first read, so a signal sent while that read is in flight is kept.
    const nextSignal = Option.isSome(signals)
      ? Option.some(yield* signals.value.subscribe(sessionId))
      : Option.none<Effect.Effect<void>>()
    const safety = Duration.decode(options?.safetyInterval ?? "60 seconds")
    const wait = Math.min(25, Math.max(0, options?.waitForSeconds ?? 20))
    const until = options?.until ?? "settled"
    const retrySchedule = options?.retrySchedule ?? defaultRetrySchedule
    const pause = Duration.decode(options?.idlePollInterval ?? "1 second")
    const limit = options?.limit

    const retrying = <A>(effect: Effect.Effect<A, HaiError.HaiError>) =>
      Retrying.retryWhen(effect, retrySchedule, transient)

    const poll = (cursor: number, waitForSeconds: number) =>
      retrying(
        hai.sessions.changes(sessionId, {
          from_index: cursor,
          wait_for_seconds: waitForSeconds,
          include_events: true,
          ...(limit !== undefined ? { limit } : {})
        })
      )

    // A round is a few effects chained by hand rather than a generator: a watcher spends its life
    // inside a round (waiting on the long-poll), and everything a round holds stays alive that long.
    interface Acc {
      readonly events: Array<IndexedEvent>
      cursor: number
      status: Wire.TrajectoryStatus | undefined
      last: Option.Option<Wire.SessionChanges>
    }
    const take = (acc: Acc, changes: Wire.SessionChanges) => {
      for (const event of changes.new_events ?? []) acc.events.push({ index: acc.cursor++, event })
      acc.status = changes.status
      acc.last = Option.some(changes)
    }
    const isEmpty = (changes: Wire.SessionChanges) => (changes.new_events ?? []).length === 0

    // Woken by a signal: read everything that is there now, the wait comes between rounds.
    const drainSignalled = (acc: Acc): Effect.Effect<void, HaiError.HaiError> =>
      Effect.flatMap(poll(acc.cursor, 0), (more) => {
        if (Option.isNone(more) || isEmpty(more.value)) return Effect.void
        take(acc, more.value)
        return drainSignalled(acc)
      })

    // Events appended just before the session settled may not have been in the last answer.
    const drainSettled = (acc: Acc): Effect.Effect<void, HaiError.HaiError> =>
      Effect.flatMap(poll(acc.cursor, 0), (more) => {
        if (Option.isNone(more)) return Effect.void
        take(acc, more.value)
        return isEmpty(more.value) ? Effect.void : drainSettled(acc)
      })

    const endRound = (
      state: State,
      acc: Acc,
      answer: Option.Option<Wire.SessionChanges>,
      quietAnswer: boolean
    ): Effect.Effect<readonly [Round, Option.Option<State>], HaiError.HaiError> => {
      const signalled = Option.isSome(nextSignal) && Option.isSome(answer) && !quietAnswer
      return Effect.flatMap(signalled ? drainSignalled(acc) : Effect.void, () => {
        let quiet = quietAnswer
        let drainedAt = state.drainedAt
        const mustDrain = acc.status !== undefined && isSettled(acc.status)
          && (drainedAt !== acc.cursor || acc.status !== state.status) && !endsWithSettlement(acc.events, acc.status)
        if (mustDrain) quiet = false
        return Effect.flatMap(mustDrain ? drainSettled(acc) : Effect.void, () => {
          if (mustDrain) drainedAt = acc.cursor
          const status = acc.status
          const settled = status !== undefined && isSettled(status)
          const done = status !== undefined && (until === "settled" ? settled : isTerminal(status))
          const round: Round = {
            events: acc.events,
            status: status ?? "pending",
            changes: acc.last,
            nextIndex: acc.cursor,
            settled
          }
          const result = [
            round,
            done ? Option.none<State>() : Option.some<State>({ cursor: acc.cursor, status, drainedAt })
          ] as const
          return !done && quiet ? Effect.as(Effect.sleep(pause), result) : Effect.succeed(result)
        })
      })
    }

    const read = (state: State): Effect.Effect<readonly [Round, Option.Option<State>], HaiError.HaiError> => {
      const acc: Acc = { events: [], cursor: state.cursor, status: state.status, last: Option.none() }
      // Resuming mid-session, the first read answers at once: an idle session has nothing new
      // to say, and its status should not take a whole long-poll to learn.
      const resuming = state.status === undefined && acc.cursor > 0
      const waitNow = Option.isSome(nextSignal) || resuming ? 0 : wait
      return Effect.flatMap(Clock.currentTimeMillis, (started) =>
        Effect.flatMap(poll(acc.cursor, waitNow), (answer) => {
          if (Option.isSome(answer)) {
            take(acc, answer.value)
            return endRound(state, acc, answer, isEmpty(answer.value))
          }
          return Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Effect.flatMap(retrying(hai.sessions.status(sessionId)), (current) => {
              acc.status = current.status
              return endRound(state, acc, answer, waitNow > 0 && now - started < (waitNow * 1000) / 2)
            }))
        }))
    }

    const step = (state: State) =>
      Option.isSome(nextSignal) && state.status !== undefined
        ? Effect.zipRight(Effect.raceFirst(nextSignal.value, Effect.sleep(safety)), read(state))
        : read(state)

    const initial: State = { cursor: options?.fromIndex ?? 0, status: undefined, drainedAt: -1 }
    return { initial, step }
  })

/**
 * The feed as indexed events.
 *
 * @example
 * import { Effect, Stream } from "effect"
 * import { ChangeFeed } from "@hai-effect/core"
 *
 * // resume after index 41, and keep following through idle phases until the session ends
 * ChangeFeed.events("6f1c...", { fromIndex: 42, until: "terminal" }).pipe(Stream.runCollect)
 *
 * @since 0.1.0
 * @category Streams
 */
export const events = (
  sessionId: string,
  options?: Options
): Stream.Stream<IndexedEvent, HaiError.HaiError, HaiAgents> =>
  Stream.flatMap(rounds(sessionId, options), (round) => Stream.fromIterable(round.events))
