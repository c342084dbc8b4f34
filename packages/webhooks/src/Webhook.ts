/**
 * Verify and sign webhook deliveries of the Computer-Use Agents API on WebCrypto (Node 20+, Bun, Deno, Workers,
 * browsers).
 *
 * Scheme: `X-H-Webhook-Timestamp: <unix seconds>` and
 * `X-H-Webhook-Signature: sha256=<lowercase hex HMAC-SHA256(secret, "<timestamp>." + raw body)>`.
 *
 * @since 0.1.0
 */
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as WebhookConfig from "./WebhookConfig.js"
import { WebhookVerificationError } from "./WebhookError.js"
import * as WebhookEvent from "./WebhookEvent.js"

// =============================================================================
// Constants
// =============================================================================

/**
 * The signature header name.
 *
 * @example
 * ```ts
 * import { Webhook } from "@hai-effect/webhooks"
 *
 * const signature = new Headers({ "x-h-webhook-signature": "sha256=00" }).get(Webhook.SignatureHeader)
 * ```
 *
 * @since 0.1.0
 * @category Constants
 */
export const SignatureHeader = "X-H-Webhook-Signature" as const

/**
 * The timestamp header name (unix seconds).
 *
 * @example
 * ```ts
 * import { Webhook } from "@hai-effect/webhooks"
 *
 * const timestamp = new Headers({ "x-h-webhook-timestamp": "1764504000" }).get(Webhook.TimestampHeader)
 * ```
 *
 * @since 0.1.0
 * @category Constants
 */
export const TimestampHeader = "X-H-Webhook-Timestamp" as const

/**
 * The two headers of a signed delivery.
 *
 * @example
 * ```ts
 * import type { Webhook } from "@hai-effect/webhooks"
 *
 * const headers: Webhook.SignedHeaders = {
 *   "X-H-Webhook-Signature": "sha256=" + "0".repeat(64),
 *   "X-H-Webhook-Timestamp": "1764504000"
 * }
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export interface SignedHeaders {
  readonly "X-H-Webhook-Signature": string
  readonly "X-H-Webhook-Timestamp": string
}

// =============================================================================
// Verify
// =============================================================================

/**
 * What `verifySignature` and `verify` need. `body` is the raw request body, as text or bytes, exactly as received.
 * `signature` and `timestamp` are the header values (`undefined`/`null`/empty means missing).
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import type { Webhook } from "@hai-effect/webhooks"
 *
 * const input: Webhook.VerifyOptions = {
 *   body: '{"type":"ping"}',
 *   signature: "sha256=...",
 *   timestamp: "1764504000",
 *   secrets: Redacted.make("whsec_abc")
 * }
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export interface VerifyOptions {
  readonly body: string | Uint8Array
  readonly signature: string | null | undefined
  readonly timestamp: string | null | undefined
  /** One secret, or several during a rotation: any of them may match. */
  readonly secrets: WebhookConfig.Secrets
  /** How far `timestamp` may be from `Clock`, in the past or the future. Defaults to 300 seconds. */
  readonly tolerance?: Duration.DurationInput | undefined
}

const encoder = new TextEncoder()
const hmac = { name: "HMAC", hash: "SHA-256" } as const
const signatureEntry = /^sha256=([0-9a-fA-F]{64})$/
const timestampPattern = /^\d{1,15}$/

const fail = (
  reason: WebhookVerificationError["reason"],
  message: string,
  header?: WebhookVerificationError["header"]
) => Effect.fail(new WebhookVerificationError(header === undefined ? { reason, message } : { reason, message, header }))

const isMissing = (value: string | null | undefined): value is null | undefined | "" =>
  value === undefined || value === null || value.trim() === ""

const toBytes = (body: string | Uint8Array): Uint8Array => typeof body === "string" ? encoder.encode(body) : body

const signedPayload = (timestamp: string, body: string | Uint8Array): Uint8Array<ArrayBuffer> => {
  const prefix = encoder.encode(`${timestamp}.`)
  const bytes = toBytes(body)
  const out = new Uint8Array(prefix.length + bytes.length)
  out.set(prefix, 0)
  out.set(bytes, prefix.length)
  return out
}

