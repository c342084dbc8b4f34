import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import { assert, describe, it } from "@effect/vitest"
import { HaiAgents } from "@hai-effect/core"
import { Effect, Layer, TestClock } from "effect"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import * as Emulator from "../src/Emulator.js"
import * as Recorder from "../src/Recorder.js"
import * as Recording from "../src/Recording.js"
import * as Scenario from "../src/Scenario.js"
import { call, createSession, noViolations, testLayer } from "./utils.js"

const layer = HaiAgents.layer({ apiKey: "hk-emulator", baseUrl: "http://emulator.local" }).pipe(
  Layer.provideMerge(testLayer({ tick: "1 second" })),
  Layer.provideMerge(NodeFileSystem.layer)
)

const request = {
  agent: "h/web-surfer-holo3-1-35b",
  messages: "find 3 roles in Paris",
  overrides: {
    "agent.tools": [{
      name: "salary_band",
      description: "salary band of a title",
      input_schema: { type: "object", properties: { title: { type: "string" } }, required: ["title"] }
    }],
    "agent.answer_format": {
      type: "object",
      properties: { roles: { type: "array", minItems: 3, items: { type: "string", pattern: "^[A-Z][a-z]+$" } } },
      required: ["roles"]
    }
  }
}

/** The client's part: answer each tool call (by its arguments) until the session settles. */
const drive = (id: string, result: (args: any) => unknown) =>
  Effect.gen(function*() {
    for (let i = 0; i < 200; i++) {
      const s = (yield* call("GET", `/api/v2/sessions/${id}/status`)).body.status
      if (s === "idle" || s === "completed" || s === "failed") return s as string
      if (s === "awaiting_tool_results") {
        const events = (yield* call("GET", `/api/v2/sessions/${id}/changes?from_index=0`)).body.new_events
        const pending = events.filter((e: any) => e.type === "ActiveStateChangeEvent").pop().data.pending_tool_calls
        for (const req of pending) {
          const r = yield* call("POST", `/api/v2/sessions/${id}/tool_results`, {
            body: { kind: "tool_result", tool_req: req, result: result(req.args) }
          })
          if (r.status !== 202) return `tool result refused: ${JSON.stringify(r.body)}`
        }
      }
      yield* TestClock.adjust("100 millis")
    }
    return "did not settle"
  })

/** Events without their timestamps (compared as values: key order aside). */
const wire = (events: ReadonlyArray<{ readonly type: string; readonly data: unknown }>) =>
  events.map((e) => ({ type: e.type, data: e.data }))

describe("record and replay", () => {
  it.effect("a run recorded from the emulator replays with the same events, index for index, at scaled speed", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const band = (args: any) => ({ low: 55_000, high: args.title.length * 1000 })
      const original = (yield* createSession(request)).body.id
      assert.strictEqual(yield* drive(original, band), "idle")
      const recording = yield* Recorder.record(original)
      const file = Path.join(Fs.mkdtempSync(Path.join(Os.tmpdir(), "hai-recording-")), "run.json")
      yield* Recording.write(recording, file)

      const replay = yield* Scenario.fromRecording(file, { speed: 10 })
      yield* emulator.registerScenario("replayed", replay)
      const started = yield* TestClock.currentTimeMillis
      const copy = (yield* createSession({ ...request, agent: "replayed" })).body.id
      assert.strictEqual(yield* drive(copy, band), "idle")
      const elapsed = (yield* TestClock.currentTimeMillis) - started

      const a = yield* emulator.session(original)
      const b = yield* emulator.session(copy)
      assert.isTrue(a._tag === "Some" && b._tag === "Some")
      if (a._tag !== "Some" || b._tag !== "Some") return
      assert.deepStrictEqual(wire(b.value.events), wire(a.value.events))
      assert.deepStrictEqual(wire(recording.events), wire(a.value.events))
      assert.deepStrictEqual(b.value.answer, a.value.answer)
      assert.strictEqual(b.value.status, a.value.status)
      const span = (events: ReadonlyArray<{ readonly timestamp: string }>) =>
        Date.parse(events[events.length - 1].timestamp) - Date.parse(events[0].timestamp)
      assert.isAbove(span(a.value.events), 1000)
      assert.isBelow(elapsed, span(a.value.events) / 5, "replayed about ten times faster")
      assert.deepStrictEqual(yield* noViolations, [])
    }).pipe(Effect.provide(layer)))

  it.effect("a replayed client whose tool result has another shape than the recorded one gets a 422", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const original = (yield* createSession(request)).body.id
      assert.strictEqual(yield* drive(original, () => ({ low: 1, high: 2 })), "idle")
      yield* emulator.registerScenario(
        "replayed",
        yield* Scenario.fromRecording(yield* Recorder.record(original), { speed: 100 })
      )
      const copy = (yield* createSession({ ...request, agent: "replayed" })).body.id
      const outcome = yield* drive(copy, () => "a string this time")
      assert.include(outcome, "does not match the recording", outcome)
      assert.include(outcome, `expected a result shaped {\\"high\\":\\"number\\",\\"low\\":\\"number\\"}`, outcome)
    }).pipe(Effect.provide(layer)))

  it.effect("a recording file that is not one is a RecordingError", () =>
    Effect.gen(function*() {
      const file = Path.join(Fs.mkdtempSync(Path.join(Os.tmpdir(), "hai-recording-")), "bad.json")
      Fs.writeFileSync(file, "{\"format\":\"something else\"}")
      const error = yield* Effect.flip(Scenario.fromRecording(file))
      assert.strictEqual(error._tag, "RecordingError")
      assert.include(error.message, file)
      const missing = yield* Effect.flip(Scenario.fromRecording(Path.join(Path.dirname(file), "none.json")))
      assert.include(missing.message, "ENOENT")
    }))
})
