import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as Emulator from "../src/Emulator.js"
import { compile, compileComponent } from "../src/internal/validation.js"
import * as Scenario from "../src/Scenario.js"
import { call, createSession, testLayer } from "./utils.js"

const KNOWN = new Set([
  "AgentStartedEvent",
  "AgentCompletionEvent",
  "AgentErrorEvent",
  "AgentRunStatusChangeEvent",
  "ActiveStateChangeEvent",
  "LiveViewUrlEvent",
  "RequestStartEvent",
  "RequestStartDispatchedEvent",
  "MetricsUpdateEvent",
  "FileTransferEvent",
  "AttachmentEvent",
  "RunnerSessionEvent",
  "AgentEvent"
])

describe("Scenario.example", () => {
  const schemas: Array<unknown> = [
    {
      type: "object",
      properties: { a: { type: "string", minLength: 12 }, b: { type: "integer", minimum: 5, maximum: 9 } },
      required: ["a", "b"]
    },
    { type: "array", items: { type: "number", exclusiveMinimum: 2 }, minItems: 4 },
    { anyOf: [{ type: "null" }, { type: "object", properties: { x: { const: "k" } }, required: ["x"] }] },
    { oneOf: [{ type: "boolean" }, { type: "string" }] },
    { type: ["string", "null"], enum: ["a", "b", null] },
    {
      type: "object",
      properties: { when: { type: "string", format: "date-time" }, id: { type: "string", format: "uuid" } },
      additionalProperties: false
    },
    {
      $defs: { item: { type: "object", properties: { n: { type: "integer" } }, required: ["n"] } },
      type: "array",
      items: { $ref: "#/$defs/item" }
    },
    {
      type: "object",
      properties: {
        nested: { type: "object", properties: { deep: { type: "array", items: { enum: [1, 2] } } }, required: ["deep"] }
      },
      required: ["nested"]
    },
    {
      allOf: [{ type: "object", properties: { a: { type: "integer" } }, required: ["a"] }, {
        type: "object",
        properties: { b: { type: "boolean" } },
        required: ["b"]
      }]
    }
  ]
  schemas.forEach((schema, i) =>
    it(`synthesises a valid value #${i}`, () => {
      const fn = compile(`test-example-${i}`, schema)
      const value = Scenario.example(schema)
      assert.isTrue(fn(value), `${JSON.stringify(value)}: ${JSON.stringify(fn.errors)}`)
    })
  )
})

describe("event shapes", () => {
  it.effect("every event of varied runs matches its specific schema", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* emulator.registerScenario("failing", [Scenario.think("tick"), Scenario.fail("environment_error", "crash")])
      yield* emulator.registerScenario("hanging", [Scenario.emit("CustomEvent", { x: 1 }), Scenario.hang])
      const ids: Array<string> = []
      const tools = [{
        name: "t",
        description: "d",
        input_schema: { type: "object", properties: { q: { type: "string" } } }
      }]
      ids.push(
        (yield* createSession({
          agent: "h/web-surfer-holo3-1-35b",
          messages: "x",
          overrides: { "agent.tools": tools }
        })).body.id
      )
      ids.push(
        (yield* createSession({ agent: { name: "failing", description: "d", environments: [] }, messages: "x" })).body
          .id
      )
      ids.push(
        (yield* createSession({ agent: { name: "hanging", description: "d", environments: [] }, max_time_s: 3 })).body
          .id
      )
      const cancelled =
        (yield* createSession({ agent: { name: "hanging", description: "d", environments: [] } })).body.id
      ids.push(cancelled)
      yield* TestClock.adjust("1 second")
      yield* call("POST", `/api/v2/sessions/${cancelled}/pause`)
      yield* call("POST", `/api/v2/sessions/${cancelled}/resume`)
      yield* call("DELETE", `/api/v2/sessions/${cancelled}`)
      yield* TestClock.adjust("5 seconds")
      const first = (yield* call("GET", `/api/v2/sessions/${ids[0]}/changes?from_index=0`)).body.new_events
      const pending = first.filter((e: any) => e.type === "ActiveStateChangeEvent").pop().data.pending_tool_calls
      yield* call("POST", `/api/v2/sessions/${ids[0]}/tool_results`, {
        body: { kind: "tool_result", tool_req: pending[0], result: "ok" }
      })
      yield* TestClock.adjust("5 seconds")
      const statuses: Array<string> = []
      const seen = new Set<string>()
      for (const id of ids) {
        const changes = (yield* call("GET", `/api/v2/sessions/${id}/changes?from_index=0`)).body
        statuses.push(changes.status)
        for (const event of changes.new_events) {
          seen.add(event.type === "AgentEvent" ? `AgentEvent:${event.data.kind}` : event.type)
          if (!KNOWN.has(event.type)) continue
          const fn = compileComponent(event.type)
          assert.isTrue(fn(event), `${JSON.stringify(event)}: ${JSON.stringify(fn.errors)}`)
        }
      }
      assert.deepStrictEqual(statuses, ["idle", "failed", "timed_out", "interrupted"])
      for (
        const t of [
          "AgentErrorEvent",
          "AgentCompletionEvent",
          "CustomEvent",
          "AgentEvent:tool_result",
          "AgentEvent:answer_event"
        ]
      ) {
        assert.isTrue(seen.has(t), t)
      }
      assert.deepStrictEqual(yield* emulator.responseViolations, [])
    }).pipe(Effect.provide(testLayer())))
})
