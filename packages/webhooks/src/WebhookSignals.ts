/**
 * The bridge from webhooks to the session runtime: every verified session webhook wakes the
 * watchers of its session (`SessionSignals` of `@hai-effect/core`), so a backend waits on
 * webhooks and polls only as a slow safety net (deliveries are at most once).
 *
 * @example
 * ```ts
 * import { HttpRouter } from "@effect/platform"
 * import { Session, SessionSignals } from "@hai-effect/core"
 * import { WebhookSignals } from "@hai-effect/webhooks"
 * import { Effect, Redacted } from "effect"
 *
 * const router = HttpRouter.empty.pipe(
 *   HttpRouter.post("/hai/webhooks", WebhookSignals.toHttpApp({ secrets: Redacted.make("whsec_...") }))
 * )
 *
 * // watchers woken by the webhooks above, polling once a minute otherwise
 * const run = Session.run({
 *   agent: "h/web-surfer-holo3-1-35b",
 *   messages: "Check the order status",
 *   watch: { wakeOn: "signals", safetyInterval: "1 minute" }
 * })
 * // provide SessionSignals.layer once, to both the server and the runs
 * ```
 *
 * @since 0.1.0
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as SessionSignals from "@hai-effect/core/SessionSignals"
import * as Effect from "effect/Effect"
import type * as WebhookConfig from "./WebhookConfig.js"
import * as WebhookEvent from "./WebhookEvent.js"
import * as WebhookHandler from "./WebhookHandler.js"

/**
 * Wakes the watchers of the event's session; other events are ignored.
 *
 * @since 0.1.0
 * @category Handlers
 */
export const handler = (event: WebhookEvent.WebhookEvent): Effect.Effect<void, never, SessionSignals.SessionSignals> =>
  WebhookEvent.isSessionEvent(event) ? SessionSignals.notify(event.data.session_id) : Effect.void

/**
 * An `HttpApp` that verifies webhooks and wakes the session watchers; compose it with your own
 * handler through {@link WebhookHandler.toHttpApp} if you also need the events.
 *
 * @since 0.1.0
 * @category Handlers
 */
export const toHttpApp = (
  options: WebhookConfig.Options
): HttpApp.Default<never, SessionSignals.SessionSignals> => WebhookHandler.toHttpApp(handler, options)
