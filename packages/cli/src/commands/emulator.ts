/**
 * `hai emulator [--port N]`: serves the local emulator of the API. What it does is in
 * `../handlers/emulator.ts`, loaded when it runs.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"

const config = {
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
}

/**
 * The parsed options of `hai emulator`.
 *
 * @since 0.1.0
 * @category Models
 */
export type Parsed = Command.Command.ParseConfig<typeof config>

/**
 * `hai emulator [--port 8787] [--host 127.0.0.1] [--region eu|us] [--key hk-emulator]`
 *
 * @since 0.1.0
 * @category Commands
 */
export const command = Command.make(
  "emulator",
  config,
  (o) => Effect.flatMap(Effect.promise(() => import("../handlers/emulator.js")), (h) => h.serve(o))
).pipe(Command.withDescription("Serve a local emulator of the API"))
