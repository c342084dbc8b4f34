/**
 * The change feed as a state machine, one round per `step`: what `ChangeFeed.rounds` streams, and
 * what the session watcher steps through directly (one per session, so no Stream machinery there).
 *
 * A round is a few effects chained by hand rather than a generator: a watcher spends its life
 * inside a round (waiting on the long-poll), and everything a round holds stays alive that long.
 *
 * @since 0.1.0
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Scope from "effect/Scope"
import type * as ChangeFeed from "../ChangeFeed.js"
import { HaiAgents, type Service as Client } from "../HaiAgents.js"
import type * as HaiError from "../HaiError.js"
import * as RetryPolicy from "../RetryPolicy.js"
import * as SessionSignals from "../SessionSignals.js"
import * as TrajectoryStatus from "../TrajectoryStatus.js"
import type * as Wire from "../Wire.js"
import * as Retrying from "./retrying.js"
import * as Tracing from "./tracing.js"

/** Where a feed stands between rounds. */
export interface State {
  readonly cursor: number
  readonly status: Wire.TrajectoryStatus | undefined
  /** Cursor at the last drain, so a session that stays idle is not drained every round. */
  readonly drainedAt: number
}

export type Step = Effect.Effect<readonly [ChangeFeed.Round, Option.Option<State>], HaiError.HaiError>

export interface Stepper {
  readonly initial: State
  readonly step: (state: State) => Step
}

export const defaultRetrySchedule: Schedule.Schedule<unknown, HaiError.HaiError> = Schedule.exponential(
  "500 millis",
  2
).pipe(Schedule.union(Schedule.spaced("10 seconds")), Schedule.intersect(Schedule.recurs(30)))

/** What every round of one feed shares. */
interface Feed {
  readonly sessionId: string
  readonly hai: Client
  readonly nextSignal: Option.Option<Effect.Effect<void>>
  readonly safety: Duration.Duration
  readonly wait: number
  readonly until: "settled" | "terminal"
  readonly retrySchedule: Schedule.Schedule<unknown, HaiError.HaiError>
  readonly pause: Duration.Duration
  readonly limit: number | undefined
}

/** The events, status and last answer of the round in progress. */
interface Acc {
  readonly events: Array<ChangeFeed.IndexedEvent>
  cursor: number
  status: Wire.TrajectoryStatus | undefined
  last: Option.Option<Wire.SessionChanges>
}

const retrying = <A>(feed: Feed, effect: Effect.Effect<A, HaiError.HaiError>) =>
  Retrying.retryWhen(effect, feed.retrySchedule, RetryPolicy.isTransient)

// A span per poll would be a span per event: the polls run with the tracer off, inside their
// caller's span (the client then skips its operation spans too, see `HaiAgents.make`). Built where
// they run: on a fiber that has its tracer off already (the session watcher), as they are.
const unspanned = <A, E>(poll: () => Effect.Effect<A, E>) =>
  Tracing.tracerOff() ? poll() : Effect.withTracerEnabled(Effect.suspend(poll), false)

const poll = (feed: Feed, cursor: number, waitForSeconds: number) =>
  retrying(
    feed,
    unspanned(() =>
      feed.hai.sessions.changes(feed.sessionId, {
        from_index: cursor,
        wait_for_seconds: waitForSeconds,
        include_events: true,
        ...(feed.limit !== undefined ? { limit: feed.limit } : {})
      })
    )
  )

const take = (acc: Acc, changes: Wire.SessionChanges) => {
  for (const event of changes.new_events ?? []) acc.events.push({ index: acc.cursor++, event })
  acc.status = changes.status
  acc.last = Option.some(changes)
}

const isEmpty = (changes: Wire.SessionChanges) => (changes.new_events ?? []).length === 0

// Woken by a signal: read everything that is there now, the wait comes between rounds.
const drainSignalled = (feed: Feed, acc: Acc): Effect.Effect<void, HaiError.HaiError> =>
  Effect.flatMap(poll(feed, acc.cursor, 0), (more) => {
    if (Option.isNone(more) || isEmpty(more.value)) return Effect.void
    take(acc, more.value)
    return drainSignalled(feed, acc)
  })

// Events appended just before the session settled may not have been in the last answer.
const drainSettled = (feed: Feed, acc: Acc): Effect.Effect<void, HaiError.HaiError> =>
  Effect.flatMap(poll(feed, acc.cursor, 0), (more) => {
    if (Option.isNone(more)) return Effect.void
    take(acc, more.value)
    return isEmpty(more.value) ? Effect.void : drainSettled(feed, acc)
  })

/**
 * Whether the events just received end with the event that marks this settlement (the agent's
 * completion, or its switch to idle): then nothing of the settled turn can be missing, and the
 * drain request is saved.
 */
