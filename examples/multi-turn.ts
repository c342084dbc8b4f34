/**
 * Multi-turn sessions: with `idleTimeout`, a session goes idle after each answer and waits for
 * the next message, keeping its context and browser across turns. `awaitSettled` waits for the
 * current turn; `send` starts the next one (and wakes an idle session).
 *
 *   npx tsx examples/multi-turn.ts
 */
import { Session } from "@hai-effect/core"
import { Console, Effect } from "effect"
import * as Example from "./support/layer.js"

const program = Effect.scoped(Effect.gen(function*() {
  const session = yield* Session.start({
    agent: "h/web-surfer-holo3-1-35b",
    messages: "Find the top story on Hacker News",
    idleTimeout: "10 minutes" // idle_timeout_s = 600
  })
  const first = yield* session.awaitSettled({ timeout: "10 minutes" })
  yield* Console.log(`turn 1 (${first.status}, ${first.events.length} events): ${JSON.stringify(first.answer)}`)

  yield* session.send("Now summarize its comments")
  const second = yield* session.awaitSettled({ timeout: "10 minutes" })
  yield* Console.log(`turn 2 (${second.status}, ${second.events.length} events): ${JSON.stringify(second.answer)}`)

  yield* session.send({ message: "And the second story?" })
  const third = yield* session.awaitSettled({ timeout: "10 minutes" })
  yield* Console.log(`turn 3 (${third.status}): ${JSON.stringify(third.answer)}`)

  // Done: cancel it rather than leave it idle for ten minutes (an idle session counts as
  // settled, so closing the scope alone would not cancel it).
  yield* session.cancel
  yield* Console.log("cancelled the idle session")
}))

Example.runMain(program)