const hexToBytes = (hex: string): Uint8Array<ArrayBuffer> => {
  const out = new Uint8Array(hex.length / 2)
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16)
  }
  return out
}

const bytesToHex = (bytes: Uint8Array): string => {
  let hex = ""
  for (let i = 0; i < bytes.length; i++) {
    hex += bytes[i].toString(16).padStart(2, "0")
  }
  return hex
}

/**
 * The most entries one `X-H-Webhook-Signature` header may hold. The API sends one per active secret (two during a
 * rotation); a header with more is refused before any MAC is computed, so a forged header of hundreds of entries
 * over a large body costs nothing.
 *
 * @example
 * ```ts
 * import { Webhook } from "@hai-effect/webhooks"
 *
 * const tooMany = (header: string) => header.split(",").length > Webhook.maxSignatures
 * ```
 *
 * @since 0.1.0
 * @category Constants
 */
export const maxSignatures = 16

const parseSignatures = (header: string): ReadonlyArray<Uint8Array<ArrayBuffer>> | "TooMany" => {
  const out: Array<Uint8Array<ArrayBuffer>> = []
  let entries = 0
  for (const entry of header.split(/[\s,]+/)) {
    if (entry === "") continue
    if (++entries > maxSignatures) return "TooMany"
    const match = signatureEntry.exec(entry)
    if (match !== null) out.push(hexToBytes(match[1]))
  }
  return out
}

// Constant time in the bytes compared: every byte is visited whatever the first difference.
const equalBytes = (a: Uint8Array, b: Uint8Array): boolean => {
  if (a.length !== b.length) return false
  let diff = 0
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i]
  return diff === 0
}

const importKey = (secret: Redacted.Redacted<string>, usage: "sign" | "verify") =>
  Effect.promise(() =>
    globalThis.crypto.subtle.importKey("raw", encoder.encode(Redacted.value(secret)), hmac, false, [usage])
  )

/**
 * Checks the headers, the timestamp (against `Clock`, within `tolerance`) and the HMAC signature of a delivery
 * against every secret, without decoding the body. The comparison runs in constant time. A header may hold at most
 * `maxSignatures` entries.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { Webhook } from "@hai-effect/webhooks"
 *
 * declare const request: Request
 * const program = Effect.gen(function*() {
 *   const body = yield* Effect.promise(() => request.text())
 *   yield* Webhook.verifySignature({
 *     body,
 *     signature: request.headers.get(Webhook.SignatureHeader),
 *     timestamp: request.headers.get(Webhook.TimestampHeader),
 *     secrets: Redacted.make("whsec_abc")
 *   })
 * })
 * ```
 *
 * @since 0.1.0
 * @category Verification
 */
export const verifySignature: (options: VerifyOptions) => Effect.Effect<void, WebhookVerificationError> = Effect.fn(
  "Webhook.verifySignature"
)(function*(options: VerifyOptions) {
  if (isMissing(options.signature)) {
    return yield* fail("MissingHeader", `missing header ${SignatureHeader}`, SignatureHeader)
  }
  if (isMissing(options.timestamp)) {
    return yield* fail("MissingHeader", `missing header ${TimestampHeader}`, TimestampHeader)
  }
  const timestamp = options.timestamp.trim()
  if (!timestampPattern.test(timestamp)) {
    return yield* fail("InvalidTimestamp", `${TimestampHeader} is not unix seconds`)
  }
  const tolerance = options.tolerance === undefined
    ? WebhookConfig.defaultTolerance
    : Duration.decode(options.tolerance)
  if (Duration.isFinite(tolerance)) {
    const now = yield* Clock.currentTimeMillis
    const age = now - Number(timestamp) * 1000
    const toleranceMillis = Duration.toMillis(tolerance)
    if (age > toleranceMillis) {
      return yield* fail("TimestampTooOld", `${TimestampHeader} is more than ${Duration.format(tolerance)} old`)
    }
    if (-age > toleranceMillis) {
      return yield* fail("TimestampInFuture", `${TimestampHeader} is more than ${Duration.format(tolerance)} ahead`)
    }
  }
  const signatures = parseSignatures(options.signature)
  if (signatures === "TooMany") {
    return yield* fail("SignatureMismatch", `${SignatureHeader} holds more than ${maxSignatures} signatures`)
  }
  if (signatures.length === 0) {
    return yield* fail("SignatureMismatch", `${SignatureHeader} is not of the form sha256=<64 hex digits>`)
  }
  const secrets = WebhookConfig.secretsToArray(options.secrets).filter((secret) => Redacted.value(secret) !== "")
  if (secrets.length === 0) {
    return yield* fail("SignatureMismatch", "no webhook secret is configured")
  }
  // One MAC per secret, compared with every signature, rather than one `subtle.verify` per pair: the body is hashed
  // as many times as there are secrets, however many signatures the header holds.
  const data = signedPayload(timestamp, options.body)
  for (const secret of secrets) {
    const key = yield* importKey(secret, "sign")
    const mac = new Uint8Array(yield* Effect.promise(() => globalThis.crypto.subtle.sign(hmac, key, data)))
    let matched = false
    for (const signature of signatures) matched = equalBytes(mac, signature) || matched
    if (matched) return
  }
  return yield* fail("SignatureMismatch", "the signature matches none of the secrets")
})

