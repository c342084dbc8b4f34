/**
 * At most N remote sessions active per runner. With this service in a runner's context, a
 * durable step's create waits (inside its activity) until fewer than N sessions started by this
 * runner are unsettled; the rest of the queue is the workflows' own messages, stored by the
 * engine, not held in memory by this service. A runner that takes over workflows after a crash
 * counts their sessions as they resume, so the limit holds again once they settle.
 *
 * @example
 * import { Layer } from "effect"
 * import { DurableEngine, SessionLimit } from "@hai-effect/workflow"
 *
 * export const Engine = Layer.merge(DurableEngine.layerMemory, SessionLimit.layer(50))
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Deferred from "effect/Deferred"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/**
 * @since 0.1.0
 * @category Models
 */
export interface Service {
  readonly limit: number
  /** Counts a session as active, waiting while `limit` are. A key already counted passes. */
  readonly acquire: (key: string) => Effect.Effect<void>
  /** Counts a session as active without waiting (one this runner took over). */
  readonly adopt: (key: string) => Effect.Effect<void>
  /** The session settled (or its step ended): its place goes to the next waiting create. */
  readonly release: (key: string) => Effect.Effect<void>
  readonly active: Effect.Effect<number>
}

/**
 * @since 0.1.0
 * @category Tags
 */
export class SessionLimit extends Context.Tag("@hai-effect/workflow/SessionLimit")<SessionLimit, Service>() {}

/**
 * @since 0.1.0
 * @category Constructors
 */
export const make = (limit: number): Effect.Effect<Service> =>
  Effect.sync(() => {
    const active = new Set<string>()
    const waiters: Array<Deferred.Deferred<void>> = []
    const wakeOne = () => {
      const next = waiters.shift()
      if (next !== undefined) Deferred.unsafeDone(next, Effect.void)
    }
    const acquire = (key: string): Effect.Effect<void> =>
      Effect.suspend(() => {
        if (active.has(key)) return Effect.void
        if (active.size < limit) {
          active.add(key)
          return Effect.void
        }
        return Effect.flatMap(Deferred.make<void>(), (turn) => {
          waiters.push(turn)
          return Deferred.await(turn).pipe(
            // An interrupted wait gives its turn to the next one.
            Effect.onInterrupt(() =>
              Effect.sync(() => {
                const i = waiters.indexOf(turn)
                if (i >= 0) waiters.splice(i, 1)
                else wakeOne()
              })
            ),
            Effect.zipRight(acquire(key))
          )
        })
      })
    return {
      limit,
      acquire,
      adopt: (key) => Effect.sync(() => void active.add(key)),
      release: (key) =>
        Effect.sync(() => {
          if (active.delete(key)) wakeOne()
        }),
      active: Effect.sync(() => active.size)
    }
  })

/**
 * @since 0.1.0
 * @category Layers
 */
export const layer = (limit: number): Layer.Layer<SessionLimit> => Layer.effect(SessionLimit, make(limit))
