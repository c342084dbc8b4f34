/**
 * A value that changes, which streams can follow: what a `SubscriptionRef` offers, for one writer
 * on one fiber. Each session holds one (its snapshot) for as long as it is watched, and updates it
 * every round: a `SubscriptionRef` brings a `PubSub` and a semaphore to every session, and a
 * round's update takes a permit and publishes. Here an update is a plain assignment, and a queue
 * exists only for a stream somebody is reading.
 *
 * @since 0.1.0
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Queue from "effect/Queue"
import * as Stream from "effect/Stream"

export interface Cell<A> {
  /** The current value, read synchronously. */
  readonly unsafeGet: () => A
  /** Replaces the value and hands it to every reader of {@link changes}; returns it. */
  readonly unsafeUpdate: (f: (a: A) => A) => A
  readonly get: Effect.Effect<A>
  /** The current value, then each new one. */
  readonly changes: Stream.Stream<A>
}

export const make = <A>(initial: A): Cell<A> => {
  let value = initial
  let readers: Set<Queue.Queue<A>> | undefined
  const unsafeUpdate = (f: (a: A) => A) => {
    value = f(value)
    if (readers !== undefined) { for (const queue of readers) Queue.unsafeOffer(queue, value) }
    return value
  }
  // A new stream for each read of `changes` (streams are descriptions): most cells are never read.
  const changes = (): Stream.Stream<A> =>
    Stream.unwrapScoped(
      Effect.map(
        Effect.acquireRelease(
          Effect.flatMap(Queue.unbounded<A>(), (queue) =>
            Effect.sync(() => {
              // Registered and seeded in one synchronous step: no update can fall in between.
              Queue.unsafeOffer(queue, value)
              ;(readers ??= new Set()).add(queue)
              return queue
            })),
          (queue) =>
            Effect.zipRight(
              Effect.sync(() => readers?.delete(queue)),
              Queue.shutdown(queue)
            )
        ),
        (queue) => Stream.fromQueue(queue)
      )
    )
  return {
    unsafeGet: () => value,
    unsafeUpdate,
    get: Effect.sync(() => value),
    get changes() {
      return changes()
    }
  }
}
