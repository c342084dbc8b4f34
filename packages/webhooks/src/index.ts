/**
 * @since 0.1.0
 */

/**
 * Verify and sign webhook deliveries of the Computer-Use Agents API on WebCrypto.
 *
 * @since 0.1.0
 */
export * as Webhook from "./Webhook.js"

/**
 * The signing secrets and tolerance used to verify deliveries, as a service.
 *
 * @since 0.1.0
 */
export * as WebhookConfig from "./WebhookConfig.js"

/**
 * Delivery dedupe by event id, in memory or over a `KeyValueStore`.
 *
 * @since 0.1.0
 */
export * as WebhookDedupe from "./WebhookDedupe.js"

/**
 * Errors raised while verifying a webhook delivery.
 *
 * @since 0.1.0
 */
export * as WebhookError from "./WebhookError.js"

/**
 * Typed webhook events.
 *
 * @since 0.1.0
 */
export * as WebhookEvent from "./WebhookEvent.js"

/**
 * An in-process feed of received events.
 *
 * @since 0.1.0
 */
export * as WebhookEvents from "./WebhookEvents.js"

/**
 * Receive deliveries: an `HttpApp`, a Web `Request -> Response` handler, and a framework-agnostic `receive`.
 *
 * @since 0.1.0
 */
export * as WebhookHandler from "./WebhookHandler.js"

/**
 * The bridge from webhooks to session watchers.
 *
 * @since 0.1.0
 */
export * as WebhookSignals from "./WebhookSignals.js"
