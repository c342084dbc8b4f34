import { HttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { type Duration, Effect, Fiber, Option, Schema, TestClock } from "effect"
import { HaiAgents, Session, Tool, Toolkit } from "../src/index.js"
import { emulated } from "./support/emulated.js"

/** Runs `effect` in a fiber while moving the TestClock forward in steps until it ends. */
const withClock = <A, E, R>(effect: Effect.Effect<A, E, R>, step: Duration.DurationInput = "1 second", max = 600) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    for (let i = 0; i < max; i++) {
      const done = yield* Fiber.poll(fiber)
      if (Option.isSome(done)) break
      yield* TestClock.adjust(step)
    }
    return yield* Fiber.join(fiber)
  })

const register = (name: string, scenario: Scenario.Scenario) =>
  Effect.flatMap(Emulator.Emulator, (e) => e.registerScenario(name, scenario))

const emulatorEvents = (id: string) =>
  Effect.map(Effect.flatMap(Emulator.Emulator, (e) => e.session(id)), (s) => Option.getOrThrow(s).events)

/** What the tests read of an agent event's data (the emulator's snapshot leaves it `unknown`). */
interface AgentData {
  readonly kind?: string
  readonly result?: unknown
  readonly error: string
  readonly origin?: string
  readonly tool_req?: { readonly tool_name: string }
}

const agentData = (events: ReadonlyArray<{ readonly type: string; readonly data?: unknown }>, kind: string) =>
  events
    .filter((e) => e.type === "AgentEvent" && (e.data as AgentData).kind === kind)
    .map((e) => e.data as AgentData)

const toolErrors = (events: ReadonlyArray<{ readonly type: string; readonly data?: unknown }>) =>
  agentData(events, "error_event")

describe("tool handlers that throw (14.1)", () => {
  it.effect("a sync throw, a rejected promise, a failure and a defect reach the agent; the run goes on", () =>
    Effect.gen(function*() {
      const throwing = Tool.make("throwing", {
        description: "throws before returning an Effect",
        parameters: Schema.Struct({}),
        handler: (): Effect.Effect<string> => {
          throw new TypeError("cannot read the thing")
        }
      })
      const rejecting = Tool.make("rejecting", {
        description: "a promise that rejects",
        parameters: Schema.Struct({}),
        handler: () => Effect.promise(() => Promise.reject(new Error("upstream said no")))
      })
      const failing = Tool.make("failing", {
        description: "fails",
        parameters: Schema.Struct({}),
        handler: () => Effect.fail("plain failure")
      })
      yield* register("throwy", [
        Scenario.callTools([
          { name: "throwing", args: {} },
          { name: "rejecting", args: {} },
          { name: "failing", args: {} }
        ]),
        Scenario.think("1 second"),
        Scenario.answer("still here")
      ])
      const result = yield* withClock(
        Session.run({ agent: "throwy", messages: "go", tools: Toolkit.make(throwing, rejecting, failing) })
      )
      assert.strictEqual(result.status, "idle")
      assert.strictEqual(result.answer, "still here")
      const errors = toolErrors(yield* emulatorEvents(result.id))
      assert.lengthOf(errors, 3)
      const byTool = new Map(errors.map((e) => [e.tool_req?.tool_name, e]))
      for (const e of errors) assert.strictEqual(e.origin, "client")
      assert.include(byTool.get("throwing")!.error, "throwing")
      assert.include(byTool.get("throwing")!.error, "TypeError: cannot read the thing")
      assert.include(byTool.get("rejecting")!.error, "upstream said no")
      assert.include(byTool.get("failing")!.error, "plain failure")
    }).pipe(Effect.provide(emulated())))

  it.effect("a handler that is a plain async function (a JavaScript caller) is awaited", () =>
    Effect.gen(function*() {
      const asyncTool = Tool.make("async_tool", {
        description: "returns a Promise",
        parameters: Schema.Struct({}),
        // A JavaScript caller's handler: not an Effect; the cast stands for the missing type check.
        handler: (async () => "from a promise") as unknown as () => Effect.Effect<string>
      })
      const rejectingAsync = Tool.make("rejecting_async", {
        description: "returns a rejected Promise",
        parameters: Schema.Struct({}),
        handler: (async () => {
          throw new Error("async no")
        }) as unknown as () => Effect.Effect<string>
      })
      yield* register("asyncy", [
        Scenario.callTools([{ name: "async_tool", args: {} }, { name: "rejecting_async", args: {} }]),
        Scenario.answer("ok")
      ])
      const result = yield* withClock(
        Session.run({ agent: "asyncy", messages: "go", tools: Toolkit.make(asyncTool, rejectingAsync) })
      )
      const events = yield* emulatorEvents(result.id)
      assert.deepStrictEqual(agentData(events, "tool_result").map((data) => data.result), ["from a promise"])
      const errors = toolErrors(events)
      assert.lengthOf(errors, 1)
      assert.include(errors[0].error, "rejecting_async")
      assert.include(errors[0].error, "async no")
    }).pipe(Effect.provide(emulated())))

  it.effect("a watcher that stops says why: WatcherStopped with its cause, not SessionFailed", () =>
    Effect.gen(function*() {
      yield* register("evented", [Scenario.think("1 second"), Scenario.answer("ok")])
      const error = yield* withClock(Effect.flip(Session.run({
        agent: "evented",
        messages: "go",
        onEvent: () => Effect.die(new RangeError("my callback broke"))
      })))
      assert.strictEqual(error._tag, "WatcherStopped")
      assert.include(error.message, "RangeError: my callback broke")
      assert.notInclude(error.message, "ended")
    }).pipe(Effect.provide(emulated())))
})

