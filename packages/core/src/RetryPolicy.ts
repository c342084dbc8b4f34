/**
 * When a failed call is tried again, and how long to wait first.
 *
 * The rules follow the service: 408 and 429 are retried for every method; 5xx, timeouts and
 * transport failures only where repeating cannot act twice (GET, HEAD, OPTIONS, PUT, DELETE, and
 * creates that carry an `Idempotency-Key`). The wait is the server's `Retry-After` when it sent
 * one, else the schedule's delay: by default 1 s doubling with jitter, capped at 60 s, two retries.
 * A server cannot hold a call forever: the wait it asks for is cut to `maxRetryAfter` (60 s by
 * default, as in the official SDKs), and no retry starts past the call's `retryBudget`.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"
import * as ScheduleDecision from "effect/ScheduleDecision"
import * as Intervals from "effect/ScheduleIntervals"
import type { HaiError } from "./HaiError.js"

/**
 * What a retry schedule sees: the error of the attempt that failed.
 *
 * @since 0.1.0
 * @category Models
 */
export type RetrySchedule = Schedule.Schedule<unknown, HaiError>

/**
 * The default schedule: 1 s doubling with jitter, each delay capped at 60 s, at most 2 retries.
 *
 * @example
 * import { Schedule } from "effect"
 * import { HaiAgents, RetryPolicy } from "@hai-effect/core"
 *
 * // five retries instead of two, same backoff
 * HaiAgents.layer({
 *   apiKey: "hk-...",
 *   retrySchedule: RetryPolicy.backoff({ retries: 5 })
 * })
 *
 * @since 0.1.0
 * @category Schedules
 */
export const backoff = (options?: {
  readonly base?: Duration.DurationInput | undefined
  readonly cap?: Duration.DurationInput | undefined
  readonly retries?: number | undefined
}): RetrySchedule =>
  Schedule.exponential(options?.base ?? "1 second", 2).pipe(
    Schedule.jittered,
    Schedule.union(Schedule.spaced(options?.cap ?? "60 seconds")),
    Schedule.intersect(Schedule.recurs(options?.retries ?? 2))
  )

/**
 * @since 0.1.0
 * @category Schedules
 */
export const defaultSchedule: RetrySchedule = backoff()

/**
 * Never retry.
 *
 * @since 0.1.0
 * @category Schedules
 */
export const none: RetrySchedule = Schedule.stop

/**
 * The wait the server asked for, if the error carries one.
 *
 * @since 0.1.0
 * @category Utils
 */
export const retryAfter = (error: HaiError): Duration.Duration | undefined =>
  (error._tag === "RateLimited" || error._tag === "ServerError") && error.retryAfterMillis !== undefined
    ? Duration.millis(Math.max(0, error.retryAfterMillis))
    : undefined

/**
 * The longest wait a server may ask for before a retry, by default: 60 seconds, as in the
 * official SDKs. A longer `Retry-After` is cut to it.
 *
 * @since 0.1.0
 * @category Constants
 */
export const defaultMaxRetryAfter: Duration.Duration = Duration.seconds(60)

/**
 * How long the retries of one call may take in all, by default: 2 minutes from its first failure.
 *
 * @since 0.1.0
 * @category Constants
 */
export const defaultRetryBudget: Duration.Duration = Duration.minutes(2)

/**
 * Limits every retry schedule gets, whoever wrote it.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Limits {
  /** The longest wait honoured from `Retry-After` and its kin; longer asks are cut to it. */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  /** No retry starts later than this after the call's first failure. */
  readonly budget?: Duration.DurationInput | undefined
}

/**
 * Stops `schedule` when its next recurrence would start more than `budget` after its first step.
 *
 * @example
 * import { Schedule } from "effect"
 * import { RetryPolicy } from "@hai-effect/core"
 *
 * // retries every second, but none later than 10 s after the first failure
 * const schedule = RetryPolicy.withinBudget(Schedule.spaced("1 second"), "10 seconds")
 *
 * @since 0.1.0
 * @category Schedules
 */
