/**
 * What `hai emulator` does (the command is `../commands/emulator.ts`).
 *
 * @since 0.1.0
 */
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as EmulatorCommand from "../commands/emulator.js"
import * as Global from "../Global.js"
import * as Render from "../Render.js"

/**
 * Serves the emulator until interrupted, after printing where.
 *
 * @since 0.1.0
 * @category Handlers
 */
export const serve = (o: EmulatorCommand.Parsed) =>
  Effect.gen(function*() {
    const { json } = yield* Global.globals
    const announce = Effect.gen(function*() {
      const server = yield* Emulator.EmulatorServer
      const emulator = yield* Emulator.Emulator
      if (json) yield* Render.json({ url: server.url, port: server.port, api_key: emulator.apiKey })
      else {
        yield* Render.line(`hai emulator listening on ${server.url}`)
        yield* Render.line(`  export HAI_API_BASE_URL=${server.url}`)
        yield* Render.line(`  export HAI_API_KEY=${emulator.apiKey}`)
      }
      return yield* Effect.never
    })
    const options: Emulator.Options = {
      region: o.region,
      ...Option.match(o.key, { onNone: () => ({}), onSome: (key) => ({ apiKeys: [key] }) })
    }
    return yield* announce.pipe(
      Effect.provide(
        Emulator.layerServer({ port: o.port, host: o.host }).pipe(Layer.provideMerge(Emulator.layer(options)))
      )
    )
  })
