/**
 * The tool-call ledger after a restart: an outcome saved before the post is posted again without
 * running the handler; a call found started is run again when its tool is idempotent, else the
 * agent is told its outcome is unknown. The ledger is seeded as a crash would leave it.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Effect, Fiber, Layer, Option, Schema, TestClock } from "effect"
import { HaiAgents, Session, SessionStore, Tool, Toolkit } from "../src/index.js"
import { emulated } from "./support/emulated.js"

const counting = (name: string, idempotent: boolean, runs: Map<string, number>) =>
  Tool.make(name, {
    description: name,
    parameters: Schema.Struct({ n: Schema.Number }),
    idempotent,
    handler: ({ n }) => Effect.sync(() => runs.set(name, (runs.get(name) ?? 0) + 1)).pipe(Effect.as(n * 10))
  })

/** The tool results and client errors the agent received, by tool name. */
const received = (id: string) =>
  Effect.map(
    Effect.flatMap(Emulator.Emulator, (e) => e.session(id)),
    (snapshot) =>
      Option.getOrThrow(snapshot).events.flatMap((e) => {
        // The emulator's snapshot leaves event data `unknown`; these are the fields a tool answer has.
        const data = e.data as
          | {
            readonly kind?: string
            readonly tool_req: { readonly tool_name: string }
            readonly result?: unknown
            readonly error?: string
          }
          | undefined
        return e.type === "AgentEvent" && (data?.kind === "tool_result" || data?.kind === "error_event")
          ? [{ tool: data.tool_req.tool_name, result: data.result, error: data.error }]
          : []
      })
  )

describe("ledger after a crash", () => {
  it.effect("a saved outcome is re-posted without running; a started idempotent call is run again", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* emulator.registerScenario("three", [
        Scenario.callTools([
          { name: "saved", args: { n: 1 } },
          { name: "again", args: { n: 2 } },
          { name: "unsafe", args: { n: 3 } }
        ]),
        Scenario.answer("done")
      ])
      const hai = yield* HaiAgents.HaiAgents
      const store = yield* SessionStore.SessionStore
      const session = yield* hai.sessions.create({ agent: "three", messages: "go" })
      for (let i = 0; i < 20 && (yield* hai.sessions.status(session.id)).status !== "awaiting_tool_results"; i++) {
        yield* TestClock.adjust("300 millis")
      }
      const pending = Option.getOrThrow(yield* emulator.session(session.id)).pendingToolCalls
      const key = (name: string) => {
        const call = pending.find((c) => c.tool_name === name)!
        return SessionStore.callKey({ ...call, args: call.args as Record<string, unknown> })
      }
      // as a crash leaves it: one handler finished (its outcome saved), two were running
      yield* store.setCall(session.id, key("saved"), { state: "ran", outcome: { _tag: "Result", result: 10 } })
      yield* store.setCall(session.id, key("again"), "started")
      yield* store.setCall(session.id, key("unsafe"), "started")
      const runs = new Map<string, number>()
      const toolkit = Toolkit.make(
        counting("saved", false, runs),
        counting("again", true, runs),
        counting("unsafe", false, runs)
      )
      const fiber = yield* Effect.fork(Effect.scoped(Effect.flatMap(
        Session.attach(session.id, { tools: toolkit, fromIndex: 0 }),
        (handle) => handle.awaitSettled()
      )))
      for (let i = 0; i < 40 && Option.isNone(yield* Fiber.poll(fiber)); i++) yield* TestClock.adjust("300 millis")
      const result = yield* Fiber.join(fiber)
      assert.strictEqual(result.answer, "done")
      assert.deepStrictEqual(Object.fromEntries(runs), { again: 1 }, "only the idempotent call ran again")
      const got = yield* received(session.id)
      assert.deepStrictEqual(got.find((r) => r.tool === "saved"), { tool: "saved", result: 10, error: undefined })
      assert.deepStrictEqual(got.find((r) => r.tool === "again"), { tool: "again", result: 20, error: undefined })
      assert.include(got.find((r) => r.tool === "unsafe")?.error, "ToolInterrupted")
      assert.strictEqual(got.length, 3)
      for (const name of ["saved", "again", "unsafe"]) {
        assert.deepStrictEqual(yield* store.getCall(session.id, key(name)), Option.some("posted" as const))
      }
    }).pipe(Effect.provide(Layer.mergeAll(emulated(), SessionStore.layerMemory))))
})
