/**
 * Webhooks that wake durable session steps: a verified session event whose status calls for
 * action (settled, or waiting for tool results) completes the durable wait of the workflow step
 * that follows that session, on whichever runner holds it. Any runner (or a separate web process
 * with the same `WorkflowEngine` and `SessionRoutes`) can receive the deliveries; put your
 * runners behind one URL and register it as the webhook.
 *
 * Deliveries are at most once; the steps' fallback status checks (`pollInterval`) cover the lost
 * ones, so a missing webhook costs latency, never correctness.
 *
 * @example
 * import { HttpRouter } from "@effect/platform"
 * import { Redacted } from "effect"
 * import { DurableWebhooks } from "@hai-effect/workflow"
 *
 * export const router = HttpRouter.empty.pipe(
 *   HttpRouter.post("/hai/webhooks", DurableWebhooks.toHttpApp({ secrets: Redacted.make("whsec_...") }))
 * )
 * // serve it with the runner's layers: a WorkflowEngine and SessionRoutes (see DurableEngine)
 *
 * @since 0.1.0
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as DurableDeferred from "@effect/workflow/DurableDeferred"
import type * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import type { PersistenceError } from "@hai-effect/core/HaiError"
import type * as WebhookConfig from "@hai-effect/webhooks/WebhookConfig"
import * as WebhookEvent from "@hai-effect/webhooks/WebhookEvent"
import * as WebhookHandler from "@hai-effect/webhooks/WebhookHandler"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import { isActionable, wakeDeferred } from "./DurableSession.js"
import { SessionRoutes } from "./SessionRoutes.js"

/**
 * Wakes the step waiting on this event's session, if one is and the new status calls for it.
 * Returns whether a step was woken (a wake-up that arrives twice is absorbed by the engine).
 *
 * @example
 * import { Effect } from "effect"
 * import { WebhookHandler } from "@hai-effect/webhooks"
 * import { DurableWebhooks } from "@hai-effect/workflow"
 *
 * // with your own handling of the same events
 * export const handler: WebhookHandler.Handler<unknown, unknown> = (event) =>
 *   Effect.zipRight(DurableWebhooks.wake(event), Effect.log(event.type))
 *
 * @since 0.1.0
 * @category Handlers
 */
export const wake = (
  event: WebhookEvent.WebhookEvent
): Effect.Effect<boolean, PersistenceError, SessionRoutes | WorkflowEngine.WorkflowEngine> =>
  WebhookEvent.isSessionEvent(event) && isActionable(String(event.data.status))
    ? Effect.flatMap(
      SessionRoutes,
      (routes) =>
        Effect.flatMap(routes.get(event.data.session_id), (token) =>
          Option.isNone(token)
            ? Effect.succeed(false)
            : Effect.as(
              DurableDeferred.done(wakeDeferred, { token: DurableDeferred.Token.make(token.value), exit: Exit.void }),
              true
            ))
    ).pipe(
      Effect.withSpan("DurableWebhooks.wake", { attributes: { "hai.session_id": event.data.session_id } })
    )
    : Effect.succeed(false)

/**
 * An `HttpApp` that verifies deliveries and wakes the waiting steps: mount it on a runner's HTTP
 * server (or any process with the same engine and routes).
 *
 * @since 0.1.0
 * @category Handlers
 */
export const toHttpApp = (
  options: WebhookConfig.Options
): HttpApp.Default<never, SessionRoutes | WorkflowEngine.WorkflowEngine> => WebhookHandler.toHttpApp(wake, options)
