/**
 * Delivery dedupe by event id (or, for an event without one, by `Webhook.deliveryKey`): a delivery replayed inside the
 * window is acknowledged without running the handler again. Provide one of the layers to turn it on in
 * `WebhookHandler`.
 *
 * @since 0.1.0
 */
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

/**
 * The dedupe service. When it is in the context, `WebhookHandler` claims each event id (or the delivery key of an event
 * without one) before calling the handler.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebhookDedupe } from "@hai-effect/webhooks"
 *
 * const program = Effect.flatMap(WebhookDedupe.WebhookDedupe, (dedupe) => dedupe.claim("evt_1"))
 * ```
 *
 * @since 0.1.0
 * @category Context
 */
export class WebhookDedupe extends Context.Tag("@hai-effect/webhooks/WebhookDedupe")<
  WebhookDedupe,
  WebhookDedupe.Service
>() {}

/**
 * @since 0.1.0
 * @category Models
 */
export declare namespace WebhookDedupe {
  /**
   * @since 0.1.0
   * @category Models
   */
  export interface Service {
    /** `true` when the id is new (process the event), `false` when it was claimed within the window. */
    readonly claim: (id: string) => Effect.Effect<boolean>
    /** Forgets an id, so that a later delivery of it is processed (used when the handler failed). */
    readonly release: (id: string) => Effect.Effect<void>
  }
}

/**
 * Options of the dedupe layers.
 *
 * @example
 * ```ts
 * import type { WebhookDedupe } from "@hai-effect/webhooks"
 *
 * const options: WebhookDedupe.Options = { ttl: "15 minutes", capacity: 50_000 }
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export interface Options {
  /**
   * How long an id is remembered. Defaults to 10 minutes: twice the 300 s timestamp tolerance, after which a replay
   * fails verification anyway.
   */
  readonly ttl?: Duration.DurationInput | undefined
  /** In memory only: the most ids kept; the oldest are forgotten first. Defaults to 10 000. */
  readonly capacity?: number | undefined
  /** Key-value store only: the prefix of the keys. Defaults to `"hai-webhooks/dedupe/"`. */
  readonly prefix?: string | undefined
}

/**
 * The default window: 10 minutes.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { WebhookDedupe } from "@hai-effect/webhooks"
 *
 * Duration.toMinutes(WebhookDedupe.defaultTtl) // 10
 * ```
 *
 * @since 0.1.0
 * @category Configuration
 */
export const defaultTtl: Duration.Duration = Duration.minutes(10)

/**
 * Builds an in-memory dedupe (bounded by `capacity`, entries expire after `ttl`, time from `Clock`).
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebhookDedupe } from "@hai-effect/webhooks"
 *
 * const program = Effect.gen(function*() {
 *   const dedupe = yield* WebhookDedupe.makeMemory({ capacity: 1000 })
 *   return yield* dedupe.claim("evt_1") // true, then false for the same id
 * })
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const makeMemory = (options?: Options | undefined): Effect.Effect<WebhookDedupe.Service> =>
  Effect.sync(() => {
    const ttl = Duration.toMillis(options?.ttl === undefined ? defaultTtl : Duration.decode(options.ttl))
    const capacity = Math.max(1, options?.capacity ?? 10_000)
    const seen = new Map<string, number>()
    const purge = (now: number) => {
      for (const [id, expiresAt] of seen) {
        if (expiresAt > now && seen.size <= capacity) break
        seen.delete(id)
      }
    }
    return WebhookDedupe.of({
      claim: (id) =>
        Effect.map(Clock.currentTimeMillis, (now) => {
          const expiresAt = seen.get(id)
          if (expiresAt !== undefined && expiresAt > now) return false
          seen.delete(id)
          seen.set(id, now + ttl)
          purge(now)
          return true
        }),
      release: (id) => Effect.sync(() => void seen.delete(id))
    })
  })

/**
 * In-memory dedupe for one process.
 *
 * @example
 * ```ts
 * import { Effect, Redacted } from "effect"
 * import { WebhookConfig, WebhookDedupe, WebhookHandler } from "@hai-effect/webhooks"
 *
 * const app = WebhookHandler.toHttpApp((event) => Effect.log(event.type)).pipe(
 *   Effect.provide(WebhookDedupe.layerMemory({ ttl: "10 minutes" })),
 *   Effect.provide(WebhookConfig.layer({ secrets: Redacted.make("whsec_abc") }))
 * )
 * ```
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerMemory = (options?: Options | undefined): Layer.Layer<WebhookDedupe> =>
  Layer.effect(WebhookDedupe, makeMemory(options))

/**
 * Builds a dedupe over any `@effect/platform` `KeyValueStore` (file system, browser storage, Redis, ...), so that
 * several instances can share the window. The store has no atomic set-if-absent, so two instances racing on the
 * same id may both process it; claims inside one instance are serialised. Store failures are defects (the handler
 * answers 500).
 *
 * @example
 * ```ts
 * import { KeyValueStore } from "@effect/platform"
 * import { Effect } from "effect"
 * import { WebhookDedupe } from "@hai-effect/webhooks"
 *
 * const program = Effect.gen(function*() {
 *   const dedupe = yield* WebhookDedupe.makeKeyValueStore()
 *   return yield* dedupe.claim("evt_1")
 * }).pipe(Effect.provide(KeyValueStore.layerMemory))
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const makeKeyValueStore = (
  options?: Options | undefined
): Effect.Effect<WebhookDedupe.Service, never, KeyValueStore.KeyValueStore> =>
  Effect.gen(function*() {
    const store = yield* KeyValueStore.KeyValueStore
    const ttl = Duration.toMillis(options?.ttl === undefined ? defaultTtl : Duration.decode(options.ttl))
    const prefix = options?.prefix ?? "hai-webhooks/dedupe/"
    const lock = yield* Effect.makeSemaphore(1)
    return WebhookDedupe.of({
      claim: (id) =>
        lock.withPermits(1)(Effect.gen(function*() {
          const now = yield* Clock.currentTimeMillis
          const existing = yield* store.get(prefix + id)
          if (Option.isSome(existing) && Number(existing.value) > now) return false
          yield* store.set(prefix + id, String(now + ttl))
          return true
        })).pipe(Effect.orDie),
      release: (id) => store.remove(prefix + id).pipe(Effect.orDie)
    })
  })

/**
 * Dedupe stored in the `KeyValueStore` of the context.
 *
 * @example
 * ```ts
 * import { KeyValueStore } from "@effect/platform"
 * import { Layer } from "effect"
 * import { WebhookDedupe } from "@hai-effect/webhooks"
 *
 * const DedupeLive = WebhookDedupe.layerKeyValueStore({ ttl: "1 hour" }).pipe(Layer.provide(KeyValueStore.layerMemory))
 * ```
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerKeyValueStore = (
  options?: Options | undefined
): Layer.Layer<WebhookDedupe, never, KeyValueStore.KeyValueStore> =>
  Layer.effect(WebhookDedupe, makeKeyValueStore(options))
