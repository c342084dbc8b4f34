/**
 * Regions and base URLs: the client targets the EU region by default; pick the US region, a
 * custom URL (a path prefix is kept: `https://proxy.internal/hai/`), or read the key and URL from
 * configuration (`HAI_API_KEY`, `HAI_API_BASE_URL`). Building a client makes no request, so this
 * example prints each resolved option set without touching the network. The key stays
 * `Redacted`: printing options never shows it.
 *
 *   npx tsx examples/regions.ts
 */
import { FetchHttpClient } from "@effect/platform"
import { NodeRuntime } from "@effect/platform-node"
import { HaiAgents } from "@hai-effect/core"
import { NodeHai } from "@hai-effect/platform-node"
import { ConfigProvider, Console, Duration, Effect, Layer, Redacted } from "effect"

const show = (label: string, client: HaiAgents.Service) =>
  Console.log(
    `${label.padEnd(34)} ${client.options.environment.padEnd(7)} ${client.options.baseUrl}  (timeout ${
      Duration.format(client.options.timeout)
    })`
  )

const program = Effect.gen(function*() {
  yield* Console.log(`regions: ${JSON.stringify(HaiAgents.environments)}`)

  yield* show("default (EU)", yield* HaiAgents.make({ apiKey: "hk-example" }))
  yield* show("environment: \"us\"", yield* HaiAgents.make({ apiKey: "hk-example", environment: "us" }))
  yield* show(
    "baseUrl (wins over environment)",
    yield* HaiAgents.make({ apiKey: "hk-example", environment: "us", baseUrl: "https://agp.hcompany.ai" })
  )
  yield* show(
    "proxy with a path prefix",
    yield* HaiAgents.make({
      apiKey: Redacted.make("hk-example"),
      baseUrl: "https://proxy.internal/hai/",
      timeout: "2 minutes"
    })
  )

  // From configuration: HAI_API_KEY and HAI_API_BASE_URL (here from a map instead of the env).
  const configured = yield* Effect.provide(
    HaiAgents.HaiAgents,
    HaiAgents.layerConfig().pipe(
      Layer.provide(FetchHttpClient.layer),
      Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(
        new Map([["HAI_API_KEY", "hk-from-config"], ["HAI_API_BASE_URL", "https://eu.proxy.example/"]])
      )))
    )
  )
  yield* show("layerConfig (HAI_API_BASE_URL)", configured)

  // Node: undici underneath; same options.
  const node = yield* Effect.provide(HaiAgents.HaiAgents, NodeHai.layer({ apiKey: "hk-example", environment: "us" }))
  yield* show("NodeHai.layer (undici)", node)

  // The key never shows up when a key is printed.
  yield* Console.log(`a redacted key prints as: ${String(Redacted.make("hk-secret"))}`)
}).pipe(Effect.provide(FetchHttpClient.layer))

NodeRuntime.runMain(program)
