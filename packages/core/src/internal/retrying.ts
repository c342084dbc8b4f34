/**
 * `Effect.retry` builds its schedule's driver (state, refs) before the first attempt; on a path
 * taken thousands of times a second that almost never fails, that is pure garbage. This builds it
 * on the first retryable failure only, with the same semantics: the failure is offered to the
 * schedule, which decides whether and when to try again.
 *
 * @since 0.1.0
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Schedule from "effect/Schedule"

/** Retries `effect` by `schedule` while `retryable` holds for its failure. */
export const retryWhen = <A, E, R, Out, R2>(
  effect: Effect.Effect<A, E, R>,
  schedule: Schedule.Schedule<Out, E, R2>,
  retryable: (error: E) => boolean
): Effect.Effect<A, E, R | R2> =>
  Effect.catchAll(effect, (first) =>
    retryable(first)
      ? Effect.flatMap(Schedule.driver(schedule), (driver) => {
        const loop = (error: E): Effect.Effect<A, E, R | R2> =>
          retryable(error)
            ? Effect.matchEffect(driver.next(error), {
              onFailure: () => Effect.fail(error),
              onSuccess: () => Effect.catchAll(effect, loop)
            })
            : Effect.fail(error)
        return loop(first)
      })
      : Effect.fail(first))
