import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, TestClock, TestContext } from "effect"
import * as Emulator from "../src/Emulator.js"
import * as Scenario from "../src/Scenario.js"
import { call, createSession, noViolations, testLayer } from "./utils.js"

const AGENT = "h/web-surfer-holo3-1-35b"

const statusOf = (id: string) => Effect.map(call("GET", `/api/v2/sessions/${id}/status`), (r) => r.body.status)
const eventsOf = (id: string) =>
  Effect.map(call("GET", `/api/v2/sessions/${id}/changes?from_index=0`), (r) => r.body.new_events as Array<any>)
/** A session that never finishes, past its first events, and a way to fork long-polls after them. */
const hangingSession = Effect.gen(function*() {
  const emulator = yield* Emulator.Emulator
  yield* emulator.registerScenario("hang", [Scenario.hang])
  const { body } = yield* createSession({
    agent: { name: "hang", description: "hangs", environments: [] },
    messages: "go"
  })
  yield* TestClock.adjust("1 second")
  const n = (yield* eventsOf(body.id)).length
  const poll = (wait: number) =>
    Effect.fork(call("GET", `/api/v2/sessions/${body.id}/changes?from_index=${n}&wait_for_seconds=${wait}`))
  return { id: body.id as string, poll }
})

const lastToolCalls = (events: Array<any>) =>
  events.filter((e) => e.type === "ActiveStateChangeEvent").pop()?.data.pending_tool_calls ?? []

