/**
 * Custom tools: Schema-typed functions the agent may call while it runs. The session runtime
 * runs each call once (deduplicated by call id), posts the result back, and the run continues.
 * A tool that fails (or dies) is reported to the agent as a tool error, not a crash of the run.
 * Handlers are Effects, so they can use your services (here a `Weather` service).
 *
 *   npx tsx examples/custom-tools.ts
 */
import { Session, Tool, Toolkit } from "@hai-effect/core"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Console, Context, Data, Effect, Schema } from "effect"
import { describeEvent } from "./support/describe.js"
import * as Example from "./support/layer.js"

class Weather extends Context.Tag("examples/Weather")<Weather, {
  readonly today: (city: string) => Effect.Effect<string>
}>() {}

class OrderNotFound extends Data.TaggedError("OrderNotFound")<{ readonly message: string }> {}

const getWeather = Tool.make("get_weather", {
  description: "Get the current weather for a city.",
  parameters: Schema.Struct({ city: Schema.String.annotations({ description: "City name" }) }),
  success: Schema.String,
  handler: ({ city }) => Effect.flatMap(Weather, (w) => w.today(city))
})

const lookupOrder = Tool.make("lookup_order", {
  description: "Look up an order by its id.",
  parameters: Schema.Struct({ order_id: Schema.String }),
  success: Schema.Struct({ id: Schema.String, status: Schema.String }),
  // This one always fails: the agent receives "OrderNotFound: ..." as a tool error.
  handler: ({ order_id }) => Effect.fail(new OrderNotFound({ message: `no order ${order_id}` }))
})

const program = Effect.gen(function*() {
  // Offline, script the calls (without this the emulator calls each tool once with made-up arguments).
  yield* Example.offline((emulator) =>
    emulator.registerScenario("h/web-surfer-holo3-1-35b", [
      Scenario.think("tick", "I need the weather first"),
      Scenario.callTool("get_weather", { city: "Paris" }),
      Scenario.callTool("lookup_order", { order_id: "A-42" }),
      Scenario.think("tick", "The order lookup failed; I will say so"),
      Scenario.answer("Sunny, 21°C: a light jacket is enough. I could not find order A-42.")
    ])
  )
  const result = yield* Session.run({
    agent: "h/web-surfer-holo3-1-35b",
    messages: "What should I wear in Paris today? Also check the status of order A-42.",
    tools: Toolkit.make(getWeather, lookupOrder),
    timeout: "10 minutes"
  })
  for (const item of result.events) {
    const line = describeEvent(item)
    if (/tool|error/.test(line)) yield* Console.log(line)
  }
  yield* Console.log(`answer (${result.status}): ${JSON.stringify(result.answer)}`)
}).pipe(
  Effect.provideService(Weather, {
    today: (city) =>
      Effect.succeed(`Sunny in ${city}, 21°C`).pipe(Effect.tap(() => Console.log(`  ↳ get_weather(${city}) ran`)))
  })
)

Example.runMain(program)
