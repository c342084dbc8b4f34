/**
 * The `HttpClient` of the `hai` process, loaded with its first request.
 *
 * undici is a third of the executable and most runs of `hai` send no request (`--help`,
 * `emulator`, `mcp install`, a usage error), or send it only after they have started (`mcp serve`
 * answers `initialize` first). The layer is built at once but holds only a stand-in: the real
 * client (`UndiciHttpClient.layer`) is imported and built on the first request, in the layer's
 * scope, and every request goes to it.
 *
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

/** `UndiciHttpClient.layer`, built on the first request. */
export const layer: Layer.Layer<HttpClient.HttpClient> = Layer.scoped(
  HttpClient.HttpClient,
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const real = yield* Effect.cached(
      Effect.promise(() => import("@hai-effect/platform-node/UndiciHttpClient")).pipe(
        Effect.flatMap((UndiciHttpClient) => Layer.buildWithScope(UndiciHttpClient.layer, scope)),
        Effect.map(Context.get(HttpClient.HttpClient))
      )
    )
    return HttpClient.makeWith<never, never, HttpClientError.HttpClientError, never>(
      (request) => Effect.flatMap(request, (request) => Effect.flatMap(real, (client) => client.execute(request))),
      Effect.succeed
    )
  })
)
