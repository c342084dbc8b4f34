/**
 * Receive webhook deliveries: an `HttpApp` for `@effect/platform` servers and routers, a Web-standard
 * `(request: Request) => Promise<Response>` handler for Hono, Next.js route handlers, Bun, Deno and Cloudflare
 * Workers, and a framework-agnostic `receive`.
 *
 * Answers: 204 once the handler succeeded (or for a duplicate delivery when `WebhookDedupe` is provided), 401 when
 * a header, the timestamp or the signature is wrong, 400 when the signed body is not a valid event, 405 for a method
 * other than POST, 500 when the handler fails.
 *
 * @since 0.1.0
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpApp_ from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import type * as Cause from "effect/Cause"
import * as Data from "effect/Data"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Webhook from "./Webhook.js"
import * as WebhookConfig from "./WebhookConfig.js"
import * as WebhookDedupe from "./WebhookDedupe.js"
import { WebhookVerificationError } from "./WebhookError.js"
import type * as WebhookEvent from "./WebhookEvent.js"

// =============================================================================
// Models
// =============================================================================

/**
 * The user's handler: any Effect run once per verified (and, with `WebhookDedupe`, new) event.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import type { WebhookHandler } from "@hai-effect/webhooks"
 *
 * const handler: WebhookHandler.Handler<never, never> = (event) =>
 *   event.type === "session.completed" ? Effect.log(`done: ${event.data.session_id}`) : Effect.void
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export type Handler<E, R> = (event: WebhookEvent.WebhookEvent) => Effect.Effect<unknown, E, R>

/**
 * Request headers in any common shape: Web `Headers`, `@effect/platform` `Headers`, or a plain record (Node's
 * `IncomingHttpHeaders`). Lookup is case-insensitive.
 *
 * @example
 * ```ts
 * import type { WebhookHandler } from "@hai-effect/webhooks"
 *
 * const headers: WebhookHandler.HeadersInput = { "x-h-webhook-timestamp": "1764504000" }
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export type HeadersInput =
  | globalThis.Headers
  | { readonly [name: string]: string | ReadonlyArray<string> | undefined }

/**
 * What `receive` did with a delivery.
 *
 * @example
 * ```ts
 * import type { WebhookHandler } from "@hai-effect/webhooks"
 *
 * const wasNew = (o: WebhookHandler.Outcome) => o._tag === "Processed"
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export type Outcome =
  | { readonly _tag: "Processed"; readonly event: WebhookEvent.WebhookEvent }
  | { readonly _tag: "Duplicate"; readonly event: WebhookEvent.WebhookEvent }

/**
 * A Web handler and the function that releases the layer it runs on.
 *
 * @example
 * ```ts
 * import type { WebhookHandler } from "@hai-effect/webhooks"
 *
 * declare const web: WebhookHandler.WebHandler
 * export const POST = web.handler
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export interface WebHandler {
  readonly handler: (request: Request) => Promise<Response>
  readonly dispose: () => Promise<void>
}

// =============================================================================
// receive
// =============================================================================

/**
 * Reads a header case-insensitively from any `HeadersInput`.
 *
 * @example
 * ```ts
 * import { WebhookHandler } from "@hai-effect/webhooks"
 *
 * WebhookHandler.getHeader({ "X-H-Webhook-Timestamp": "1" }, "x-h-webhook-timestamp") // "1"
 * ```
 *
 * @since 0.1.0
 * @category Utils
 */
export const getHeader = (headers: HeadersInput, name: string): string | undefined => {
  if (typeof (headers as globalThis.Headers).get === "function" && typeof headers.forEach === "function") {
    return (headers as globalThis.Headers).get(name) ?? undefined
  }
  const record = headers as { readonly [name: string]: string | ReadonlyArray<string> | undefined }
  const lower = name.toLowerCase()
  let value = record[lower]
  if (value === undefined) {
    const key = Object.keys(record).find((key) => key.toLowerCase() === lower)
    if (key !== undefined) value = record[key]
  }
  if (value === undefined) return undefined
  return typeof value === "string" ? value : value.join(", ")
}

