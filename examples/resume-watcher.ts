/**
 * Resuming a watcher after a restart: the session runtime saves its event cursor and a ledger of
 * tool calls in a `SessionStore`; over `FileKeyValueStore` (a directory on disk) they survive the
 * process. A new process calls `Session.attach(id)`: it resumes from the saved cursor (no event
 * seen twice) and never runs a tool call again that already ran.
 *
 * Here both "processes" run one after the other in this one, sharing only the directory (a
 * temporary one) and the session id.
 *
 *   npx tsx examples/resume-watcher.ts
 */
import { Session, SessionStore, Tool, Toolkit } from "@hai-effect/core"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { FileKeyValueStore } from "@hai-effect/platform-node"
import { Console, Effect, Layer, Option, Schema, Stream } from "effect"
import { mkdtempSync, readdirSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describeEvent } from "./support/describe.js"
import * as Example from "./support/layer.js"

const agent = "h/web-surfer-holo3-1-35b"
let toolRuns = 0

const bookTable = Tool.make("book_table", {
  description: "Book a table at a restaurant (must happen once!)",
  parameters: Schema.Struct({ restaurant: Schema.String, people: Schema.Number }),
  handler: ({ people, restaurant }) =>
    Effect.sync(() => ++toolRuns).pipe(
      Effect.tap((n) => Console.log(`  ↳ book_table(${restaurant}, ${people}) ran (run #${n})`)),
      Effect.as({ confirmation: "BK-1234" })
    )
})
const tools = Toolkit.make(bookTable)

/** A fresh store over the directory, as a new process would build it. */
const storeIn = (directory: string) =>
  SessionStore.layerKeyValueStore.pipe(Layer.provide(FileKeyValueStore.layer(directory)))

const program = Effect.gen(function*() {
  const directory = mkdtempSync(join(tmpdir(), "hai-watcher-"))
  yield* Effect.addFinalizer(() => Effect.sync(() => rmSync(directory, { recursive: true, force: true })))

  yield* Example.offline((emulator) =>
    emulator.registerScenario(agent, [
      Scenario.think("tick", "Looking for a table"),
      Scenario.callTool("book_table", { restaurant: "Le Comptoir", people: 2 }),
      ...Array.from({ length: 6 }, () => Scenario.think("tick", "Checking the confirmation email")),
      Scenario.answer("Booked: Le Comptoir, 2 people, BK-1234")
    ])
  )

  // Process 1: start, watch until the tool call was answered, then "crash" (the scope closes
  // without cancelling the session).
  const id = yield* Effect.scoped(Effect.gen(function*() {
    const session = yield* Session.start({
      agent,
      messages: "Book a table for two tonight",
      tools,
      cancelOnClose: "never"
    })
    yield* Console.log(`process 1: started ${session.id}`)
    yield* session.events.pipe(
      Stream.tap((e) => Console.log(`  ${describeEvent(e)}`)),
      Stream.takeUntil(({ event }) => describeEvent({ event, index: 0 }).includes("tool result")),
      Stream.runDrain
    )
    yield* Console.log("process 1: stopped (simulated crash)")
    return session.id
  })).pipe(Effect.provide(storeIn(directory)))

  const saved = yield* Effect.flatMap(SessionStore.SessionStore, (store) => store.loadCheckpoint(id)).pipe(
    Effect.provide(storeIn(directory))
  )
  yield* Console.log(
    `on disk: ${readdirSync(directory).length} entries; cursor ${
      Option.match(saved, {
        onNone: () => "-",
        onSome: (c) => String(c.cursor)
      })
    }`
  )

  // Process 2: attach with the same tools; the watcher resumes from the cursor.
  const result = yield* Effect.scoped(Effect.gen(function*() {
    const session = yield* Session.attach(id, { tools })
    yield* Console.log(`process 2: attached to ${id}`)
    yield* Effect.forkScoped(session.events.pipe(Stream.runForEach((e) => Console.log(`  ${describeEvent(e)}`))))
    return yield* session.awaitSettled({ timeout: "10 minutes" })
  })).pipe(Effect.provide(storeIn(directory)))

  yield* Console.log(`settled ${result.status}: ${JSON.stringify(result.answer)}`)
  yield* Console.log(`book_table ran ${toolRuns} time(s)`)
})

Example.runMain(program)
