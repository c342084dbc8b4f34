/**
 * The signing secrets and tolerance used to verify deliveries, as a service.
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"

/**
 * The verification settings: every secret currently accepted (more than one during a rotation) and the tolerance
 * around `Clock` for `X-H-Webhook-Timestamp`.
 *
 * @example
 * ```ts
 * import { Effect } from "effect"
 * import { WebhookConfig } from "@hai-effect/webhooks"
 *
 * const program = Effect.map(WebhookConfig.WebhookConfig, (config) => config.secrets.length)
 * ```
 *
 * @since 0.1.0
 * @category Context
 */
export class WebhookConfig extends Context.Tag("@hai-effect/webhooks/WebhookConfig")<
  WebhookConfig,
  WebhookConfig.Service
>() {}

/**
 * @since 0.1.0
 * @category Models
 */
export declare namespace WebhookConfig {
  /**
   * @since 0.1.0
   * @category Models
   */
  export interface Service {
    readonly secrets: ReadonlyArray<Redacted.Redacted<string>>
    readonly tolerance: Duration.Duration
  }
}

/**
 * One secret or several (rotation: the old and the new one).
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import type { WebhookConfig } from "@hai-effect/webhooks"
 *
 * const secrets: WebhookConfig.Secrets = [Redacted.make("whsec_old"), Redacted.make("whsec_new")]
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export type Secrets = Redacted.Redacted<string> | ReadonlyArray<Redacted.Redacted<string>>

/**
 * Options for `layer` and for the handlers.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import type { WebhookConfig } from "@hai-effect/webhooks"
 *
 * const options: WebhookConfig.Options = { secrets: Redacted.make("whsec_abc"), tolerance: "2 minutes" }
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export interface Options {
  readonly secrets: Secrets
  /** Defaults to 300 seconds. */
  readonly tolerance?: Duration.DurationInput | undefined
}

/**
 * The default tolerance: 300 seconds.
 *
 * @example
 * ```ts
 * import { Duration } from "effect"
 * import { WebhookConfig } from "@hai-effect/webhooks"
 *
 * Duration.toSeconds(WebhookConfig.defaultTolerance) // 300
 * ```
 *
 * @since 0.1.0
 * @category Configuration
 */
export const defaultTolerance: Duration.Duration = Duration.seconds(300)

/**
 * Normalises one secret or several to an array.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { WebhookConfig } from "@hai-effect/webhooks"
 *
 * WebhookConfig.secretsToArray(Redacted.make("whsec_abc")).length // 1
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const secretsToArray = (secrets: Secrets): ReadonlyArray<Redacted.Redacted<string>> =>
  Array.isArray(secrets) ? secrets : [secrets as Redacted.Redacted<string>]

/**
 * Builds the service value from options.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { WebhookConfig } from "@hai-effect/webhooks"
 *
 * const service = WebhookConfig.make({ secrets: Redacted.make("whsec_abc") })
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (options: Options): WebhookConfig.Service => ({
  secrets: secretsToArray(options.secrets),
  tolerance: options.tolerance === undefined ? defaultTolerance : Duration.decode(options.tolerance)
})

/**
 * A layer from explicit options.
 *
 * @example
 * ```ts
 * import { Redacted } from "effect"
 * import { WebhookConfig } from "@hai-effect/webhooks"
 *
 * const ConfigLive = WebhookConfig.layer({ secrets: [Redacted.make("whsec_old"), Redacted.make("whsec_new")] })
 * ```
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (options: Options): Layer.Layer<WebhookConfig> => Layer.succeed(WebhookConfig, make(options))

/**
 * A layer read from `Config`. By default the secrets come from `HAI_WEBHOOK_SECRET`, a comma separated list (several
 * during a rotation), and the tolerance from `HAI_WEBHOOK_TOLERANCE` (a duration, default 300 seconds).
 *
 * @example
 * ```ts
 * import { Config } from "effect"
 * import { WebhookConfig } from "@hai-effect/webhooks"
 *
 * const FromEnv = WebhookConfig.layerConfig()
 * const Custom = WebhookConfig.layerConfig({ secrets: Config.redacted("MY_WEBHOOK_SECRET") })
 * ```
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerConfig = (
  options?: {
    readonly secrets?: Config.Config<Secrets> | undefined
    readonly tolerance?: Config.Config<Duration.Duration> | undefined
  } | undefined
): Layer.Layer<WebhookConfig, ConfigError.ConfigError> =>
  Layer.effect(
    WebhookConfig,
    Effect.gen(function*() {
      const secrets = yield* (options?.secrets ?? Config.array(Config.redacted(), "HAI_WEBHOOK_SECRET"))
      const tolerance = yield* (options?.tolerance
        ?? Config.duration("HAI_WEBHOOK_TOLERANCE").pipe(Config.withDefault(defaultTolerance)))
      return { secrets: secretsToArray(secrets), tolerance }
    })
  )
