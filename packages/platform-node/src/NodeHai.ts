/**
 * One-line layers of the `HaiAgents` client for Node.js, over undici (see `UndiciHttpClient`).
 *
 * @example
 * import { Effect } from "effect"
 * import { HaiAgents } from "@hai-effect/core"
 * import { NodeHai } from "@hai-effect/platform-node"
 *
 * const program = Effect.gen(function*() {
 *   const hai = yield* HaiAgents.HaiAgents
 *   return yield* hai.sessions.quota()
 * })
 *
 * program.pipe(Effect.provide(NodeHai.layerConfig()))
 *
 * @since 0.1.0
 */
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HaiAgents from "@hai-effect/core/HaiAgents"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import type * as Redacted from "effect/Redacted"
import * as Credentials from "./Credentials.js"
import * as UndiciHttpClient from "./UndiciHttpClient.js"

/**
 * The undici-backed `HttpClient` ({@link UndiciHttpClient.layer}): keep-alive connection pooling,
 * closed when the layer's scope ends. It behaves as `NodeHttpClient.layerUndici` and costs less per
 * request, which counts when many sessions are watched at once.
 *
 * @example
 * import { Layer } from "effect"
 * import { HaiAgents } from "@hai-effect/core"
 * import { NodeHai } from "@hai-effect/platform-node"
 *
 * const HaiLive = HaiAgents.layer({ apiKey: "hk-..." }).pipe(Layer.provide(NodeHai.layerHttpClient))
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerHttpClient: Layer.Layer<HttpClient.HttpClient> = UndiciHttpClient.layer

/**
 * The client from explicit options, with its HTTP client: needs nothing else.
 *
 * @example
 * import { Effect, Redacted } from "effect"
 * import { HaiAgents } from "@hai-effect/core"
 * import { NodeHai } from "@hai-effect/platform-node"
 *
 * const HaiLive = NodeHai.layer({ apiKey: Redacted.make("hk-..."), environment: "us" })
 *
 * Effect.flatMap(HaiAgents.HaiAgents, (hai) => hai.sessions.quota()).pipe(Effect.provide(HaiLive))
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (options: HaiAgents.Options): Layer.Layer<HaiAgents.HaiAgents> =>
  HaiAgents.layer(options).pipe(Layer.provide(layerHttpClient))

/**
 * Options of {@link layerConfig}: the client's options, with the key and base URL optional (an
 * explicit value wins over every other source).
 *
 * @since 0.1.0
 * @category Models
 */
export interface ConfigOptions extends Omit<HaiAgents.Options, "apiKey" | "baseUrl"> {
  readonly apiKey?: Redacted.Redacted<string> | string | undefined
  readonly baseUrl?: string | URL | undefined
}

/**
 * The client with credentials found the way the official tools find them (see
 * `Credentials.resolve`: option, `HAI_API_KEY`, `H_API_KEY`, `./.env`, `~/.config/hai/.env`), and
 * its HTTP client. Fails with `MissingApiKey` when no key is found.
 *
 * @example
 * import { Effect } from "effect"
 * import { HaiAgents } from "@hai-effect/core"
 * import { NodeHai } from "@hai-effect/platform-node"
 *
 * const program = Effect.flatMap(HaiAgents.HaiAgents, (hai) => hai.sessions.quota())
 *
 * program.pipe(Effect.provide(NodeHai.layerConfig({ timeout: "2 minutes" })))
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerConfig = (
  options?: ConfigOptions
): Layer.Layer<HaiAgents.HaiAgents, Credentials.ResolveError> =>
  Layer.effect(
    HaiAgents.HaiAgents,
    Effect.gen(function*() {
      const { apiKey, baseUrl, ...rest } = options ?? {}
      const found = yield* Credentials.resolve({ apiKey, baseUrl })
      return yield* HaiAgents.make({ ...rest, apiKey: found.apiKey, baseUrl: found.baseUrl })
    })
  ).pipe(Layer.provide(layerHttpClient))
