/**
 * `hai emulator [--port N]`: serves the local emulator of the API.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Global from "../Global.js"
import * as Render from "../Render.js"

/**
 * `hai emulator [--port 8787] [--host 127.0.0.1] [--region eu|us] [--key hk-emulator]`
 *
 * @since 0.1.0
 * @category Commands
 */
export const command = Command.make("emulator", {
  port: Options.integer("port").pipe(
    Options.withDescription("Port (default: 8787; 0 picks a free one)"),
    Options.withDefault(8787)
  ),
  host: Options.text("host").pipe(
    Options.withDescription("Address to listen on (default: 127.0.0.1)"),
    Options.withDefault("127.0.0.1")
  ),
  region: Options.choice("region", ["eu", "us"]).pipe(
    Options.withDescription("eu (default) ends one-shot runs idle, us completed"),
    Options.withDefault("eu" as const)
  ),
  key: Options.text("key").pipe(Options.withDescription("Accepted API key (default hk-emulator)"), Options.optional)
}, (o) =>
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
  })).pipe(Command.withDescription("Serve a local emulator of the API"))