export const withinBudget = <Out, In, R>(
  schedule: Schedule.Schedule<Out, In, R>,
  budget: Duration.DurationInput
): Schedule.Schedule<Out, In, R> => {
  const budgetMillis = Duration.toMillis(budget)
  return Schedule.makeWithState(
    { inner: schedule.initial, start: undefined as number | undefined },
    (now, input: In, state) =>
      Effect.map(schedule.step(now, input, state.inner), ([inner, out, decision]) => {
        const start = state.start ?? now
        const next = { inner, start }
        return ScheduleDecision.isContinue(decision) && Intervals.start(decision.intervals) - start > budgetMillis
          ? [next, out, ScheduleDecision.done] as const
          : [next, out, decision] as const
      })
  )
}

/**
 * Makes a schedule wait at least what the server asked for (`Retry-After`, `retry-after-ms`,
 * `X-RateLimit-Reset`), at most `maxRetryAfter` of it, and stop when the next retry would start
 * past `budget`. Applied to every schedule, the user's included.
 *
 * @example
 * import { RetryPolicy } from "@hai-effect/core"
 *
 * // a server's Retry-After honoured up to 10 s; no retry later than 30 s after the first failure
 * const schedule = RetryPolicy.honourRetryAfter(RetryPolicy.defaultSchedule, {
 *   maxRetryAfter: "10 seconds",
 *   budget: "30 seconds"
 * })
 *
 * @since 0.1.0
 * @category Schedules
 */
export const honourRetryAfter = (schedule: RetrySchedule, limits?: Limits): Schedule.Schedule<unknown, HaiError> => {
  const cap = Duration.decode(limits?.maxRetryAfter ?? defaultMaxRetryAfter)
  return withinBudget(
    Schedule.intersect(schedule, Schedule.identity<HaiError>()).pipe(
      Schedule.modifyDelay(([, error], delay) => {
        const asked = retryAfter(error)
        return asked === undefined ? delay : Duration.max(Duration.min(asked, cap), delay)
      })
    ),
    limits?.budget ?? defaultRetryBudget
  )
}

/**
 * The methods that may be repeated without acting twice.
 *
 * @since 0.1.0
 * @category Utils
 */
export const idempotentMethods: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])

/**
 * Whether a failure is of the moment rather than of the request: the connection, a timeout, the
 * server's own failure, a rate limit, or a request whose outcome is unknown. The same request may
 * succeed when sent again later; whether it is safe to send again is {@link isRetryable}'s
 * question. The one definition of "transient" that every retry loop of the SDK uses.
 *
 * @example
 * import { Effect } from "effect"
 * import { HaiAgents, RetryPolicy } from "@hai-effect/core"
 *
 * // a status read retried by hand on transient failures only
 * const status = (id: string) =>
 *   Effect.flatMap(HaiAgents.HaiAgents, (hai) => hai.sessions.status(id)).pipe(
 *     Effect.retry({ times: 3, while: RetryPolicy.isTransient })
 *   )
 *
 * @since 0.1.0
 * @category Utils
 */
export const isTransient = (error: HaiError): boolean => {
  switch (error._tag) {
    case "TransportError":
    case "TimeoutError":
    case "ServerError":
    case "RateLimited":
    case "OutcomeUnknown":
      return true
    default:
      return false
  }
}

/**
 * Whether an error may be retried for a request with this method: a transient failure
 * ({@link isTransient}) where repeating the request cannot act twice. 429 and 408 say that the
 * server did not act, so they are retried for every method.
 *
 * @example
 * import { type HaiError, RetryPolicy } from "@hai-effect/core"
 *
 * declare const error: HaiError.HaiError
 * RetryPolicy.isRetryable(error, { method: "POST", idempotencyKey: true })
 *
 * @since 0.1.0
 * @category Utils
 */
export const isRetryable = (
  error: HaiError,
  request: { readonly method: string; readonly idempotencyKey: boolean }
): boolean =>
  isTransient(error) && (
    error._tag === "RateLimited"
    || (error._tag === "TimeoutError" && error.status === 408)
    || (error._tag !== "OutcomeUnknown" && (request.idempotencyKey || idempotentMethods.has(request.method)))
  )
