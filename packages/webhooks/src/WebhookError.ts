/**
 * Errors raised while verifying a webhook delivery.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * Why a delivery was rejected.
 *
 * - `MissingHeader`: `X-H-Webhook-Signature` or `X-H-Webhook-Timestamp` is absent or empty (see `header`).
 * - `InvalidTimestamp`: the timestamp header is not a whole number of unix seconds.
 * - `TimestampTooOld` / `TimestampInFuture`: the timestamp is outside the tolerance around `Clock`.
 * - `SignatureMismatch`: no secret produces the signature (or the header is malformed).
 * - `InvalidPayload`: the body is signed but is not JSON or does not match the event schema.
 *
 * @example
 * ```ts
 * import { WebhookError } from "@hai-effect/webhooks"
 *
 * const reason: WebhookError.WebhookVerificationReason = "SignatureMismatch"
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export const WebhookVerificationReason = Schema.Literal(
  "MissingHeader",
  "InvalidTimestamp",
  "TimestampTooOld",
  "TimestampInFuture",
  "SignatureMismatch",
  "InvalidPayload"
)

/**
 * @example
 * ```ts
 * import { WebhookError } from "@hai-effect/webhooks"
 *
 * const reason: WebhookError.WebhookVerificationReason = "TimestampTooOld"
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export type WebhookVerificationReason = typeof WebhookVerificationReason.Type

/**
 * The header a `MissingHeader` error is about.
 *
 * @example
 * ```ts
 * import { WebhookError } from "@hai-effect/webhooks"
 *
 * const header: WebhookError.WebhookHeaderName = "X-H-Webhook-Timestamp"
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export const WebhookHeaderName = Schema.Literal("X-H-Webhook-Signature", "X-H-Webhook-Timestamp")

/**
 * @example
 * ```ts
 * import { WebhookError } from "@hai-effect/webhooks"
 *
 * const header: WebhookError.WebhookHeaderName = "X-H-Webhook-Signature"
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export type WebhookHeaderName = typeof WebhookHeaderName.Type

/**
 * A delivery failed verification. `reason` says which check failed; `header` names the missing header for
 * `MissingHeader`. Never carries a secret.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebhookError } from "@hai-effect/webhooks"
 *
 * const program = Effect.fail(
 *   new WebhookError.WebhookVerificationError({ reason: "SignatureMismatch", message: "no secret matched" })
 * ).pipe(
 *   Effect.catchTag("WebhookVerificationError", (e) => Effect.succeed(e.reason))
 * )
 * ```
 *
 * @since 0.1.0
 * @category Errors
 */
export class WebhookVerificationError extends Schema.TaggedError<WebhookVerificationError>(
  "@hai-effect/webhooks/WebhookVerificationError"
)("WebhookVerificationError", {
  reason: WebhookVerificationReason,
  header: Schema.optional(WebhookHeaderName),
  message: Schema.String
}) {
  /**
   * The HTTP status a receiver should answer with: 400 for `InvalidPayload`, 401 otherwise.
   *
   * @since 0.1.0
   */
  get status(): 400 | 401 {
    return this.reason === "InvalidPayload" ? 400 : 401
  }
}
