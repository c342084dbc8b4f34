/**
 * Start a session and steer it while it works: `Session.start` returns a handle at once (the
 * session is a scoped resource: it is cancelled if the scope closes before it settled). Read its
 * progress at three levels (`status`, the `events` Stream, `get`), then pause, resume, redirect it
 * with a message, ask it to answer now, and finally cancel a second session for good.
 *
 *   npx tsx examples/start-and-steer.ts
 */
import type { HaiError } from "@hai-effect/core"
import { ChangeFeed, Session } from "@hai-effect/core"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Console, Effect, Option, Stream } from "effect"
import { describeEvent } from "./support/describe.js"
import * as Example from "./support/layer.js"

const agent = "h/web-surfer-holo3-1-35b"

/** Waits until the watcher sees `wanted`, or the session settled first; returns the status seen. */
const reach = <A>(session: Session.Handle<A>, wanted: string) =>
  session.statusChanges.pipe(
    Stream.filter((s) => s === wanted || ChangeFeed.isSettled(s)),
    Stream.runHead,
    Effect.map(Option.getOrElse(() => "unknown"))
  )

const program = Effect.gen(function*() {
  // Offline, script a slow agent so there is time to steer it.
  yield* Example.offline((emulator) =>
    emulator.registerScenario(agent, (context) => [
      ...Array.from({ length: 40 }, (_, i) => Scenario.think("tick", `step ${i + 1} of "${context.messages.at(-1)}"`)),
      Scenario.answer(`Top story, considering: ${context.messages.join(" / ")}`)
    ])
  )

  yield* Effect.scoped(Effect.gen(function*() {
    const session = yield* Session.start({ agent, messages: "Find the top story on Hacker News" })
    yield* Console.log(`started ${session.id}`)
    yield* Effect.forkScoped(session.events.pipe(
      // state changes and messages only, to keep it short
      Stream.filter(({ event }) =>
        !["AgentEvent", "MetricsUpdateEvent"].includes(String(event.type))
        || describeEvent({ event, index: 0 }).includes("message")
      ),
      Stream.runForEach((e) => Console.log(describeEvent(e)))
    ))

    const steer = Effect.gen(function*() {
      if (ChangeFeed.isSettled(yield* reach(session, "running"))) {
        return yield* Console.log("the agent settled before it could be steered")
      }
      const snapshot = yield* session.get
      yield* Console.log(`get: status ${snapshot.status.status}, agent view ${snapshot.agent_view_url ?? "-"}`)

      yield* session.pause
      yield* Console.log(`paused (status: ${yield* reach(session, "paused")})`)
      yield* Effect.sleep("100 millis")

      yield* session.resume
      yield* Console.log("resumed")

      yield* session.send("Only consider the last 24 hours") // redirects the agent on its next step
      yield* Console.log("sent a message")
      // wait until the agent picked the message up, then ask it to answer now
      yield* session.events.pipe(
        Stream.filter(({ event }) => describeEvent({ event, index: 0 }).includes("message from user")),
        Stream.drop(1), // the first one is the task itself
        Stream.runHead,
        Effect.timeoutOption("2 minutes")
      )
      yield* session.forceAnswer // stop exploring, answer from what it has
    }).pipe(
      // steering a session that settled meanwhile is refused with 409
      Effect.catchTag("Conflict", (e) => Console.log(`too late to steer: ${e.message}`))
    )
    yield* steer
    const result = yield* session.awaitSettled({ timeout: "5 minutes" })
    yield* Console.log(`settled ${result.status}: ${JSON.stringify(result.answer)}`)
  }))

  // Cancel: the session ends "interrupted", which awaitSettled reports as SessionFailed.
  yield* Effect.scoped(Effect.gen(function*() {
    const session = yield* Session.start({ agent, messages: "Read every comment of the top story" })
    yield* reach(session, "running")
    yield* session.cancel
    const outcome = yield* session.awaitSettled({ timeout: "1 minute" }).pipe(
      Effect.map((r) => `the session settled ${r.status} before the cancel took effect`),
      Effect.catchTag("SessionFailed", (e: HaiError.SessionFailed) => Effect.succeed(`cancelled: ended ${e.status}`))
    )
    yield* Console.log(outcome)
  }))
})

Example.runMain(program)
