/**
 * The emulator, served over a socket in this process, with the scripted agents the benchmarks
 * need (the CLI in packages/emulator/src/bin has no way to register scenarios). Prints its URL and
 * key like the CLI does, so `startEmulator(args, { script })` can start it.
 *
 *   node --import tsx bench/support/emulator-child.ts [--concurrency 10000] [--tick-ms 300]
 *
 * Agents:
 * - `bench/ticker`: the first user message is `"<steps>x<ms>"`; the agent thinks `steps` times,
 *   `ms` each (each think appends a policy_event and a MetricsUpdateEvent), then answers.
 * - `bench/hang`: never finishes on its own (force answer or cancel ends it).
 */
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Scenario from "@hai-effect/emulator/Scenario"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const args = process.argv.slice(2)
const flag = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`)
  return i === -1 ? undefined : args[i + 1]
}

const ticker: Scenario.Scenario = (context) => {
  const spec = /^(\d+)x(\d+)$/.exec((context.messages[context.messages.length - 1] ?? "").trim())
  const steps = spec ? Number(spec[1]) : 10
  const ms = spec ? Number(spec[2]) : 200
  return [
    ...Array.from({ length: steps }, (_, i) => Scenario.think(`${ms} millis`, `step ${i}`)),
    Scenario.answer("done")
  ]
}

// Exit when the benchmark that started this process is gone (even if it crashed).
const parent = process.ppid
setInterval(() => {
  if (process.ppid !== parent) process.exit(0)
}, 1000)

const main = Effect.gen(function*() {
  const server = yield* Emulator.EmulatorServer
  const emulator = yield* Emulator.Emulator
  yield* emulator.registerScenario("bench/ticker", ticker)
  yield* emulator.registerScenario("bench/hang", [Scenario.hang])
  console.log(`hai emulator listening on ${server.url}`)
  console.log(`  HAI_API_BASE_URL=${server.url}`)
  console.log(`  HAI_API_KEY=${emulator.apiKey}`)
  return yield* Effect.never
})

main.pipe(
  Effect.provide(
    Emulator.layerServer({ port: 0 }).pipe(
      Layer.provideMerge(Emulator.layer({
        concurrency: Number(flag("concurrency") ?? 10_000),
        tick: `${Number(flag("tick-ms") ?? 300)} millis`
      }))
    )
  ),
  NodeRuntime.runMain
)
