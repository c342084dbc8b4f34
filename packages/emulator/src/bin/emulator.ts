/* eslint-disable no-console */
/**
 * `pnpm emulator --port 8787 [--host 127.0.0.1] [--region eu|us] [--concurrency 10] [--key hk-...] [--seed 1]
 * [--tick-ms N]`: without `--tick-ms`, agents take a step every 1 to 3 seconds, as real ones do.
 *
 * @since 0.1.0
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Emulator from "../Emulator.js"

const args = process.argv.slice(2)
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  if (i !== -1) return args[i + 1]
  const eq = args.find((a) => a.startsWith(`--${name}=`))
  return eq?.slice(name.length + 3)
}

if (args.includes("--help") || args.includes("-h")) {
  console.log(
    "usage: pnpm emulator [--port 8787] [--host 127.0.0.1] [--region eu|us] [--concurrency 10] [--key hk-emulator] [--seed 1] [--tick-ms N]\n"
      + "  --tick-ms N: a step every N ms (fast tests); by default a step every 1 to 3 s (seeded jitter), as real agents"
  )
  process.exit(0)
}

const port = Number(flag("port") ?? process.env.PORT ?? 8787)
const host = flag("host") ?? "127.0.0.1"
const region = flag("region") === "us" ? "us" : "eu"
const key = flag("key")
const options: Emulator.Options = {
  region,
  concurrency: Number(flag("concurrency") ?? 10),
  seed: Number(flag("seed") ?? 1),
  ...(flag("tick-ms") !== undefined ? { tick: `${Number(flag("tick-ms"))} millis` } : {}),
  ...(key !== undefined ? { apiKeys: [key] } : {})
}

const main = Effect.gen(function*() {
  const server = yield* Emulator.EmulatorServer
  const emulator = yield* Emulator.Emulator
  // The banner is the program's output (what to point a client at), not a log line.
  yield* Console.log(
    [
      `hai emulator listening on ${server.url}`,
      `  HAI_API_BASE_URL=${server.url}`,
      `  HAI_API_KEY=${emulator.apiKey}`,
      `  pace: ${emulator.pace}${options.tick === undefined ? " (--tick-ms N for a fixed, faster step)" : ""}`
    ].join("\n")
  )
  return yield* Effect.never
})

main.pipe(
  Effect.provide(Emulator.layerServer({ port, host }).pipe(Layer.provideMerge(Emulator.layer(options)))),
  NodeRuntime.runMain
)
