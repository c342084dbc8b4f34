/**
 * Quickstart: launch the built-in web agent with a task in plain language and wait for its
 * answer with `Session.run` (the official SDK's `run_session`).
 *
 * The result carries the session id, the settled status ("idle" on EU, the default region;
 * "completed" on US), the answer, every event of the run and the last `/changes` payload.
 *
 *   npx tsx examples/quickstart.ts                  # against the emulator
 *   HAI_API_KEY=hk-... npx tsx examples/quickstart.ts
 */
import { Session } from "@hai-effect/core"
import { Console, Effect } from "effect"
import * as Example from "./support/layer.js"

const program = Effect.gen(function*() {
  const result = yield* Session.run({
    agent: "h/web-surfer-holo3-1-35b",
    messages: "What are the top 3 stories on Hacker News right now?",
    timeout: "10 minutes"
  })
  yield* Console.log(`session ${result.id}`)
  yield* Console.log(`status: ${result.status}`) // a settled state: "idle" on EU, "completed" on US
  yield* Console.log(`answer: ${JSON.stringify(result.answer)}`)
  yield* Console.log(`${result.events.length} events, next index ${result.nextIndex}`)
})

Example.runMain(program)
