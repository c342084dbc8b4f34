import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Emulator from "@hai-effect/emulator/Emulator"
import { Effect, Layer } from "effect"
import { HaiAgents } from "../../src/index.js"

/**
 * The SDK over a real socket: the emulator served on a free local port, and `HaiAgents` talking
 * to it through undici. Time is real (use `it.live`).
 */
export const served = (options?: Emulator.Options & { readonly client?: Partial<HaiAgents.Options> }) => {
  const server = Emulator.layerServer({ port: 0 }).pipe(
    Layer.provideMerge(Emulator.layer({ tick: "20 millis", ...options }))
  )
  const client = Layer.unwrapEffect(
    Effect.map(
      Emulator.EmulatorServer,
      (s) => HaiAgents.layer({ apiKey: "hk-emulator", ...options?.client, baseUrl: s.url })
    )
  ).pipe(Layer.provide(NodeHttpClient.layerUndici))
  return client.pipe(Layer.provideMerge(server))
}
