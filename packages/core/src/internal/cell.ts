/**
 * A value that one fiber writes and others follow or wait on: what a `SubscriptionRef` offers (and
 * a `Deferred` per wait), for one writer.
 *
 * Each watched session holds one (its snapshot) for as long as it is watched, updates it every
 * round, and each reader of the session waits on it once per round. A `SubscriptionRef` brings a
 * `PubSub` and a semaphore to every session and a round's update takes a permit and publishes; a
 * `Deferred` per wait needs a finalizer to be removed when the wait is interrupted. Here an update
 * is an assignment, a wait is a callback in a set (removed when the wait is interrupted), and a
 * queue exists only for a stream somebody is reading. `bench/session-primitives.ts` measures both ways.
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
  /**
   * Replaces the value, hands it to every reader of {@link changes} and resumes every wait it
   * satisfies; returns it.
   */
  readonly unsafeUpdate: (f: (a: A) => A) => A
  readonly update: (f: (a: A) => A) => Effect.Effect<A>
  readonly get: Effect.Effect<A>
  /** The current value, then each new one. */
  readonly changes: Stream.Stream<A>
  /** The current value if `test` holds for it, else the first new one for which it holds. */
  readonly await: (test: (a: A) => boolean) => Effect.Effect<A>
}

interface Waiter<A> {
  readonly test: (a: A) => boolean
  readonly resume: (effect: Effect.Effect<A>) => void
}

export const make = <A>(initial: A): Cell<A> => {
  let value = initial
  let readers: Set<Queue.Queue<A>> | undefined
  let waiters: Set<Waiter<A>> | undefined
  const unsafeUpdate = (f: (a: A) => A) => {
    const next = value = f(value)
    if (readers !== undefined) { for (const queue of readers) Queue.unsafeOffer(queue, next) }
    if (waiters !== undefined) {
      for (const waiter of waiters) {
        if (waiter.test(next)) {
          waiters.delete(waiter)
          waiter.resume(Effect.succeed(next))
        }
      }
    }
    return next
  }
  const await_ = (test: (a: A) => boolean): Effect.Effect<A> =>
    Effect.suspend(() => {
      if (test(value)) return Effect.succeed(value)
      return Effect.async<A>((resume) => {
        const waiter: Waiter<A> = { test, resume }
        ;(waiters ??= new Set()).add(waiter)
        return Effect.sync(() => {
          waiters?.delete(waiter)
        })
      })
    })
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
    update: (f) => Effect.sync(() => unsafeUpdate(f)),
    get: Effect.sync(() => value),
    get changes() {
      return changes()
    },
    await: await_
  }
}