/** The JSON bodies posted to `route` (a path suffix), captured beneath the SDK. */
const capturing = (suffix: string) => {
  const bodies: Array<unknown> = []
  const layer = emulated({
    client: {
      transformClient: HttpClient.tapRequest((request) =>
        Effect.sync(() => {
          if (request.url.endsWith(suffix) && request.body._tag === "Uint8Array") {
            bodies.push(JSON.parse(new TextDecoder().decode(request.body.body)))
          }
        })
      )
    }
  })
  return { bodies, layer }
}

const requests = (route: string) =>
  Effect.map(Effect.flatMap(Emulator.Emulator, (e) => e.stats), (s) => s.requestsByRoute[route] ?? 0)

const echo = (name: string, parameters: Schema.Schema.AnyNoContext = Schema.Struct({})) =>
  Tool.make(name, { description: "echo", parameters, handler: () => Effect.succeed("ok") })

describe("wire details (14.5)", () => {
  const one = capturing("/tool_results")
  it.effect("one tool result is posted bare, two or more as a batch", () =>
    Effect.gen(function*() {
      yield* register("single", [
        Scenario.callTool("first", {}),
        Scenario.think("1 second"),
        Scenario.callTools([{ name: "first", args: {} }, { name: "second", args: {} }]),
        Scenario.think("1 second"),
        Scenario.answer("ok")
      ])
      const result = yield* withClock(
        Session.run({ agent: "single", messages: "go", tools: Toolkit.make(echo("first"), echo("second")) })
      )
      assert.strictEqual(result.status, "idle")
      assert.lengthOf(one.bodies, 2)
      const [bare, batch] = one.bodies as [any, any]
      assert.strictEqual(bare.kind, "tool_result")
      assert.strictEqual(bare.tool_req.tool_name, "first")
      assert.isUndefined(bare.type)
      assert.strictEqual(batch.type, "batch")
      assert.lengthOf(batch.results, 2)
    }).pipe(Effect.provide(one.layer)))

  const bad: ReadonlyArray<readonly [string, Tool.Any, string]> = [
    ["a name with a space", echo("get weather"), "get weather"],
    ["a name starting with a digit", echo("1st"), "1st"],
    ["a name longer than 64", echo("x".repeat(65)), "x".repeat(65)],
    ["an empty description", { ...echo("blank"), description: "  " }, "blank"],
    ["an input that is not an object", echo("scalar", Schema.String), "scalar"]
  ]
  for (const [what, tool, name] of bad) {
    it.effect(`a tool definition with ${what} is refused before sending, naming the tool`, () =>
      Effect.gen(function*() {
        const error = yield* withClock(Effect.flip(
          Session.run({ agent: "h/web-surfer-holo3-1-35b", messages: "go", tools: Toolkit.make(tool) })
        ))
        assert.strictEqual(error._tag, "InvalidRequest")
        assert.include(error.message, name)
        assert.strictEqual(yield* requests("POST /api/v2/sessions"), 0)
      }).pipe(Effect.provide(emulated())))
  }

  it.effect("raw definitions in overrides[agent.tools] are checked too, and names must be unique", () =>
    Effect.gen(function*() {
      const raw = yield* withClock(Effect.flip(Session.run({
        agent: "h/web-surfer-holo3-1-35b",
        messages: "go",
        overrides: { "agent.tools": [{ name: "ok_name", description: "", input_schema: { type: "object" } }] }
      })))
      assert.strictEqual(raw._tag, "InvalidRequest")
      assert.include(raw.message, "ok_name")
      const twice = yield* withClock(Effect.flip(Session.run({
        agent: "h/web-surfer-holo3-1-35b",
        messages: "go",
        tools: Toolkit.make(echo("lookup")),
        overrides: { "agent.tools": [{ name: "lookup", description: "again", input_schema: { type: "object" } }] }
      })))
      assert.strictEqual(twice._tag, "InvalidRequest")
      assert.include(twice.message, "lookup")
      assert.strictEqual(yield* requests("POST /api/v2/sessions"), 0)
    }).pipe(Effect.provide(emulated())))

  it.effect("an inline agent with overrides[agent.answer_format] is a typed conflict before sending", () =>
    Effect.gen(function*() {
      const error = yield* withClock(Effect.flip(Session.run({
        agent: { name: "mine", description: "d", environments: [] },
        messages: "go",
        overrides: { "agent.answer_format": { type: "object" } }
      })))
      assert.strictEqual(error._tag, "InvalidRequest")
      assert.include(error.message, "agent.answer_format")
      assert.strictEqual(yield* requests("POST /api/v2/sessions"), 0)
    }).pipe(Effect.provide(emulated())))
})

