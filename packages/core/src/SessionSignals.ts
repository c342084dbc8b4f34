/**
 * Wake-up signals for session watchers, fed by something faster than polling: typically the
 * service's webhooks (`@hai-effect/webhooks` bridges them here). A watcher in `"signals"` mode
 * reads `/changes` when a signal for its session arrives, and otherwise only every
 * `safetyInterval`: webhooks are delivered at most once, so polling stays as a slow safety net.
 *
 * @example
 * import { Effect, Layer } from "effect"
 * import { Session, SessionSignals } from "@hai-effect/core"
 *
 * // somewhere, a webhook handler calls `SessionSignals.notify(event.data.session_id)`
 * const program = Session.run({
 *   agent: "h/web-surfer-holo3-1-35b",
 *   messages: "Summarise the news",
 *   watch: { wakeOn: "signals", safetyInterval: "1 minute" }
 * }).pipe(Effect.provide(SessionSignals.layer))
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"

/**
 * @since 0.1.0
 * @category Models
 */
export interface Service {
  /** Wakes every watcher of this session. */
  readonly notify: (sessionId: string) => Effect.Effect<void>
  /** A wait that ends at the next signal for this session (signals that arrive in between are kept). */
  readonly subscribe: (sessionId: string) => Effect.Effect<Effect.Effect<void>, never, Scope.Scope>
}

/**
 * @since 0.1.0
 * @category Tags
 */
export class SessionSignals extends Context.Tag("@hai-effect/core/SessionSignals")<SessionSignals, Service>() {}

/**
 * An in-process signal hub: each watcher has a one-slot mailbox, so a burst of signals is one
 * wake-up and a signal that arrives while the watcher is busy is not lost.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make: Effect.Effect<Service> = Effect.sync(() => {
  const mailboxes = new Map<string, Set<Queue.Queue<void>>>()
  return {
    notify: (sessionId) =>
      Effect.forEach(mailboxes.get(sessionId) ?? [], (mailbox) => Queue.offer(mailbox, undefined), { discard: true }),
    subscribe: (sessionId) =>
      Effect.acquireRelease(
        Effect.tap(Queue.sliding<void>(1), (mailbox) =>
          Effect.sync(() => {
            const set = mailboxes.get(sessionId) ?? new Set()
            set.add(mailbox)
            mailboxes.set(sessionId, set)
          })),
        (mailbox) =>
          Effect.sync(() => {
            const set = mailboxes.get(sessionId)
            set?.delete(mailbox)
            if (set?.size === 0) mailboxes.delete(sessionId)
          })
      ).pipe(Effect.map((mailbox) => Queue.take(mailbox)))
  }
})

/**
 * @since 0.1.0
 * @category Layers
 */
export const layer: Layer.Layer<SessionSignals> = Layer.effect(SessionSignals, make)

/**
 * Wakes every watcher of this session, if a hub is in context.
 *
 * @example
 * import { SessionSignals } from "@hai-effect/core"
 *
 * const onWebhook = (event: { data: { session_id: string } }) => SessionSignals.notify(event.data.session_id)
 *
 * @since 0.1.0
 * @category Utils
 */
export const notify = (sessionId: string): Effect.Effect<void, never, SessionSignals> =>
  Effect.flatMap(SessionSignals, (signals) => signals.notify(sessionId))