describe("sessions", () => {
  it.effect("runs a default session to idle (EU) and long-polls changes", () =>
    Effect.gen(function*() {
      const created = yield* createSession({ agent: AGENT, messages: "find jobs" })
      assert.strictEqual(created.status, 201, JSON.stringify(created.body))
      const id = created.body.id
      assert.strictEqual(created.body.status.status, "pending")
      const poll = yield* Effect.fork(call("GET", `/api/v2/sessions/${id}/changes?from_index=2&wait_for_seconds=20`))
      yield* TestClock.adjust("150 millis")
      const first = yield* Fiber.join(poll)
      assert.strictEqual(first.status, 200)
      assert.strictEqual(first.body.new_events[0].type, "AgentStartedEvent")
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual(yield* statusOf(id), "idle")
      const all = yield* call("GET", `/api/v2/sessions/${id}/changes?from_index=0`)
      const types = all.body.new_events.map((e: any) => e.type)
      for (const t of ["RequestStartEvent", "AgentStartedEvent", "LiveViewUrlEvent", "MetricsUpdateEvent"]) {
        assert.include(types, t)
      }
      assert.strictEqual(all.body.answer, "Done: find jobs")
      assert.strictEqual(all.body.outcome, "success")
      const n = all.body.new_events.length
      const empty = yield* Effect.fork(call("GET", `/api/v2/sessions/${id}/changes?from_index=${n}&wait_for_seconds=3`))
      yield* TestClock.adjust("3 seconds")
      const r = yield* Fiber.join(empty)
      assert.strictEqual(r.status, 204)
      assert.strictEqual(r.body, undefined)
      const limited = yield* call("GET", `/api/v2/sessions/${id}/changes?from_index=1&limit=2&include_events=true`)
      assert.strictEqual(limited.body.new_events.length, 2)
      const noEvents = yield* call("GET", `/api/v2/sessions/${id}/changes?from_index=0&include_events=false`)
      assert.deepStrictEqual(noEvents.body.new_events, [])
      assert.strictEqual(noEvents.body.answer, "Done: find jobs")
      const session = yield* call("GET", `/api/v2/sessions/${id}`)
      assert.strictEqual(session.body.latest_answer, "Done: find jobs")
      assert.deepStrictEqual(yield* noViolations, [])
    }).pipe(Effect.provide(testLayer())))

  it.effect("long-poll wakes the moment an event is appended", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* emulator.registerScenario("slow", [Scenario.think("10 seconds"), Scenario.answer("ok")])
      const { body } = yield* createSession({
        agent: { name: "slow", description: "slow agent", environments: [] },
        messages: "go"
      })
      yield* TestClock.adjust("200 millis")
      const n = (yield* eventsOf(body.id)).length
      const poll = yield* Effect.fork(
        call("GET", `/api/v2/sessions/${body.id}/changes?from_index=${n}&wait_for_seconds=25`)
      )
      yield* TestClock.adjust("9 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(poll)))
      yield* TestClock.adjust("1 second")
      const r = yield* Fiber.join(poll)
      assert.strictEqual(r.status, 200)
      assert.strictEqual(r.body.new_events[0].data.kind, "policy_event")
    }).pipe(Effect.provide(testLayer())))

  it.effect("long-polls time out each on its own deadline (shorter ones later, interrupted ones)", () =>
    Effect.gen(function*() {
      const { id, poll } = yield* hangingSession
      const long = yield* poll(20)
      const gone = yield* poll(10)
      const short = yield* poll(3)
      yield* Fiber.interrupt(gone)
      yield* TestClock.adjust("3 seconds")
      assert.strictEqual((yield* Fiber.join(short)).status, 204)
      yield* TestClock.adjust("10 seconds")
      assert.isTrue(Option.isNone(yield* Fiber.poll(long)))
      const again = yield* poll(5)
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual((yield* Fiber.join(again)).status, 204)
      const woken = yield* poll(20)
      assert.strictEqual((yield* call("POST", `/api/v2/sessions/${id}/force_answer`)).status, 202)
      yield* TestClock.adjust("10 millis")
      const [a, b] = [yield* Fiber.join(long), yield* Fiber.join(woken)]
      assert.strictEqual(a.status, 200)
      assert.deepStrictEqual(a.body, b.body)
      assert.strictEqual(a.body.outcome, "partial")
    }).pipe(Effect.provide(testLayer())))

  it.effect("long-polls time out on their caller's clock (one emulator, tests with their own TestClock)", () =>
    Effect.gen(function*() {
      const { poll } = yield* hangingSession
      const outer = yield* poll(20)
      // Another test's TestClock starts at 0: its poll's deadline (25 s) is after the first one's (21 s).
      // (Awaited, not joined: joining would hand this fiber the other test's clock.)
      const other = yield* Effect.fork(Effect.provide(
        Effect.flatMap(poll(25), (p) => Effect.zipRight(TestClock.adjust("25 seconds"), Fiber.join(p))),
        TestContext.TestContext
      ))
      assert.strictEqual((yield* Effect.flatten(Fiber.await(other))).status, 204)
      assert.isTrue(Option.isNone(yield* Fiber.poll(outer)))
      yield* TestClock.adjust("20 seconds")
      assert.strictEqual((yield* Fiber.join(outer)).status, 204)
    }).pipe(Effect.provide(testLayer())))

  it.effect("US region completes; 204 right away after the end", () =>
    Effect.gen(function*() {
      const { body } = yield* createSession({ agent: AGENT, messages: "x" })
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual(yield* statusOf(body.id), "completed")
      const events = yield* eventsOf(body.id)
      assert.strictEqual(events[events.length - 1].type, "AgentCompletionEvent")
      const r = yield* call(
        "GET",
        `/api/v2/sessions/${body.id}/changes?from_index=${events.length}&wait_for_seconds=25`
      )
      assert.strictEqual(r.status, 204)
      const session = yield* call("GET", `/api/v2/sessions/${body.id}`)
      assert.isString(session.body.finished_at)
    }).pipe(Effect.provide(testLayer({ region: "us" }))))

  it.effect("idle_timeout_s: a message wakes an idle session, then it ends after the timeout", () =>
    Effect.gen(function*() {
      const { body } = yield* createSession({ agent: AGENT, messages: "first", idle_timeout_s: 30 })
      yield* TestClock.adjust("3 seconds")
      assert.strictEqual(yield* statusOf(body.id), "idle")
      const sent = yield* call("POST", `/api/v2/sessions/${body.id}/messages`, {
        body: { type: "user_message", message: "second" }
      })
      assert.strictEqual(sent.status, 202)
      assert.strictEqual(yield* statusOf(body.id), "running")
      yield* TestClock.adjust("3 seconds")
      assert.strictEqual(yield* statusOf(body.id), "idle")
      const changes = yield* call("GET", `/api/v2/sessions/${body.id}/changes?from_index=0`)
      assert.strictEqual(changes.body.answer, "Done: second")
      yield* TestClock.adjust("31 seconds")
      assert.strictEqual(yield* statusOf(body.id), "completed")
      const late = yield* call("POST", `/api/v2/sessions/${body.id}/messages`, {
        body: { type: "batch", messages: [{ type: "user_message", message: "third" }] }
      })
      assert.strictEqual(late.status, 409)
      assert.deepStrictEqual(yield* noViolations, [])
    }).pipe(Effect.provide(testLayer({ region: "us" }))))

  it.effect("custom tools: announce, accept results, resume; structured answer", () =>
    Effect.gen(function*() {
      const answerFormat = {
        type: "object",
        properties: {
          jobs: {
            type: "array",
            minItems: 3,
            items: { type: "object", properties: { title: { type: "string" } }, required: ["title"] }
          },
          count: { type: "integer", minimum: 3 },
          remote: { anyOf: [{ type: "boolean" }, { type: "null" }] },
          level: { enum: ["junior", "senior"] }
        },
        required: ["jobs", "count"]
      }
      const { body } = yield* createSession({
        agent: AGENT,
        messages: "find",
        overrides: {
          "agent.tools": [
            {
              name: "get_weather",
              description: "weather",
              input_schema: { type: "object", properties: { city: { type: "string" } }, required: ["city"] }
            },
            { name: "lookup", description: "lookup" }
          ],
          "agent.answer_format": answerFormat
        }
      })
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual(yield* statusOf(body.id), "awaiting_tool_results")
      let calls = lastToolCalls(yield* eventsOf(body.id))
      assert.strictEqual(calls.length, 1)
      assert.strictEqual(calls[0].tool_name, "get_weather")
      assert.isString(calls[0].args.city)
      const unknown = yield* call("POST", `/api/v2/sessions/${body.id}/tool_results`, {
        body: { kind: "tool_result", tool_req: { tool_name: "get_weather", id: "nope" }, result: 1 }
      })
      assert.strictEqual(unknown.status, 422)
      assert.deepStrictEqual(unknown.body.detail[0].loc, ["body", "tool_req", "id"])
      const ok = yield* call("POST", `/api/v2/sessions/${body.id}/tool_results`, {
        body: { kind: "tool_result", tool_req: calls[0], result: { temp: 21 } }
      })
      assert.strictEqual(ok.status, 202)
      assert.strictEqual(yield* statusOf(body.id), "running")
      yield* TestClock.adjust("2 seconds")
      calls = lastToolCalls(yield* eventsOf(body.id))
      assert.strictEqual(calls[0].tool_name, "lookup")
      const err = yield* call("POST", `/api/v2/sessions/${body.id}/tool_results`, {
        body: {
          type: "batch",
          results: [{ kind: "error_event", error: "Boom: failed", origin: "client", tool_req: calls[0] }]
        }
      })
      assert.strictEqual(err.status, 202)
      yield* TestClock.adjust("2 seconds")
      const changes = yield* call("GET", `/api/v2/sessions/${body.id}/changes?from_index=0`)
      assert.strictEqual(changes.body.status, "completed")
      assert.isAtLeast(changes.body.answer.jobs.length, 3)
      assert.isAtLeast(changes.body.answer.count, 3)
      const kinds = changes.body.new_events.filter((e: any) => e.type === "AgentEvent").map((e: any) => e.data.kind)
      assert.include(kinds, "tool_result")
      assert.include(kinds, "error_event")
      const settled = yield* call("POST", `/api/v2/sessions/${body.id}/tool_results`, {
        body: { kind: "tool_result", tool_req: calls[0], result: 1 }
      })
      assert.strictEqual(settled.status, 409)
      assert.deepStrictEqual(yield* noViolations, [])
    }).pipe(Effect.provide(testLayer({ region: "us" }))))

  it.effect("an answer that breaks answer_format fails with answer_validation", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* emulator.registerScenario("bad", [Scenario.answer({ n: "not a number" })])
      const { body } = yield* createSession({
        agent: {
          name: "bad",
          description: "d",
          environments: [],
          answer_format: { type: "object", properties: { n: { type: "integer" } } }
        },
        messages: "x"
      })
      yield* TestClock.adjust("1 second")
      const s = yield* call("GET", `/api/v2/sessions/${body.id}/status`)
      assert.strictEqual(s.body.status, "failed")
      assert.strictEqual(s.body.error_code, "answer_validation")
    }).pipe(Effect.provide(testLayer())))

  it.effect("pause, resume, force_answer, cancel", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* emulator.registerScenario("long", [Scenario.think("1 second"), Scenario.hang])
      const agent = { name: "long", description: "d", environments: [] }
      const a = (yield* createSession({ agent, messages: "x" })).body.id
      yield* TestClock.adjust("200 millis")
      assert.strictEqual((yield* call("POST", `/api/v2/sessions/${a}/pause`)).status, 202)
      assert.strictEqual(yield* statusOf(a), "paused")
      yield* TestClock.adjust("5 seconds")
      assert.strictEqual((yield* call("GET", `/api/v2/sessions/${a}/status`)).body.steps, 0)
      assert.strictEqual((yield* call("POST", `/api/v2/sessions/${a}/resume`)).status, 202)
      assert.strictEqual(yield* statusOf(a), "running")
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual((yield* call("GET", `/api/v2/sessions/${a}/status`)).body.steps, 1)
      assert.strictEqual((yield* call("POST", `/api/v2/sessions/${a}/force_answer`)).status, 202)
      yield* TestClock.adjust("10 millis")
      assert.strictEqual(yield* statusOf(a), "idle")
      assert.strictEqual((yield* call("GET", `/api/v2/sessions/${a}/status`)).body.outcome, "partial")

      const b = (yield* createSession({ agent, messages: "y" })).body.id
      yield* TestClock.adjust("2 seconds")
      assert.strictEqual((yield* call("DELETE", `/api/v2/sessions/${b}`)).status, 204)
      assert.strictEqual(yield* statusOf(b), "running")
      yield* TestClock.adjust("1 second")
      assert.strictEqual(yield* statusOf(b), "interrupted")
      assert.strictEqual((yield* call("POST", `/api/v2/sessions/${b}/pause`)).status, 409)
      const stats = yield* emulator.stats
      assert.strictEqual(stats.sessionsCreated, 2)
      assert.strictEqual(stats.sessionsByStatus.interrupted, 1)
      assert.strictEqual(stats.sessionsUnsettled, 0)
      assert.isAbove(stats.requestsByRoute["POST /api/v2/sessions"], 1)
    }).pipe(Effect.provide(testLayer())))

  it.effect("max_time_s times out, max_steps fails with no_answer", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* emulator.registerScenario("hang", [Scenario.hang])
      const a =
        (yield* createSession({ agent: { name: "hang", description: "d", environments: [] }, max_time_s: 5 })).body.id
      const b = (yield* createSession({ agent: AGENT, messages: "x", max_steps: 1 })).body.id
      yield* TestClock.adjust("6 seconds")
      const sa = (yield* call("GET", `/api/v2/sessions/${a}/status`)).body
      assert.strictEqual(sa.status, "timed_out")
      assert.strictEqual(sa.error_code, "timeout")
      const sb = (yield* call("GET", `/api/v2/sessions/${b}/status`)).body
      assert.strictEqual(sb.status, "failed")
      assert.strictEqual(sb.error_code, "no_answer")
    }).pipe(Effect.provide(testLayer())))

  it.effect("quota: queue, 429 with Retry-After, dispatch when a slot frees", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* emulator.registerScenario("work", [Scenario.think("5 seconds"), Scenario.answer("done")])
      const agent = { name: "work", description: "d", environments: [] }
      const a = (yield* createSession({ agent, messages: "1" })).body
      const b = (yield* createSession({ agent, messages: "2" })).body
      assert.strictEqual(a.status.status, "pending")
      assert.strictEqual(b.status.status, "queued")
      const rejected = yield* createSession({ agent, messages: "3", queue: false })
      assert.strictEqual(rejected.status, 429)
      assert.strictEqual(rejected.headers["retry-after"], "5")
      const quota = yield* call("GET", "/api/v2/sessions/quota")
      assert.deepStrictEqual(quota.body, { scope: "org", limit: 1, active: 1, available: 0 })
      yield* TestClock.adjust("6 seconds")
      assert.strictEqual(yield* statusOf(a.id), "idle")
      assert.strictEqual(yield* statusOf(b.id), "running")
      yield* TestClock.adjust("6 seconds")
      assert.strictEqual(yield* statusOf(b.id), "idle")
    }).pipe(Effect.provide(testLayer({ concurrency: 1 }))))

  it.effect("idempotency keys", () =>
    Effect.gen(function*() {
      const body = { agent: AGENT, messages: "x" }
      const a = yield* createSession(body, { "Idempotency-Key": "k1" })
      const b = yield* createSession(body, { "Idempotency-Key": "k1" })
      assert.strictEqual(b.status, 201)
      assert.strictEqual(a.body.id, b.body.id)
      const c = yield* createSession({ ...body, messages: "y" }, { "Idempotency-Key": "k1" })
      assert.strictEqual(c.status, 422)
      assert.deepStrictEqual(c.body.detail[0].loc, ["header", "Idempotency-Key"])
      const d = yield* createSession(body, { "Idempotency-Key": "k2" })
      assert.notStrictEqual(d.body.id, a.body.id)
      assert.strictEqual((yield* Emulator.Emulator.pipe(Effect.flatMap((e) => e.stats))).sessionsCreated, 2)
    }).pipe(Effect.provide(testLayer())))

  it.effect("auth, validation (FastAPI 422 shape) and 404s", () =>
    Effect.gen(function*() {
      const none = yield* call("GET", "/api/v2/sessions", { key: null })
      assert.deepStrictEqual([none.status, none.body], [401, { detail: "Not authenticated" }])
      const wrong = yield* call("GET", "/api/v2/sessions", { key: "hk-wrong" })
      assert.strictEqual(wrong.status, 403)
      const missing = yield* createSession({ messages: "x", max_steps: 0 })
      assert.strictEqual(missing.status, 422)
      assert.deepStrictEqual(missing.body.detail.map((d: any) => [d.loc, d.type]), [
        [["body", "agent"], "missing"],
        [["body", "max_steps"], "greater_than_equal"]
      ])
      const q = yield* call(
        "GET",
        "/api/v2/sessions/00000000-0000-4000-8000-000000000000/changes?from_index=x&wait_for_seconds=26"
      )
      assert.deepStrictEqual(q.body.detail.map((d: any) => d.loc), [["query", "from_index"], [
        "query",
        "wait_for_seconds"
      ]])
      const p = yield* call("GET", "/api/v2/sessions/not-a-uuid")
      assert.deepStrictEqual(p.body.detail[0].loc, ["path", "id"])
      const tag = yield* call("POST", "/api/v2/sessions/00000000-0000-4000-8000-000000000000/messages", {
        body: { message: "no type" }
      })
      assert.strictEqual(tag.status, 422)
      assert.strictEqual(tag.body.detail[0].type, "union_tag_not_found")
      const untagged = yield* call("POST", "/api/v2/sessions/00000000-0000-4000-8000-000000000000/tool_results", {
        body: { results: [{ kind: "tool_result", tool_req: { tool_name: "x", id: "1" } }] }
      })
      assert.strictEqual(untagged.status, 422)
      const inlineEnv = yield* createSession({ agent: { name: "a", description: "d", environments: [{ id: "w" }] } })
      assert.strictEqual(inlineEnv.status, 422)
      const bad = yield* call("POST", "/api/v2/sessions", { rawBody: "{nope" })
      assert.strictEqual(bad.body.detail[0].type, "json_invalid")
      const nf = yield* call("GET", "/api/v2/sessions/00000000-0000-4000-8000-000000000000")
      assert.strictEqual(nf.status, 404)
      assert.isString(nf.body.detail)
      assert.strictEqual((yield* createSession({ agent: "h/nope" })).status, 404)
      assert.strictEqual((yield* call("GET", "/api/v2/nothing")).status, 404)
      const list = yield* call("GET", "/api/v2/sessions?status=running&status=idle&size=5")
      assert.strictEqual(list.status, 200)
      assert.deepStrictEqual(yield* noViolations, [])
    }).pipe(Effect.provide(testLayer({ apiKeys: ["hk-emulator"] }))))

  it.effect("list, events paging and any-key mode", () =>
    Effect.gen(function*() {
      const a = (yield* createSession({ agent: AGENT, messages: "alpha", group_id: "g1" })).body.id
      yield* TestClock.adjust("1 second")
      yield* createSession({ agent: AGENT, messages: "beta" })
      yield* TestClock.adjust("5 seconds")
      const all = yield* call("GET", "/api/v2/sessions", { key: "anything" })
      assert.strictEqual(all.body.total, 2)
      assert.strictEqual(all.body.items[1].id, a)
      const grouped = yield* call("GET", "/api/v2/sessions?group_id=g1")
      assert.deepStrictEqual(grouped.body.items.map((s: any) => s.id), [a])
      const search = yield* call("GET", "/api/v2/sessions?search=alpha&status=idle")
      assert.strictEqual(search.body.total, 1)
      const page = yield* call("GET", `/api/v2/sessions/${a}/events?page=2&size=3&sort=-timestamp`)
      assert.strictEqual(page.body.items.length, 3)
      assert.strictEqual(page.body.page, 2)
      const typed = yield* call("GET", `/api/v2/sessions/${a}/events?type=LiveViewUrlEvent`)
      assert.strictEqual(typed.body.total, 1)
      const snapshot = yield* Emulator.Emulator.pipe(Effect.flatMap((e) => e.session(a)))
      assert.strictEqual(Option.getOrThrow(snapshot).status, "idle")
      assert.deepStrictEqual(yield* noViolations, [])
    }).pipe(Effect.provide(testLayer({ apiKeys: [] }))))
})