/**
 * A key naming one delivery: the SHA-256 of what the signature covers (`"<timestamp>." + raw body`), as
 * `delivery:sha256:<hex>`. A replay of a delivery has the same key whichever of its signatures it carries, and a new
 * delivery of the same body has a new timestamp and so a new key. `WebhookHandler` dedupes events without an `id` on
 * it.
 *
 * @example
 * ```ts
 * import { Webhook } from "@hai-effect/webhooks"
 *
 * const program = Webhook.deliveryKey({ body: '{"type":"ping"}', timestamp: "1764504000" })
 * ```
 *
 * @since 0.1.0
 * @category Verification
 */
export const deliveryKey = (options: {
  readonly body: string | Uint8Array
  readonly timestamp: string
}): Effect.Effect<string> =>
  Effect.map(
    Effect.promise(() =>
      globalThis.crypto.subtle.digest("SHA-256", signedPayload(options.timestamp.trim(), options.body))
    ),
    (digest) => `delivery:sha256:${bytesToHex(new Uint8Array(digest))}`
  )

const decoder = new TextDecoder("utf-8", { fatal: true })
const decodeEvent = Schema.decodeUnknown(WebhookEvent.WebhookEventFromJson)

/**
 * Decodes a body that has already been verified. Fails with reason `InvalidPayload`.
 *
 * @example
 * ```ts
 * import { Webhook } from "@hai-effect/webhooks"
 *
 * const program = Webhook.decodeBody('{"type":"ping"}')
 * ```
 *
 * @since 0.1.0
 * @category Verification
 */
export const decodeBody = (
  body: string | Uint8Array
): Effect.Effect<WebhookEvent.WebhookEvent, WebhookVerificationError> =>
  Effect.suspend(() => {
    let text: string
    if (typeof body === "string") {
      text = body
    } else {
      try {
        text = decoder.decode(body)
      } catch {
        return fail("InvalidPayload", "the body is not valid UTF-8")
      }
    }
    return decodeEvent(text).pipe(
      Effect.mapError((error) =>
        new WebhookVerificationError({
          reason: "InvalidPayload",
          message: truncate(ParseResult.TreeFormatter.formatErrorSync(error), 2000)
        })
      )
    )
  })

const truncate = (s: string, max: number) => s.length <= max ? s : `${s.slice(0, max)}…`

/**
 * Verifies a delivery (headers, timestamp within tolerance of `Clock`, HMAC signature with any of the secrets, in
 * constant time) and decodes its body to a typed `WebhookEvent`. An unknown event type decodes to
 * `UnknownWebhookEvent`.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { Webhook } from "@hai-effect/webhooks"
 *
 * declare const body: string
 * declare const headers: Headers
 *
 * const program = Webhook.verify({
 *   body,
 *   signature: headers.get("x-h-webhook-signature"),
 *   timestamp: headers.get("x-h-webhook-timestamp"),
 *   secrets: [Redacted.make("whsec_old"), Redacted.make("whsec_new")]
 * }).pipe(
 *   Effect.tap((event) => event.type === "session.completed" ? Effect.log(event.data.session_id) : Effect.void),
 *   Effect.catchTag("WebhookVerificationError", (e) => Effect.logWarning(e.reason))
 * )
 * ```
 *
 * @since 0.1.0
 * @category Verification
 */
