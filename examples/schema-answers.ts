/**
 * Structured answers: pass a Schema as `answer`; its JSON Schema is sent as the agent's answer
 * format and the final answer comes back decoded and typed. When a completed answer does not
 * match, the run fails with `AnswerValidationError`, which keeps the raw answer (`raw`) and the
 * Schema's report (`issues`). The raw wire value is always at `result.rawAnswer`.
 *
 *   npx tsx examples/schema-answers.ts
 */
import { Session } from "@hai-effect/core"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Console, Effect, Schema } from "effect"
import * as Example from "./support/layer.js"

const Job = Schema.Struct({
  title: Schema.String,
  // a check the JSON Schema sent to the agent cannot express: only the client enforces it
  company: Schema.String.pipe(Schema.filter((c) => c.toLowerCase() !== "unknown", { message: () => "a company name" }))
})

const Jobs = Schema.Struct({
  jobs: Schema.Array(Job).annotations({ description: "Exactly three open roles" })
}).annotations({ title: "Jobs" })

const agent = "h/web-surfer-holo3-1-35b"

const program = Effect.gen(function*() {
  // Offline, script the answers: a valid one, one whose company the client refuses, and one the
  // service itself refuses (jobs is not an array: the session fails with answer_validation).
  yield* Example.offline((emulator) =>
    emulator.registerScenario(agent, (context) =>
      context.messages.some((m) => m.includes("Lyon"))
        ? [Scenario.think("tick"), Scenario.answer({ jobs: [{ title: "ML Engineer", company: "unknown" }] })]
        : context.messages.some((m) => m.includes("Nice"))
        ? [Scenario.think("tick"), Scenario.answer({ jobs: "none found, sorry" })]
        : [
          Scenario.think("tick", "Searching job boards"),
          Scenario.answer({
            jobs: [
              { title: "ML Engineer", company: "H Company" },
              { title: "Senior ML Engineer", company: "Mistral AI" },
              { title: "Applied Scientist", company: "Hugging Face" }
            ]
          })
        ])
  )

  const result = yield* Session.run({
    agent,
    messages: "Find 3 open ML engineering roles in Paris.",
    answer: Jobs,
    timeout: "10 minutes"
  })
  for (const job of result.answer.jobs) yield* Console.log(`  ${job.title} @ ${job.company}`) // typed
  yield* Console.log(`raw wire value: ${JSON.stringify(result.rawAnswer)}`)

  // A mismatch is a typed failure, not a defect: handle it by tag and keep the raw answer.
  for (const city of ["Lyon", "Nice"]) {
    yield* Session.run({
      agent,
      messages: `Find 3 open ML engineering roles in ${city}.`,
      answer: Jobs,
      timeout: "10 minutes"
    }).pipe(
      Effect.flatMap((r) => Console.log(`${city}: matched, ${r.answer.jobs.length} jobs`)),
      Effect.catchTags({
        // the client's Schema refused the answer
        AnswerValidationError: (e) =>
          Console.log(
            `${city}: AnswerValidationError on session ${e.sessionId}\n  raw: ${JSON.stringify(e.raw)}\n  issues: ${
              e.issues.split("\n").join("\n          ")
            }`
          ),
        // the service refused it against the answer format: the session ended failed
        SessionFailed: (e) => Console.log(`${city}: SessionFailed ${e.status} [${e.errorCode}]: ${e.error}`)
      })
    )
  }
})

Example.runMain(program)
