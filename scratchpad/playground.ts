/**
 * A starting point for experiments: an in-process emulator and one session.
 *
 *   pnpm tsx scratchpad/playground.ts
 */
import { HaiAgents, Session } from "@hai-effect/core"
import * as Emulator from "@hai-effect/emulator/Emulator"
import { Console, Effect, Layer } from "effect"

const Local = HaiAgents.layer({ apiKey: "hk-emulator", baseUrl: "http://emulator.local" }).pipe(
  Layer.provideMerge(Emulator.layerClient),
  Layer.provideMerge(Emulator.layer({ tick: "50 millis" }))
)

const program = Effect.gen(function*() {
  const result = yield* Session.run({ agent: "h/web-surfer-holo3-1-35b", messages: "Try something" })
  yield* Console.log(result.status, result.answer, `${result.events.length} events`)
})

Effect.runPromise(program.pipe(Effect.provide(Local)))