export const verify: (options: VerifyOptions) => Effect.Effect<WebhookEvent.WebhookEvent, WebhookVerificationError> =
  Effect.fn("Webhook.verify")(function*(options: VerifyOptions) {
    yield* verifySignature(options)
    return yield* decodeBody(options.body)
  })

// =============================================================================
// Sign
// =============================================================================

/**
 * Computes the `X-H-Webhook-Signature` value (`sha256=<hex>`) for a body and timestamp.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { Webhook } from "@hai-effect/webhooks"
 *
 * const program = Webhook.computeSignature({ body: "{}", secret: Redacted.make("whsec_abc"), timestamp: 1764504000 })
 * ```
 *
 * @since 0.1.0
 * @category Signing
 */
export const computeSignature = (options: {
  readonly body: string | Uint8Array
  readonly secret: Redacted.Redacted<string>
  readonly timestamp: number | string
}): Effect.Effect<string> =>
  Effect.gen(function*() {
    const key = yield* importKey(options.secret, "sign")
    const mac = yield* Effect.promise(() =>
      globalThis.crypto.subtle.sign(hmac, key, signedPayload(String(options.timestamp), options.body))
    )
    return `sha256=${bytesToHex(new Uint8Array(mac))}`
  })

/**
 * Signs a body the way the API does and returns the two headers to send with it. The timestamp defaults to
 * `Clock`'s current time. Meant for tests and emulators.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { Webhook } from "@hai-effect/webhooks"
 *
 * const body = JSON.stringify({ type: "ping", id: "evt_0" })
 * const program = Effect.gen(function*() {
 *   const headers = yield* Webhook.sign({ body, secret: Redacted.make("whsec_abc") })
 *   return new Request("http://localhost/webhooks", { method: "POST", body, headers: { ...headers } })
 * })
 * ```
 *
 * @since 0.1.0
 * @category Signing
 */
export const sign: (options: {
  readonly body: string | Uint8Array
  readonly secret: Redacted.Redacted<string>
  readonly timestamp?: number | string | undefined
}) => Effect.Effect<SignedHeaders> = Effect.fn("Webhook.sign")(function*(options: {
  readonly body: string | Uint8Array
  readonly secret: Redacted.Redacted<string>
  readonly timestamp?: number | string | undefined
}) {
  const timestamp = options.timestamp === undefined
    ? String(Math.floor((yield* Clock.currentTimeMillis) / 1000))
    : String(options.timestamp)
  const signature = yield* computeSignature({ body: options.body, secret: options.secret, timestamp })
  return { [SignatureHeader]: signature, [TimestampHeader]: timestamp }
})

/**
 * Encodes an event to JSON and signs it: the body and headers of a delivery. Meant for tests and emulators.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { Webhook, WebhookEvent } from "@hai-effect/webhooks"
 *
 * const program = Webhook.signEvent({
 *   event: new WebhookEvent.SessionCompleted({
 *     id: "evt_1",
 *     created_at: "2026-11-30T12:00:00Z",
 *     data: new WebhookEvent.SessionStatusData({ session_id: "s1", status: "completed", previous_status: "running" })
 *   }),
 *   secret: Redacted.make("whsec_abc")
 * })
 * ```
 *
 * @since 0.1.0
 * @category Signing
 */
export const signEvent = (options: {
  readonly event: WebhookEvent.WebhookEvent
  readonly secret: Redacted.Redacted<string>
  readonly timestamp?: number | string | undefined
}): Effect.Effect<{ readonly body: string; readonly headers: SignedHeaders }, ParseResult.ParseError> =>
  Effect.gen(function*() {
    const body = yield* WebhookEvent.encodeJson(options.event)
    const headers = yield* sign({ body, secret: options.secret, timestamp: options.timestamp })
    return { body, headers }
  })
