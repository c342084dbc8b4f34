import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import * as Emulator from "../src/Emulator.js"
import * as Scenario from "../src/Scenario.js"
import { call, createSession, noViolations, testLayer } from "./utils.js"

const AGENT = "h/web-surfer-holo3-1-35b"

const statusOf = (id: string) => Effect.map(call("GET", `/api/v2/sessions/${id}/status`), (r) => r.body)
const eventsOf = (id: string) =>
  Effect.map(call("GET", `/api/v2/sessions/${id}/changes?from_index=0`), (r) => r.body.new_events as Array<any>)

describe("messages during a turn", () => {
  it.effect("redirect the agent at its next step: the new task is read, worked on and answered", () =>
    Effect.gen(function*() {
      const { body } = yield* createSession({ agent: AGENT, messages: "find flights to Rome" })
      yield* TestClock.adjust("150 millis") // started, first step under way
      assert.strictEqual((yield* statusOf(body.id)).status, "running")
      const sent = yield* call("POST", `/api/v2/sessions/${body.id}/messages`, {
        body: { type: "user_message", message: "actually, trains to Milan" }
      })
      assert.strictEqual(sent.status, 202)
      yield* TestClock.adjust("150 millis") // the next step
      const early = yield* eventsOf(body.id)
      const messages = early.filter((e) => e.type === "AgentEvent" && e.data.kind === "message_event")
      assert.deepStrictEqual(messages.map((e) => e.data.content), [["find flights to Rome"], [
        "actually, trains to Milan"
      ]])
      yield* TestClock.adjust("5 seconds")
      const events = yield* eventsOf(body.id)
      const answers = events.filter((e) => e.type === "AgentEvent" && e.data.kind === "answer_event")
      assert.deepStrictEqual(answers.map((e) => e.data.answer), ["Done: actually, trains to Milan"])
      // The agent worked on the new task after reading it.
      const after = events.slice(events.indexOf(messages[1]) + 1)
      assert.include(after.map((e) => e.data?.content).join("\n"), "Working on: actually, trains to Milan")
      assert.strictEqual((yield* statusOf(body.id)).status, "idle")
      assert.deepStrictEqual(yield* noViolations, [])
    }).pipe(Effect.provide(testLayer())))
})

