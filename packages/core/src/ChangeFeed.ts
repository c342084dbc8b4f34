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
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import type * as Schedule from "effect/Schedule"
import * as Stream from "effect/Stream"
import type { HaiAgents } from "./HaiAgents.js"
import type * as HaiError from "./HaiError.js"
import * as internal from "./internal/changeFeed.js"
import * as TrajectoryStatus from "./TrajectoryStatus.js"
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
 * The statuses after which a session never runs again; see {@link TrajectoryStatus.terminal}.
 *
 * @since 0.1.0
 * @category Utils
 */
export const terminalStatuses: ReadonlySet<string> = TrajectoryStatus.terminal

/**
 * Terminal, or idle (EU ends one-shot runs idle, US completed); see {@link TrajectoryStatus.isSettled}.
 *
 * @since 0.1.0
 * @category Utils
 */
export const isSettled: (status: string) => boolean = TrajectoryStatus.isSettled

/**
 * See {@link TrajectoryStatus.isTerminal}.
 *
 * @since 0.1.0
 * @category Utils
 */
export const isTerminal: (status: string) => boolean = TrajectoryStatus.isTerminal

/**
 * The default back-off between failed rounds.
 *
 * @since 0.1.0
 * @category Schedules
 */
export const defaultRetrySchedule: Schedule.Schedule<unknown, HaiError.HaiError> = internal.defaultRetrySchedule

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
    Effect.map(internal.stepper(sessionId, options), ({ initial, step }) => Stream.paginateEffect(initial, step))
  )

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