const endsWithSettlement = (events: ReadonlyArray<ChangeFeed.IndexedEvent>, status: string): boolean => {
  const last = events[events.length - 1]?.event
  if (last === undefined) return false
  if (status === "idle") {
    return last.type === "ActiveStateChangeEvent" && (last as Wire.ActiveStateChangeEvent).data.state === "idle"
  }
  return last.type === "AgentCompletionEvent" || last.type === "AgentErrorEvent"
}

const finishRound = (feed: Feed, acc: Acc, drainedAt: number, quiet: boolean): Step => {
  const status = acc.status
  const settled = status !== undefined && TrajectoryStatus.isSettled(status)
  const done = status !== undefined && (feed.until === "settled" ? settled : TrajectoryStatus.isTerminal(status))
  const round: ChangeFeed.Round = {
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
  return !done && quiet ? Effect.as(Effect.sleep(feed.pause), result) : Effect.succeed(result)
}

const endRound = (
  feed: Feed,
  state: State,
  acc: Acc,
  answer: Option.Option<Wire.SessionChanges>,
  quietAnswer: boolean
): Step => {
  const signalled = Option.isSome(feed.nextSignal) && Option.isSome(answer) && !quietAnswer
  return Effect.flatMap(signalled ? drainSignalled(feed, acc) : Effect.void, () => {
    const mustDrain = acc.status !== undefined && TrajectoryStatus.isSettled(acc.status)
      && (state.drainedAt !== acc.cursor || acc.status !== state.status) && !endsWithSettlement(acc.events, acc.status)
    return mustDrain
      ? Effect.flatMap(drainSettled(feed, acc), () => finishRound(feed, acc, acc.cursor, false))
      : finishRound(feed, acc, state.drainedAt, quietAnswer)
  })
}

const read = (feed: Feed, state: State): Step => {
  const acc: Acc = { events: [], cursor: state.cursor, status: state.status, last: Option.none() }
  // Resuming mid-session, the first read answers at once: an idle session has nothing new
  // to say, and its status should not take a whole long-poll to learn.
  const resuming = state.status === undefined && acc.cursor > 0
  const waitNow = Option.isSome(feed.nextSignal) || resuming ? 0 : feed.wait
  return Effect.flatMap(
    Clock.currentTimeMillis,
    (started) =>
      Effect.flatMap(poll(feed, acc.cursor, waitNow), (answer) => {
        if (Option.isSome(answer)) {
          take(acc, answer.value)
          return endRound(feed, state, acc, answer, isEmpty(answer.value))
        }
        // A 204 says nothing about the status: ask for it, and note whether the wait was cut short.
        return Effect.flatMap(Clock.currentTimeMillis, (now) =>
          Effect.flatMap(
            retrying(
              feed,
              unspanned(() => feed.hai.sessions.status(feed.sessionId))
            ),
            (current) => {
              acc.status = current.status
              return endRound(feed, state, acc, answer, waitNow > 0 && now - started < (waitNow * 1000) / 2)
            }
          ))
      })
  )
}

const signalsOf = (options: ChangeFeed.Options | undefined, sessionId: string) =>
  Effect.gen(function*() {
    if (options?.wakeOn !== "signals") return Option.none<Effect.Effect<void>>()
    const signals = yield* Effect.serviceOption(SessionSignals.SessionSignals)
    if (Option.isNone(signals)) {
      yield* Effect.logWarning("ChangeFeed: wakeOn \"signals\" without a SessionSignals layer; long-polling instead")
      return Option.none<Effect.Effect<void>>()
    }
    // Subscribed before the first read, so a signal sent while that read is in flight is kept.
    return Option.some(yield* signals.value.subscribe(sessionId))
  })

export const stepper = (
  sessionId: string,
  options?: ChangeFeed.Options
): Effect.Effect<Stepper, never, HaiAgents | Scope.Scope> =>
  Effect.gen(function*() {
    const feed: Feed = {
      sessionId,
      hai: yield* HaiAgents,
      nextSignal: yield* signalsOf(options, sessionId),
      safety: Duration.decode(options?.safetyInterval ?? "60 seconds"),
      wait: Math.min(25, Math.max(0, options?.waitForSeconds ?? 20)),
      until: options?.until ?? "settled",
      retrySchedule: options?.retrySchedule ?? defaultRetrySchedule,
      pause: Duration.decode(options?.idlePollInterval ?? "1 second"),
      limit: options?.limit
    }
    const nextSignal = feed.nextSignal
    const step = Option.isSome(nextSignal)
      ? (state: State) =>
        state.status === undefined
          ? read(feed, state)
          : Effect.zipRight(Effect.raceFirst(nextSignal.value, Effect.sleep(feed.safety)), read(feed, state))
      : (state: State) => read(feed, state)
    return { initial: { cursor: options?.fromIndex ?? 0, status: undefined, drainedAt: -1 }, step }
  })
