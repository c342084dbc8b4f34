/**
 * The main demo: an agent with an answer Schema and a custom tool, its events printed as they
 * happen, the typed answer printed at the end.
 *
 * Offline by default: it starts the emulator in this process on a free port and talks to it over
 * a real socket. With HAI_API_KEY set, the same program runs against the hosted API.
 *
 *   pnpm demo
 *   HAI_API_KEY=hk-... pnpm demo
 */
import { FetchHttpClient } from "@effect/platform"
import { NodeRuntime } from "@effect/platform-node"
import { HaiAgents, Session, Tool, Toolkit } from "@hai-effect/core"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Config, Console, Effect, Layer, Option, Schema, Stream } from "effect"
import { describeEvent } from "./support/describe.js"

const Jobs = Schema.Struct({
  jobs: Schema.Array(Schema.Struct({
    title: Schema.String,
    company: Schema.String,
    url: Schema.String
  })).annotations({ description: "Exactly three open roles" })
}).annotations({ title: "Jobs" })

const salaryBand = Tool.make("salary_band", {
  description: "The usual yearly salary band, in euros, for a job title in Paris",
  parameters: Schema.Struct({ title: Schema.String }),
  success: Schema.Struct({ low: Schema.Number, high: Schema.Number }),
  handler: ({ title }) =>
    Console.log(`  ↳ tool salary_band(${JSON.stringify(title)}) called by the agent`).pipe(
      Effect.as(title.toLowerCase().includes("senior") ? { low: 85_000, high: 120_000 } : { low: 55_000, high: 80_000 })
    )
})

const program = Effect.gen(function*() {
  const hai = yield* HaiAgents.HaiAgents
  yield* Console.log(`→ ${hai.options.baseUrl}`)
  const result = yield* Effect.scoped(Effect.gen(function*() {
    const session = yield* Session.start({
      agent: "h/web-surfer-holo3-1-35b",
      messages: "Find 3 open ML engineering roles in Paris, with their salary band.",
      answer: Jobs,
      tools: Toolkit.make(salaryBand),
      maxSteps: 30
    })
    yield* Console.log(`session ${session.id} started`)
    yield* Effect.forkScoped(
      session.events.pipe(Stream.runForEach((event) => Console.log(describeEvent(event))))
    )
    return yield* session.awaitSettled({ timeout: "10 minutes", softDeadline: "8 minutes" })
  }))
  yield* Console.log(`\nsettled: ${result.status} after ${result.events.length} events`)
  for (const job of result.answer.jobs) yield* Console.log(`  • ${job.title} @ ${job.company}  ${job.url}`)
})

const hosted = HaiAgents.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))

// Offline, the emulator plays a scripted run with realistic content (its default script would
// synthesise placeholder values from the answer's JSON Schema).
const script: Scenario.Scenario = [
  Scenario.emit("AgentEvent", {
    kind: "observation_event",
    type: "page",
    text:
      "Opened https://www.welcometothejungle.com/en/jobs?query=machine%20learning&refinementList[offices.city]=Paris",
    metadata: {}
  }),
  Scenario.think("tick", "The listing shows 42 ML roles in Paris; filtering to engineering positions."),
  Scenario.emit("AgentEvent", {
    kind: "observation_event",
    type: "page",
    text:
      "Machine Learning Engineer · Mistral AI · Paris; Senior ML Engineer · Criteo · Paris; ML Engineer, Ranking · Doctolib · Paris",
    metadata: {}
  }),
  Scenario.think("tick", "Three open roles found. Checking the salary band of the senior one."),
  Scenario.callTool("salary_band", { title: "Senior ML Engineer" }),
  Scenario.think("tick", "Got the band; writing the answer."),
  Scenario.answer({
    jobs: [
      { title: "Machine Learning Engineer", company: "Mistral AI", url: "https://jobs.example/mistral-mle" },
      { title: "Senior ML Engineer", company: "Criteo", url: "https://jobs.example/criteo-senior-mle" },
      { title: "ML Engineer, Ranking", company: "Doctolib", url: "https://jobs.example/doctolib-ranking" }
    ]
  }, "success")
]

const offline = Layer.unwrapEffect(Effect.gen(function*() {
  const server = yield* Emulator.EmulatorServer
  const emulator = yield* Emulator.Emulator
  yield* emulator.registerScenario("h/web-surfer-holo3-1-35b", script)
  yield* Console.log(`emulator listening on ${server.url}, ${emulator.pace} (set HAI_API_KEY to use the hosted API)`)
  return HaiAgents.layer({ apiKey: emulator.apiKey, baseUrl: server.url })
})).pipe(
  Layer.provide(FetchHttpClient.layer),
  Layer.provide(Emulator.layerServer({ port: 0 }).pipe(Layer.provideMerge(Emulator.layer({ tick: "400 millis" }))))
)

const main = Effect.gen(function*() {
  const key = yield* Config.option(Config.redacted("HAI_API_KEY"))
  return yield* Option.isSome(key) ? Effect.provide(program, hosted) : Effect.provide(program, offline)
})

main.pipe(NodeRuntime.runMain)
