/**
 * A fleet: many sessions with bounded concurrency. `Session.runAll` starts at most
 * `concurrency` sessions at once (`"quota"` reads the organisation's concurrent-session limit)
 * and streams each result as it completes, as an `Either`, so one failure does not stop the
 * others. Interrupting the stream cancels the sessions still running.
 *
 *   npx tsx examples/fleet.ts
 */
import { Session } from "@hai-effect/core"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Console, Effect, Either, Schema, Stream } from "effect"
import * as Example from "./support/layer.js"

const Forecast = Schema.Struct({ city: Schema.String, celsius: Schema.Number })

const cities = ["Paris", "Lyon", "Marseille", "Toulouse", "Nice", "Nantes", "Strasbourg", "Bordeaux"]

const program = Effect.gen(function*() {
  // Offline, answer with the city named in the task.
  yield* Example.offline((emulator) =>
    emulator.registerScenario("h/web-surfer-holo3-1-35b", (context) => {
      const city = cities.find((c) => context.messages.some((m) => m.includes(c))) ?? "?"
      return [Scenario.think("tick"), Scenario.think("tick"), Scenario.answer({ city, celsius: 10 + city.length })]
    })
  )
  const started = Date.now()
  let peak = 0
  let running = 0
  const results = yield* Session.runAll(
    cities.map((city) => ({
      agent: "h/web-surfer-holo3-1-35b",
      messages: `What is the temperature in ${city} right now?`,
      answer: Forecast,
      timeout: "10 minutes",
      onEvent: ({ event }) =>
        Effect.sync(() => {
          if (event.type === "AgentStartedEvent") peak = Math.max(peak, ++running)
          if (event.type === "ActiveStateChangeEvent" && (event.data as { state?: string }).state === "idle") running--
        })
    })),
    { concurrency: 3 }
  ).pipe(
    Stream.tap(({ index, result }) =>
      Either.match(result, {
        onLeft: (e) => Console.log(`${cities[index].padEnd(11)} failed: ${e._tag}`),
        onRight: (r) => Console.log(`${cities[index].padEnd(11)} ${r.status}  ${JSON.stringify(r.answer)}`)
      })
    ),
    Stream.runCollect
  )
  const ok = [...results].filter(({ result }) => Either.isRight(result)).length
  yield* Console.log(`${ok}/${cities.length} succeeded in ${Date.now() - started} ms, at most ${peak} running at once`)
})

Example.runMain(program)
