/**
 * Retrying by a `Schedule` as `Effect.retry` does, with two differences that the transport needs:
 *
 * - the schedule's driver (state, refs) is built on the first retryable failure, not before the
 *   first attempt: a call that succeeds, which is nearly every call, pays for no retry machinery
 *   (`pnpm bench --only primitives` measures this against `Effect.retry`);
 * - a retry may be a different effect from the first attempt, made knowing when the first
 *   failure happened (the transport cuts a retry's timeout to what is left of the call's budget).
 *
 * @since 0.1.0
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"

/**
 * Runs `effect`; while it fails with an error for which `retryable` holds and `schedule` goes on,
 * waits as the schedule says and runs `again(firstFailedAt)` (by default `effect` itself), where
 * `firstFailedAt` is the clock's time of the first failure in milliseconds.
 */
export const retryWhen = <A, E, R, Out, R2, R3 = never>(
  effect: Effect.Effect<A, E, R>,
  schedule: Schedule.Schedule<Out, E, R2>,
  retryable: (error: E) => boolean,
  again?: (firstFailedAt: number) => Effect.Effect<A, E, R3>
): Effect.Effect<A, E, R | R2 | R3> =>
  Effect.catchAll(effect, (first) =>
    retryable(first)
      ? Effect.flatMap(Effect.zip(Schedule.driver(schedule), Clock.currentTimeMillis), ([driver, firstFailedAt]) => {
        const retry: Effect.Effect<A, E, R | R3> = again === undefined ? effect : again(firstFailedAt)
        const loop = (error: E): Effect.Effect<A, E, R | R2 | R3> =>
          retryable(error)
            ? Effect.matchEffect(driver.next(error), {
              onFailure: () => Effect.fail(error),
              onSuccess: () => Effect.catchAll(retry, loop)
            })
            : Effect.fail(error)
        return loop(first)
      })
      : Effect.fail(first))
