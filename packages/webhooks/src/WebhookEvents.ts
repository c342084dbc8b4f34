/**
 * An in-process feed of received events: pass `WebhookEvents.publish` as the handler and consume
 * `WebhookEvents.stream` anywhere else (for example to wake code that waits for a session to settle).
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as PubSub from "effect/PubSub"
import type * as Queue from "effect/Queue"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import type * as WebhookEvent from "./WebhookEvent.js"

/**
 * A `PubSub` of received events.
 *
 * @example
 * ```ts
 * import { Effect, PubSub } from "effect"
 * import { WebhookEvents } from "@hai-effect/webhooks"
 *
 * const size = Effect.flatMap(WebhookEvents.WebhookEvents, PubSub.size)
 * ```
 *
 * @since 0.1.0
 * @category Context
 */
export class WebhookEvents extends Context.Tag("@hai-effect/webhooks/WebhookEvents")<
  WebhookEvents,
  PubSub.PubSub<WebhookEvent.WebhookEvent>
>() {}

/**
 * An unbounded `PubSub` (a slow subscriber never blocks the HTTP handler).
 *
 * @example
 * ```ts
 * import { Effect, Layer, Redacted } from "effect"
 * import { WebhookEvents, WebhookHandler } from "@hai-effect/webhooks"
 *
 * const app = WebhookHandler.toHttpApp(WebhookEvents.publish, { secrets: Redacted.make("whsec_abc") })
 * ```
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer: Layer.Layer<WebhookEvents> = Layer.scoped(
  WebhookEvents,
  Effect.acquireRelease(PubSub.unbounded<WebhookEvent.WebhookEvent>(), PubSub.shutdown)
)

/**
 * A handler that publishes each event to `WebhookEvents`.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { WebhookEvents, WebhookHandler } from "@hai-effect/webhooks"
 *
 * const app = WebhookHandler.toHttpApp(WebhookEvents.publish, { secrets: Redacted.make("whsec_abc") })
 * ```
 *
 * @since 0.1.0
 * @category Handlers
 */
export const publish = (event: WebhookEvent.WebhookEvent): Effect.Effect<void, never, WebhookEvents> =>
  Effect.flatMap(WebhookEvents, (pubsub) => PubSub.publish(pubsub, event))

/**
 * The events published from now on.
 *
 * @example
 * ```ts
 * import { Effect, Stream } from "effect"
 * import { WebhookEvent, WebhookEvents } from "@hai-effect/webhooks"
 *
 * const firstSettled = (sessionId: string) =>
 *   WebhookEvents.stream.pipe(
 *     Stream.filter((e) => WebhookEvent.isSettled(e) && e.data.session_id === sessionId),
 *     Stream.runHead
 *   )
 * ```
 *
 * @since 0.1.0
 * @category Streams
 */
export const stream: Stream.Stream<WebhookEvent.WebhookEvent, never, WebhookEvents> = Stream.unwrapScoped(
  Effect.map(WebhookEvents, (pubsub) => Stream.fromPubSub(pubsub))
)

/**
 * Subscribes now (so no event published after this point is missed) and returns a dequeue.
 *
 * @example
 * ```ts
 * import { Effect, Queue } from "effect"
 * import { WebhookEvents } from "@hai-effect/webhooks"
 *
 * const program = Effect.scoped(Effect.gen(function*() {
 *   const events = yield* WebhookEvents.subscribe
 *   return yield* Queue.take(events)
 * }))
 * ```
 *
 * @since 0.1.0
 * @category Streams
 */
export const subscribe: Effect.Effect<
  Queue.Dequeue<WebhookEvent.WebhookEvent>,
  never,
  WebhookEvents | Scope.Scope
> = Effect.flatMap(WebhookEvents, PubSub.subscribe)
