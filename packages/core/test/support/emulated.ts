import * as Emulator from "@hai-effect/emulator/Emulator"
import { Layer } from "effect"
import { HaiAgents } from "../../src/index.js"

/** The SDK wired to an in-process emulator: no socket, time from the test's Clock, a step every 300 ms. */
export const emulated = (options?: Emulator.Options & { readonly client?: Partial<HaiAgents.Options> }) =>
  HaiAgents.layer({ apiKey: "hk-emulator", baseUrl: "http://emulator.local", ...options?.client }).pipe(
    Layer.provideMerge(Emulator.layerClient),
    Layer.provideMerge(Emulator.layer({ tick: "300 millis", ...options }))
  )