const configFrom = (
  options: WebhookConfig.Options | undefined
): Effect.Effect<WebhookConfig.WebhookConfig.Service, never, any> =>
  options === undefined || options.secrets === undefined
    ? WebhookConfig.WebhookConfig
    : Effect.succeed(WebhookConfig.make(options))

const receiveImpl = <E, R>(
  input: { readonly body: string | Uint8Array; readonly headers: HeadersInput },
  handler: Handler<E, R>,
  options?: WebhookConfig.Options | undefined
): Effect.Effect<Outcome, WebhookVerificationError | E, any> =>
  Effect.gen(function*() {
    const config = yield* configFrom(options)
    const timestamp = getHeader(input.headers, Webhook.TimestampHeader)
    const event = yield* Webhook.verify({
      body: input.body,
      signature: getHeader(input.headers, Webhook.SignatureHeader),
      timestamp,
      secrets: config.secrets,
      tolerance: config.tolerance
    })
    const dedupe = yield* Effect.serviceOption(WebhookDedupe.WebhookDedupe)
    if (Option.isSome(dedupe)) {
      // verify succeeded, so the timestamp is present; an event without an id is named by its delivery
      const key = event.id ?? (yield* Webhook.deliveryKey({ body: input.body, timestamp: timestamp ?? "" }))
      const fresh = yield* dedupe.value.claim(key)
      if (!fresh) return { _tag: "Duplicate", event } as const
      yield* Effect.onError(handler(event), () => dedupe.value.release(key))
    } else {
      yield* handler(event)
    }
    return { _tag: "Processed", event } as const
  }).pipe(Effect.withSpan("WebhookHandler.receive"))

/**
 * Verifies a delivery, decodes it, and runs the handler on it; framework-agnostic. With `WebhookDedupe` in the
 * context a replayed event id is reported as `Duplicate` and the handler is not run again. Without `options` the
 * secrets come from the `WebhookConfig` service.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { WebhookHandler } from "@hai-effect/webhooks"
 *
 * declare const rawBody: string
 * declare const headers: Record<string, string>
 *
 * const program = WebhookHandler.receive(
 *   { body: rawBody, headers },
 *   (event) => Effect.log(event.type),
 *   { secrets: Redacted.make("whsec_abc") }
 * )
 * ```
 *
 * @since 0.1.0
 * @category Handlers
 */
export const receive: {
  <E, R>(
    input: { readonly body: string | Uint8Array; readonly headers: HeadersInput },
    handler: Handler<E, R>
  ): Effect.Effect<Outcome, WebhookVerificationError | E, R | WebhookConfig.WebhookConfig>
  <E, R>(
    input: { readonly body: string | Uint8Array; readonly headers: HeadersInput },
    handler: Handler<E, R>,
    options: WebhookConfig.Options
  ): Effect.Effect<Outcome, WebhookVerificationError | E, R>
} = receiveImpl

// =============================================================================
// HttpApp
// =============================================================================

class HandlerFailure extends Data.TaggedError("HandlerFailure")<{ readonly cause: Cause.Cause<unknown> }> {}

const errorResponse = (status: number, error: string) => HttpServerResponse.unsafeJson({ error }, { status })

const toHttpAppImpl = <E, R>(
  handler: Handler<E, R>,
  options?: WebhookConfig.Options | undefined
): HttpApp.Default<never, any> =>
  Effect.gen(function*() {
    const request = yield* HttpServerRequest.HttpServerRequest
    if (request.method !== "POST") {
      return HttpServerResponse.empty({ status: 405, headers: { allow: "POST" } })
    }
    const body = yield* request.text
    yield* receiveImpl(
      { body, headers: request.headers },
      (event) => Effect.mapError(Effect.sandbox(handler(event)), (cause) => new HandlerFailure({ cause })),
      options
    )
    return HttpServerResponse.empty({ status: 204 })
  }).pipe(
    Effect.catchAll((error) => {
      if (error instanceof WebhookVerificationError) {
        return Effect.as(
          Effect.annotateLogs(Effect.logDebug("webhook rejected"), { reason: error.reason, message: error.message }),
          errorResponse(error.status, error.reason)
        )
      }
      if (error instanceof HandlerFailure) {
        return Effect.as(
          Effect.logError("webhook handler failed", error.cause),
          errorResponse(500, "HandlerFailed")
        )
      }
      return Effect.succeed(errorResponse(400, "InvalidRequest"))
    }),
    Effect.withSpan("WebhookHandler.httpApp")
  )