describe("schedules", () => {
  it.effect("fire on their cron expression in their timezone on the emulator's clock, and record runs", () =>
    Effect.gen(function*() {
      const created = yield* call("POST", "/api/v2/schedules", {
        body: {
          name: "every 5 min",
          timing: { type: "cron", expression: "*/5 * * * *", timezone: "Europe/Paris" },
          session_request: { agent: AGENT, messages: "daily report" }
        }
      })
      assert.strictEqual(created.status, 201, JSON.stringify(created.body))
      const id = created.body.id
      assert.deepStrictEqual(created.body.next_run_times.slice(0, 2), [
        "1970-01-01T00:05:00.000Z",
        "1970-01-01T00:10:00.000Z"
      ])
      yield* TestClock.adjust("4 minutes")
      assert.strictEqual((yield* call("GET", `/api/v2/schedules/${id}/runs`)).body.total, 0)
      yield* TestClock.adjust("1 minute")
      let runs = (yield* call("GET", `/api/v2/schedules/${id}/runs?sort=scheduled_for`)).body.items
      assert.strictEqual(runs.length, 1)
      assert.strictEqual(runs[0].status, "created")
      assert.strictEqual(runs[0].triggered_manually, false)
      assert.strictEqual(runs[0].scheduled_for, "1970-01-01T00:05:00.000Z")
      const listed = yield* call("GET", `/api/v2/sessions?schedule_id=${id}`)
      assert.strictEqual(listed.body.items[0].id, runs[0].session_id)
      yield* TestClock.adjust("10 minutes")
      runs = (yield* call("GET", `/api/v2/schedules/${id}/runs?sort=scheduled_for`)).body.items
      assert.deepStrictEqual(runs.map((r: any) => r.scheduled_for.slice(11, 16)), ["00:05", "00:10", "00:15"])
      // Paused: no fire, no next times; resumed: fires again.
      const paused = yield* call("POST", `/api/v2/schedules/${id}/pause`, { body: { note: "holiday" } })
      assert.deepStrictEqual(paused.body.next_run_times, [])
      yield* TestClock.adjust("10 minutes")
      assert.strictEqual((yield* call("GET", `/api/v2/schedules/${id}/runs`)).body.total, 3)
      yield* call("POST", `/api/v2/schedules/${id}/resume`)
      yield* TestClock.adjust("5 minutes")
      assert.strictEqual((yield* call("GET", `/api/v2/schedules/${id}/runs`)).body.total, 4)
      assert.deepStrictEqual(yield* noViolations, [])
    }).pipe(Effect.provide(testLayer())))

  it.effect("skip a fire while the previous run's session still works; reject a bad cron", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* emulator.registerScenario("slow", [Scenario.think("90 seconds"), Scenario.answer("ok")])
      const created = yield* call("POST", "/api/v2/schedules", {
        body: {
          name: "every minute",
          timing: { type: "cron", expression: "* * * * *", timezone: "UTC" },
          session_request: { agent: "slow", messages: "go" }
        }
      })
      yield* TestClock.adjust("2 minutes")
      const runs = (yield* call("GET", `/api/v2/schedules/${created.body.id}/runs?sort=scheduled_for`)).body.items
      assert.deepStrictEqual(runs.map((r: any) => r.status), ["created", "skipped_overlap"])
      const bad = yield* call("POST", "/api/v2/schedules", {
        body: {
          name: "bad",
          timing: { type: "cron", expression: "every day", timezone: "UTC" },
          session_request: { agent: AGENT }
        }
      })
      assert.strictEqual(bad.status, 422)
    }).pipe(Effect.provide(testLayer())))
})

describe("session resources and attachments", () => {
  it.effect("screenshots and attached files are served under /resources; unknown ones are 404", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* emulator.registerScenario("reporter", [
        Scenario.observe("Opened the dashboard", "https://example.com/dash"),
        Scenario.attach("report.csv", "city,temp\nParis,21\n", { mediaType: "text/csv" }),
        Scenario.answer("attached")
      ])
      const { body } = yield* createSession({
        agent: { name: "reporter", description: "d", environments: [] },
        messages: [{
          type: "user_message",
          message: "use this list",
          files: [{ type: "base64", source: btoa("a,b\n"), name: "input.csv", media_type: "text/csv" }]
        }]
      })
      yield* TestClock.adjust("1 second")
      const events = yield* eventsOf(body.id)
      const attachments = events.filter((e) => e.type === "AttachmentEvent").map((e) => e.data)
      assert.deepStrictEqual(attachments.map((a) => [a.origin, a.name, a.size_bytes]), [
        ["user", "input.csv", 4],
        ["agent", "report.csv", 19]
      ])
      const runner = events.find((e) => e.type === "RunnerSessionEvent")
      assert.isString(runner?.data.runner_session_id)
      const screenshot = events.find((e) => e.data?.kind === "observation_event").data.image
      assert.strictEqual(screenshot.type, "url")
      const path = (url: string) => new URL(url).pathname
      const png = yield* call("GET", path(screenshot.source))
      assert.strictEqual(png.status, 200)
      assert.strictEqual(png.headers["content-type"], "image/png")
      const report = yield* call("GET", path(attachments[1].url))
      assert.strictEqual(report.status, 200)
      assert.strictEqual(report.headers["content-type"], "text/csv")
      assert.strictEqual(report.text, "city,temp\nParis,21\n")
      const input = yield* call("GET", path(attachments[0].url))
      assert.strictEqual(input.text, "a,b\n")
      const missing = yield* call("GET", `/api/v2/sessions/${body.id}/resources/screenshots/nope.png`)
      assert.strictEqual(missing.status, 404)
      assert.deepStrictEqual(yield* noViolations, [])
    }).pipe(Effect.provide(testLayer())))
})