const Jobs = Schema.Struct({ jobs: Schema.Array(Schema.String) })

describe("an idle settle without an answer (14.3)", () => {
  it.effect("is NoAnswer, not AnswerValidationError, and can be caught by tag", () =>
    Effect.gen(function*() {
      yield* register("silent", [Scenario.think("1 second"), Scenario.idle])
      const error = yield* withClock(Effect.flip(Session.run({ agent: "silent", messages: "go", answer: Jobs })))
      assert.strictEqual(error._tag, "NoAnswer")
      assert.notInclude(error.message, "Raw answer")
      const recovered = yield* withClock(
        Session.run({ agent: "silent", messages: "go", answer: Jobs }).pipe(
          Effect.map((result) => result.answer.jobs),
          Effect.catchTag("NoAnswer", (e) => Effect.succeed(e.status))
        )
      )
      assert.strictEqual(recovered, "idle")
    }).pipe(Effect.provide(emulated())))
})

describe("joining a session that waits for tool results (14.2)", () => {
  it.effect("attach from an index past the announcement reads the feed from the start to find the calls", () =>
    Effect.gen(function*() {
      const ran: Array<string> = []
      const lookup = Tool.make("lookup", {
        description: "look up",
        parameters: Schema.Struct({ q: Schema.String }),
        handler: ({ q }) => Effect.sync(() => ran.push(q)).pipe(Effect.as(`found ${q}`))
      })
      yield* register("waiting", [
        Scenario.think("1 second"),
        Scenario.callTool("lookup", { q: "order 7" }),
        Scenario.think("1 second"),
        Scenario.answer("done")
      ])
      const hai = yield* HaiAgents.HaiAgents
      const session = yield* hai.sessions.create({ agent: "waiting", messages: "go" })
      for (let i = 0; i < 30; i++) {
        if ((yield* hai.sessions.status(session.id)).status === "awaiting_tool_results") break
        yield* TestClock.adjust("500 millis")
      }
      assert.strictEqual((yield* hai.sessions.status(session.id)).status, "awaiting_tool_results")
      const changes = Option.getOrThrow(
        yield* hai.sessions.changes(session.id, { from_index: 0, include_events: true })
      )
      const past = changes.new_events?.length ?? 0
      const result = yield* withClock(Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.attach(session.id, { fromIndex: past, tools: Toolkit.make(lookup) })
        return yield* handle.awaitSettled({ timeout: "2 minutes" })
      })))
      assert.deepStrictEqual(ran, ["order 7"])
      assert.strictEqual(result.answer, "done")
      assert.isTrue(result.events.every((e) => e.index >= past), "events before fromIndex are not delivered")
    }).pipe(Effect.provide(emulated())))
})

