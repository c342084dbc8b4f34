/**
 * When a failed call is tried again, and how long to wait first.
 *
 * The rules follow the service: 408 and 429 are retried for every method; 5xx, timeouts and
 * transport failures only where repeating cannot act twice (GET, HEAD, OPTIONS, PUT, DELETE, and
 * creates that carry an `Idempotency-Key`). The wait is the server's `Retry-After` when it sent
 * one, else the schedule's delay: by default 1 s doubling with jitter, capped at 60 s, two retries.
 *
 * @since 0.1.0
 */
import * as Duration from "effect/Duration"
import * as Schedule from "effect/Schedule"
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
 * Makes a schedule wait at least what the server asked for (`Retry-After`, `retry-after-ms`,
 * `X-RateLimit-Reset`). Applied to every schedule, the user's included.
 *
 * @since 0.1.0
 * @category Schedules
 */
export const honourRetryAfter = (schedule: RetrySchedule): Schedule.Schedule<unknown, HaiError> =>
  Schedule.intersect(schedule, Schedule.identity<HaiError>()).pipe(
    Schedule.modifyDelay(([, error], delay) => {
      const asked = retryAfter(error)
      return asked === undefined ? delay : Duration.max(asked, delay)
    })
  )

/**
 * The methods that may be repeated without acting twice.
 *
 * @since 0.1.0
 * @category Utils
 */
export const idempotentMethods: ReadonlySet<string> = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"])

/**
 * Whether an error may be retried for a request with this method.
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
): boolean => {
  switch (error._tag) {
    case "RateLimited":
      return true
    case "TimeoutError":
      return error.status === 408 || request.idempotencyKey || idempotentMethods.has(request.method)
    case "ServerError":
    case "TransportError":
      return request.idempotencyKey || idempotentMethods.has(request.method)
    default:
      return false
  }
}