/**
 * An `HttpApp` that receives deliveries: reads the raw body text, verifies it, decodes the event, and runs the
 * handler. Mount it with `HttpRouter.post("/webhooks", app)` or serve it directly. Without `options` the secrets come
 * from the `WebhookConfig` service; provide `WebhookDedupe` to skip replayed event ids.
 *
 * @example
 * ```ts
 * import { HttpRouter } from "@effect/platform"
 * import { Effect, Redacted } from "effect"
 * import { WebhookConfig, WebhookHandler } from "@hai-effect/webhooks"
 *
 * const router = HttpRouter.empty.pipe(
 *   HttpRouter.post(
 *     "/webhooks",
 *     WebhookHandler.toHttpApp((event) =>
 *       event.type === "session.completed" ? Effect.log(`session ${event.data.session_id} completed`) : Effect.void
 *     )
 *   ),
 *   HttpRouter.provideService(WebhookConfig.WebhookConfig, WebhookConfig.make({ secrets: Redacted.make("whsec_abc") }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category Handlers
 */
export const toHttpApp: {
  <E, R>(
    handler: Handler<E, R>
  ): HttpApp.Default<never, Exclude<R, HttpServerRequest.HttpServerRequest> | WebhookConfig.WebhookConfig>
  <E, R>(
    handler: Handler<E, R>,
    options: WebhookConfig.Options
  ): HttpApp.Default<never, Exclude<R, HttpServerRequest.HttpServerRequest>>
} = toHttpAppImpl

// =============================================================================
// Web handler
// =============================================================================

/**
 * A Web-standard `(request: Request) => Promise<Response>` handler, for Hono, Next.js route handlers, Bun, Deno and
 * Cloudflare Workers. It runs `toHttpApp` on a runtime built once (lazily, on the first request) from `layer`, which
 * must provide what the handler needs, and `WebhookConfig` unless `secrets` are given. Add
 * `WebhookDedupe.layerMemory()` to `layer` to skip replays. Call `dispose` on shutdown to release the layer.
 *
 * @example
 * ```ts
 * import { Effect, Layer, Redacted } from "effect"
 * import { WebhookDedupe, WebhookHandler } from "@hai-effect/webhooks"
 *
 * const { handler } = WebhookHandler.toWebHandler(
 *   (event) => Effect.log(event.type),
 *   { secrets: Redacted.make(process.env.HAI_WEBHOOK_SECRET!), layer: WebhookDedupe.layerMemory() }
 * )
 *
 * // Next.js (app/api/webhooks/route.ts): export const POST = handler
 * // Hono: app.post("/webhooks", (c) => handler(c.req.raw))
 * // Workers: export default { fetch: handler }
 * ```
 *
 * @since 0.1.0
 * @category Handlers
 */
export const toWebHandler: {
  <E>(
    handler: Handler<E, never>,
    options: WebhookConfig.Options & { readonly layer?: Layer.Layer<never, unknown> | undefined }
  ): WebHandler
  <E, R, RE>(
    handler: Handler<E, R>,
    options: WebhookConfig.Options & { readonly layer: Layer.Layer<R, RE> }
  ): WebHandler
  <E, R, RE>(
    handler: Handler<E, R>,
    options: { readonly layer: Layer.Layer<R | WebhookConfig.WebhookConfig, RE> }
  ): WebHandler
} = (
  handler: Handler<unknown, any>,
  options: {
    readonly secrets?: WebhookConfig.Secrets | undefined
    readonly tolerance?: WebhookConfig.Options["tolerance"]
    readonly layer?: Layer.Layer<never, unknown> | undefined
  }
): WebHandler => {
  const app = toHttpAppImpl(
    handler,
    options.secrets === undefined ? undefined : { secrets: options.secrets, tolerance: options.tolerance }
  )
  const web = HttpApp_.toWebHandlerLayer(app, (options.layer ?? Layer.empty) as Layer.Layer<any, unknown>)
  return { handler: (request) => web.handler(request), dispose: web.dispose }
}