describe("waiting options (14.4)", () => {
  it.effect("one wait overrides the handle's answer Schema, or switches it off", () =>
    Effect.gen(function*() {
      yield* register(
        "twice",
        (ctx) => [Scenario.answer(ctx.turn === 0 ? "{\"jobs\":[\"a\"]}" : "{\"jobs\":[\"b\",\"c\"]}")]
      )
      const [first, second] = yield* withClock(Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.start({
          agent: "twice",
          messages: "one",
          answer: Jobs,
          idleTimeout: "10 minutes"
        })
        const first = yield* handle.awaitSettled({ answer: Schema.Struct({ jobs: Schema.Tuple(Schema.String) }) })
        yield* handle.send("two")
        const second = yield* handle.awaitSettled({ answer: false })
        return [first, second] as const
      })))
      assert.deepStrictEqual(first.answer.jobs, ["a"])
      const raw: unknown = second.answer
      assert.strictEqual(raw, "{\"jobs\":[\"b\",\"c\"]}", "left raw: not decoded")
    }).pipe(Effect.provide(emulated())))

  it.effect("maxRounds caps the rounds of one wait with WaitRoundsExceeded; the session goes on", () =>
    Effect.gen(function*() {
      yield* register("long", [Scenario.think("5 minutes"), Scenario.answer("late")])
      const error = yield* withClock(Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.start({ agent: "long", messages: "go" })
        return yield* Effect.flip(handle.awaitSettled({ maxRounds: 2 }))
      })))
      assert.strictEqual(error._tag, "WaitRoundsExceeded")
      assert.include(error.message, "2 rounds")
    }).pipe(Effect.provide(emulated())))

  it.effect("awaitStatus waits on /status alone, reads no events, and decodes the answer once", () =>
    Effect.gen(function*() {
      yield* register("statusy", [Scenario.think("10 seconds"), Scenario.answer("{\"jobs\":[\"x\"]}")])
      const hai = yield* HaiAgents.HaiAgents
      const session = yield* hai.sessions.create({ agent: "statusy", messages: "go" })
      const before = yield* requests("GET /api/v2/sessions/{id}/changes")
      const result = yield* withClock(Session.awaitStatus(session.id, { answer: Jobs, interval: "1 second" }))
      assert.deepStrictEqual(result.answer.jobs, ["x"])
      assert.include(["idle", "completed"], result.status)
      assert.isAtLeast(yield* requests("GET /api/v2/sessions/{id}/status"), 3)
      assert.strictEqual((yield* requests("GET /api/v2/sessions/{id}/changes")) - before, 1, "one read, for the answer")
      const capped = yield* Effect.flip(Session.awaitStatus(
        (yield* hai.sessions.create({ agent: "statusy", messages: "go" })).id,
        { maxRounds: 1 }
      ))
      assert.strictEqual(capped._tag, "WaitRoundsExceeded")
    }).pipe(Effect.provide(emulated())))
})

describe("files on user messages (14.8)", () => {
  const sent = capturing("/messages")
  it.effect("start and send carry files from bytes (base64) and from a URL; the emulator takes them", () =>
    Effect.gen(function*() {
      yield* register("reader", (ctx) => [Scenario.answer(`turn ${ctx.turn}`)])
      const bytes = new TextEncoder().encode("a,b\n1,2\n")
      const csv = Session.fileFromBytes(bytes, { name: "data.csv", mediaType: "text/csv" })
      const pdf = Session.fileFromUrl("https://example.com/reports/q3%20final.pdf?x=1", {
        mediaType: "application/pdf"
      })
      assert.deepStrictEqual(csv, {
        type: "base64",
        source: "YSxiCjEsMgo=",
        name: "data.csv",
        media_type: "text/csv",
        size_bytes: 8
      })
      assert.deepStrictEqual(pdf, {
        type: "url",
        source: "https://example.com/reports/q3%20final.pdf?x=1",
        name: "q3 final.pdf",
        media_type: "application/pdf"
      })
      assert.strictEqual(Session.fileFromUrl("not a url").name, "not a url")
      const second = yield* withClock(Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.start({
          agent: "reader",
          messages: { message: "read this", files: [csv] },
          idleTimeout: "10 minutes"
        })
        yield* handle.awaitSettled()
        yield* handle.send({ message: "and this", files: [pdf] })
        return { id: handle.id, result: yield* handle.awaitSettled() }
      })))
      assert.strictEqual(second.result.answer, "turn 1")
      const session = Option.getOrThrow(yield* (yield* Emulator.Emulator).session(second.id))
      const created = session.request.messages as
        | { readonly files?: unknown }
        | ReadonlyArray<{ readonly files?: unknown }>
      assert.deepStrictEqual((Array.isArray(created) ? created[0] : created).files, [csv])
      assert.deepStrictEqual((sent.bodies[0] as { readonly files?: unknown }).files, [pdf])
    }).pipe(Effect.provide(sent.layer)))
})
