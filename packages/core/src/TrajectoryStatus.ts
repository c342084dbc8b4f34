/**
 * What a session's status (the API's `TrajectoryStatus`) says about the session: whether it has
 * ended, settled, or failed. The one definition of these rules for the whole SDK (the change feed,
 * answers, webhooks, the emulator).
 *
 * - terminal: `completed`, `failed`, `timed_out`, `interrupted`; the session never runs again.
 * - settled: terminal, or `idle` (EU ends one-shot runs idle, US completed); the current turn is over.
 * - failed: the terminal statuses other than `completed`.
 *
 * This module imports nothing at run time, so that the edge bundle of `Webhook.verify` can use it.
 *
 * @example
 * import { TrajectoryStatus } from "@hai-effect/core"
 *
 * TrajectoryStatus.isSettled("idle") // true
 * TrajectoryStatus.isTerminal("idle") // false
 * TrajectoryStatus.isFailed("timed_out") // true
 *
 * @since 0.1.0
 */

/**
 * The statuses after which a session never runs again.
 *
 * @since 0.1.0
 * @category Models
 */
export type Terminal = "completed" | "failed" | "timed_out" | "interrupted"

/**
 * The terminal statuses of a session that did not complete.
 *
 * @since 0.1.0
 * @category Models
 */
export type Failed = Exclude<Terminal, "completed">

/**
 * The statuses of a session whose current turn is over.
 *
 * @since 0.1.0
 * @category Models
 */
export type Settled = Terminal | "idle"

/**
 * @since 0.1.0
 * @category Constants
 */
export const terminal: ReadonlySet<Terminal> = new Set<Terminal>(["completed", "failed", "timed_out", "interrupted"])

const terminalNames: ReadonlySet<string> = terminal

/**
 * Whether a session with this status has ended for good.
 *
 * @example
 * import { TrajectoryStatus } from "@hai-effect/core"
 *
 * TrajectoryStatus.isTerminal("interrupted") // true
 *
 * @since 0.1.0
 * @category Guards
 */
export const isTerminal = (status: string): status is Terminal => terminalNames.has(status)

/**
 * Whether the current turn of a session with this status is over: terminal, or idle.
 *
 * @example
 * import { TrajectoryStatus } from "@hai-effect/core"
 *
 * TrajectoryStatus.isSettled("idle") // true
 *
 * @since 0.1.0
 * @category Guards
 */
export const isSettled = (status: string): status is Settled => status === "idle" || terminalNames.has(status)

/**
 * Whether a session with this status ended without completing (`failed`, `timed_out`, `interrupted`).
 *
 * @example
 * import { TrajectoryStatus } from "@hai-effect/core"
 *
 * TrajectoryStatus.isFailed("completed") // false
 *
 * @since 0.1.0
 * @category Guards
 */
export const isFailed = (status: string): status is Failed => status !== "completed" && terminalNames.has(status)

/**
 * Whether a session with this status settled well (`completed` or `idle`): its answer, if any, is
 * the turn's answer.
 *
 * @example
 * import { TrajectoryStatus } from "@hai-effect/core"
 *
 * TrajectoryStatus.isSucceeded("idle") // true
 *
 * @since 0.1.0
 * @category Guards
 */
export const isSucceeded = (status: string): status is Exclude<Settled, Failed> =>
  isSettled(status) && !isFailed(status)
