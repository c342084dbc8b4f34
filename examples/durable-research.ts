/**
 * A durable two-step research workflow: one session finds jobs (answer decoded with a Schema),
 * a second one enriches them with a custom tool. Each step is `DurableSession.run` inside an
 * `@effect/workflow` `Workflow`, so the run survives this process: kill it at any point
 * (Ctrl-C, `kill -9`, a crash, a deploy) and start it again with the same settings; it picks up
 * where it stopped, creates no session twice, runs each finished tool call once, and exits 0.
 *
 *   npx tsx examples/durable-research.ts
 *
 * State: the SQLite file named by HAI_WORKFLOW_SQLITE (default ./hai-workflow.db), or a
 * PostgreSQL database when HAI_WORKFLOW_PG_URL is set (this process then joins that cluster as a
 * runner, on 127.0.0.1:HAI_WORKFLOW_RUNNER_PORT, default 34431).
 *
 * Backend: the emulator in this process, or the API at HAI_API_BASE_URL with HAI_API_KEY. The
 * workflow is keyed by topic and backend: an emulator in this process dies with it, so to see a
 * kill and a restart finish the same workflow, run the emulator on its own:
 *
 *   pnpm emulator --port 8787 &
 *   HAI_API_BASE_URL=http://127.0.0.1:8787 HAI_API_KEY=hk-emulator npx tsx examples/durable-research.ts
 *   # kill -9 it at any point, run the same command again: it finishes, no session twice
 */
import { NodeHttpClient } from "@effect/platform-node"
import { Workflow } from "@effect/workflow"
import type { HaiAgents } from "@hai-effect/core"
import { Tool, Toolkit } from "@hai-effect/core"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { DurableSession } from "@hai-effect/workflow"
import * as PgEngine from "@hai-effect/workflow/PgEngine"
import * as SqliteEngine from "@hai-effect/workflow/SqliteEngine"
import { Config, Console, Effect, Layer, Option, Schema } from "effect"
import * as Example from "./support/layer.js"

// ---- the answer Schemas and the tool: code, the same in every run (and on every runner) -------

const Jobs = Schema.Struct({
  jobs: Schema.Array(Schema.Struct({ title: Schema.String, company: Schema.String }))
})

const Enriched = Schema.Struct({
  jobs: Schema.Array(Schema.Struct({ title: Schema.String, company: Schema.String, employees: Schema.Number }))
})

const companySize = Tool.make("company_size", {
  description: "How many people work at a company.",
  parameters: Schema.Struct({ company: Schema.String }),
  success: Schema.Struct({ company: Schema.String, employees: Schema.Number }),
  handler: ({ company }) =>
    Effect.gen(function*() {
      // A tool with a side effect would hand this key to the system it calls, so that a call
      // repeated after a crash is applied once.
      const call = yield* DurableSession.ToolCall
      yield* Console.log(`  tool company_size(${company}), attempt ${call.attempt}, key ${call.idempotencyKey}`)
      return { company, employees: 40 + company.length * 7 }
    })
})

// ---- the workflow ----------------------------------------------------------------------------

const Research = Workflow.make({
  name: "DurableResearch",
  payload: { topic: Schema.String, backend: Schema.String },
  success: Enriched,
  error: DurableSession.SessionError,
  idempotencyKey: ({ backend, topic }) => `${topic}@${backend}`
})

const pollInterval = Config.duration("HAI_WORKFLOW_POLL").pipe(Config.withDefault("2 seconds"))

// The body runs again from the top each time the workflow resumes (after each durable wait and
// after a restart), its finished steps answered from storage: print each line once per process.
const printed = new Set<string>()
const say = (line: string) =>
  Effect.suspend(() => {
    if (printed.has(line)) return Effect.void
    printed.add(line)
    return Console.log(line)
  })

const ResearchLive = Research.toLayer(({ topic }) =>
  Effect.gen(function*() {
    const poll = yield* Effect.orDie(pollInterval)
    yield* say(`step 1: find jobs (${topic})`)
    const found = yield* DurableSession.run({
      step: "find",
      agent: "h/web-surfer-holo3-1-35b",
      messages: `Find 3 open ${topic} roles. Give title and company.`,
      answer: Jobs,
      pollInterval: poll
    })
    yield* say(`  session ${found.id}: ${found.answer.jobs.length} jobs`)
    yield* say("step 2: enrich them with company_size")
    const enriched = yield* DurableSession.run({
      step: "enrich",
      agent: "h/web-surfer-holo3-1-35b",
      messages: `For each job, call company_size for its company and add "employees": ${
        JSON.stringify(found.answer.jobs)
      }`,
      answer: Enriched,
      tools: Toolkit.make(companySize),
      pollInterval: poll
    })
    yield* say(`  session ${enriched.id}: done`)
    return enriched.answer
  })
)

// ---- where the workflow's state lives ----------------------------------------------------------

const engine = Layer.unwrapEffect(Effect.gen(function*() {
  const pg = yield* Config.option(Config.redacted("HAI_WORKFLOW_PG_URL"))
  if (Option.isSome(pg)) {
    const port = yield* Config.integer("HAI_WORKFLOW_RUNNER_PORT").pipe(Config.withDefault(34431))
    yield* Console.log(`state: PostgreSQL (runner on 127.0.0.1:${port})`)
    return PgEngine.layer({ url: pg.value, host: "127.0.0.1", port })
  }
  const filename = yield* Config.string("HAI_WORKFLOW_SQLITE").pipe(Config.withDefault("./hai-workflow.db"))
  yield* Console.log(`state: ${filename}`)
  return SqliteEngine.layer({ filename })
}))

// ---- run it: start (or find) the workflow and wait for its result ------------------------------

const program = Effect.gen(function*() {
  const backend = yield* Example.Backend
  yield* Example.offline((emulator) =>
    emulator.registerScenario("h/web-surfer-holo3-1-35b", (context) =>
      context.tools.length === 0
        ? [
          Scenario.think("tick", "Searching job boards"),
          Scenario.answer({
            jobs: [
              { title: "ML Engineer", company: "Acme" },
              { title: "Research Scientist", company: "Globex" },
              { title: "MLOps Engineer", company: "Initech" }
            ]
          })
        ]
        : [
          Scenario.think("tick", "Looking up each company"),
          Scenario.callTools([
            { name: "company_size", args: { company: "Acme" } },
            { name: "company_size", args: { company: "Globex" } },
            { name: "company_size", args: { company: "Initech" } }
          ]),
          Scenario.think("tick", "Adding the sizes"),
          Scenario.answer({
            jobs: [
              { title: "ML Engineer", company: "Acme", employees: 68 },
              { title: "Research Scientist", company: "Globex", employees: 82 },
              { title: "MLOps Engineer", company: "Initech", employees: 89 }
            ]
          })
        ])
  )
  const payload = { topic: "machine learning in Paris", backend: backend.baseUrl }
  yield* Console.log(`workflow ${yield* Research.executionId(payload)}`)
  const result = yield* Research.execute(payload)
  for (const job of result.jobs) yield* Console.log(`  ${job.title} at ${job.company}: ${job.employees} people`)
}).pipe(
  Effect.provide(ResearchLive.pipe(
    Layer.provideMerge(engine),
    // The steps' requests go through this process's HTTP client; `Example.layer` provides HaiAgents.
    Layer.provide(NodeHttpClient.layerUndici)
  ))
)

Example.runMain(program as Effect.Effect<void, unknown, HaiAgents.HaiAgents | Example.Backend>)