describe("credit", () => {
  it.effect("a session that runs out of credit fails with insufficient_credit (script or token budget)", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* emulator.registerScenario("broke", [Scenario.think("tick"), Scenario.runOutOfCredit])
      const a = (yield* createSession({ agent: { name: "broke", description: "d", environments: [] } })).body.id
      yield* TestClock.adjust("1 second")
      assert.deepStrictEqual(
        [(yield* statusOf(a)).status, (yield* statusOf(a)).error_code],
        ["failed", "insufficient_credit"]
      )
      // A budget of two steps: after the first session's one, the default script's second step finds none left.
      const b = (yield* createSession({ agent: AGENT, messages: "x" })).body.id
      yield* TestClock.adjust("2 seconds")
      const s = yield* statusOf(b)
      assert.strictEqual(s.status, "failed")
      assert.strictEqual(s.error_code, "insufficient_credit")
      const tokens = yield* call("GET", "/api/v2/quota/tokens")
      assert.strictEqual(tokens.body.limit, 2 * 1320)
      assert.strictEqual(tokens.body.remaining, 0)
      assert.deepStrictEqual(yield* noViolations, [])
    }).pipe(Effect.provide(testLayer({ credit: 2 * 1320 }))))
})

describe("catalog", () => {
  it.effect("has the hosted API's built-in agents and an environment of every kind, Android and Workstation too", () =>
    Effect.gen(function*() {
      const agents = (yield* call("GET", "/api/v2/agents?size=100")).body.items.map((a: any) => a.name)
      assert.includeMembers(agents, ["h/web-surfer-holo3-1-35b", "h/web-environment"])
      const envs = (yield* call("GET", "/api/v2/environments?size=100")).body.items
      assert.deepStrictEqual(envs.map((e: any) => e.kind).sort(), ["android", "desktop", "web", "workstation"])
      const android = yield* call("POST", "/api/v2/environments", { body: { id: "phone", kind: "android" } })
      assert.strictEqual(android.status, 201)
      const ws = yield* createSession({
        agent: { name: "ws", description: "d", environments: [{ id: "w", kind: "workstation", host: "cloud" }] },
        messages: "x"
      })
      assert.strictEqual(ws.status, 201)
      assert.deepStrictEqual(yield* noViolations, [])
    }).pipe(Effect.provide(testLayer())))
})

describe("pace", () => {
  it.effect("by default a step every 1 to 3 s with seeded jitter: a session is still running after a second", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      assert.strictEqual(emulator.pace, "a step every 1 to 3 s (seeded jitter)")
      const { body } = yield* createSession({ agent: AGENT, messages: "x" })
      yield* TestClock.adjust("1 second")
      assert.include(["pending", "running"], (yield* statusOf(body.id)).status)
      yield* TestClock.adjust("4 seconds")
      assert.strictEqual((yield* statusOf(body.id)).status, "running") // pause/resume/messages have time to land
      yield* TestClock.adjust("30 seconds")
      assert.strictEqual((yield* statusOf(body.id)).status, "idle")
      const times = Array.from(new Set((yield* eventsOf(body.id)).map((e) => Date.parse(e.timestamp))))
      const gaps = times.slice(1).map((t, i) => t - times[i])
      for (const gap of gaps) assert.isTrue(gap >= 1000 && gap <= 3000, String(gaps))
      assert.isAbove(new Set(gaps).size, 1, "jittered")
    }).pipe(Effect.provide(Emulator.layerTest({ validateResponses: true }))))

  it.effect("the same seed gives the same pace", () =>
    Effect.gen(function*() {
      const run = Effect.gen(function*() {
        const { body } = yield* createSession({ agent: AGENT, messages: "x" })
        yield* TestClock.adjust("40 seconds")
        const times = (yield* eventsOf(body.id)).map((e) => Date.parse(e.timestamp))
        return times.map((t) => t - times[0])
      })
      const a = yield* Effect.provide(run, Emulator.layerTest({ seed: 7 }))
      const b = yield* Effect.provide(run, Emulator.layerTest({ seed: 7 }))
      assert.deepStrictEqual(a, b)
    }))
})
