import { KeyValueStore } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Duration, Effect, Exit, Fiber, Layer, Option, Ref, Schema, Stream, TestClock } from "effect"
import { ChangeFeed, HaiAgents, HaiError, Session, SessionStore, Tool, Toolkit } from "../src/index.js"
import { emulated } from "./support/emulated.js"
import { recording } from "./support/tracer.js"

const agent = "h/web-surfer-holo3-1-35b"

const Jobs = Schema.Struct({
  jobs: Schema.Array(Schema.Struct({ title: Schema.String, company: Schema.String }))
})

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

const requests = (route: string) =>
  Effect.map(Effect.flatMap(Emulator.Emulator, (e) => e.stats), (s) => s.requestsByRoute[route] ?? 0)

const unsettled = Effect.map(Effect.flatMap(Emulator.Emulator, (e) => e.stats), (s) => s.sessionsUnsettled)

describe("Session.run", () => {
  it.effect("settles the default scenario with a typed answer and contiguous indices", () =>
    Effect.gen(function*() {
      const result = yield* withClock(Session.run({ agent, messages: "Find 3 ML roles in Paris", answer: Jobs }))
      assert.strictEqual(result.status, "idle")
      assert.isTrue(Array.isArray(result.answer.jobs))
      assert.isTrue(result.events.length > 3)
      result.events.forEach((e, i) => assert.strictEqual(e.index, i))
      assert.strictEqual(result.nextIndex, result.events.length)
      assert.isTrue(Option.isSome(result.changes))
    }).pipe(Effect.provide(emulated())))

  it.effect("US sessions settle completed", () =>
    Effect.gen(function*() {
      const result = yield* withClock(Session.run({ agent, messages: "hi" }))
      assert.strictEqual(result.status, "completed")
    }).pipe(Effect.provide(emulated({ region: "us" }))))

  it.effect("asks /status only after a 204: far fewer than one per /changes", () =>
    Effect.gen(function*() {
      yield* register("slow", [
        Scenario.think("3 seconds"),
        Scenario.think("30 seconds"),
        Scenario.think("3 seconds"),
        Scenario.answer("done")
      ])
      yield* withClock(Session.run({ agent: "slow", messages: "go" }))
      const changes = yield* requests("GET /api/v2/sessions/{id}/changes")
      const status = yield* requests("GET /api/v2/sessions/{id}/status")
      assert.isAtLeast(changes, 3)
      // one 204 (the 30 s think outlasts a 20 s long-poll), so one /status
      assert.isAtMost(status, 1)
    }).pipe(Effect.provide(emulated())))

  it.effect("a JSON-string answer is parsed before decoding", () =>
    Effect.gen(function*() {
      yield* register("stringy", [Scenario.answer(JSON.stringify({ jobs: [{ title: "MLE", company: "H" }] }))])
      const result = yield* withClock(Session.run({ agent: "stringy", messages: "go", answer: Jobs }))
      assert.deepStrictEqual(result.answer, { jobs: [{ title: "MLE", company: "H" }] })
    }).pipe(Effect.provide(emulated())))

  it.effect("a mismatching answer fails with AnswerValidationError carrying the raw value", () =>
    Effect.gen(function*() {
      // The service checks answers against the JSON Schema; a Schema refinement it cannot express
      // is checked here only.
      const Shouted = Schema.Struct({
        word: Schema.String.pipe(Schema.filter((s) => s === s.toUpperCase(), { message: () => "not upper case" }))
      })
      yield* register("wrong", [Scenario.answer({ word: "quiet" })])
      const error = yield* withClock(Effect.flip(Session.run({ agent: "wrong", messages: "go", answer: Shouted })))
      assert.strictEqual(error._tag, "AnswerValidationError")
      if (error._tag === "AnswerValidationError") {
        assert.deepStrictEqual(error.raw, { word: "quiet" })
        assert.include(error.issues, "not upper case")
      }
    }).pipe(Effect.provide(emulated())))

  it.effect("the answer Schema goes to overrides as JSON Schema titled Answer", () =>
    Effect.gen(function*() {
      const result = yield* withClock(Session.run({ agent, messages: "go", answer: Jobs }))
      const emulator = yield* Emulator.Emulator
      const session = Option.getOrThrow(yield* emulator.session(result.id))
      const overrides = session.request.overrides as Record<string, any>
      assert.strictEqual(overrides["agent.answer_format"].title, "Answer")
      assert.strictEqual(overrides["agent.answer_format"].type, "object")
    }).pipe(Effect.provide(emulated())))

  it.effect("an answer Schema with an inline agent that has answer_format is a typed conflict", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Session.run({
        agent: { name: "mine", description: "d", environments: [], answer_format: { type: "object" } },
        messages: "go",
        answer: Jobs
      }))
      assert.strictEqual(error._tag, "InvalidRequest")
      assert.strictEqual(yield* requests("POST /api/v2/sessions"), 0)
    }).pipe(Effect.provide(emulated())))

  it.effect("a failed session is a SessionFailed with its error code, not a result", () =>
    Effect.gen(function*() {
      yield* register("broken", [Scenario.think("1 second"), Scenario.fail("environment_error", "browser crashed")])
      const error = yield* withClock(Effect.flip(Session.run({ agent: "broken", messages: "go" })))
      assert.strictEqual(error._tag, "SessionFailed")
      if (error._tag === "SessionFailed") {
        assert.strictEqual(error.status, "failed")
        assert.strictEqual(error.errorCode, "environment_error")
      }
    }).pipe(Effect.provide(emulated())))

  it.effect("max_time_s ends timed_out as SessionFailed", () =>
    Effect.gen(function*() {
      yield* register("endless", [Scenario.hang])
      const error = yield* withClock(
        Effect.flip(Session.run({ agent: "endless", messages: "go", maxTime: "30 seconds" }))
      )
      assert.strictEqual(error._tag, "SessionFailed")
      if (error._tag === "SessionFailed") assert.strictEqual(error.status, "timed_out")
    }).pipe(Effect.provide(emulated())))
})

describe("deadlines", () => {
  it.effect("a wait timeout fails with WaitTimeout naming the last status, and cancels the session", () =>
    Effect.gen(function*() {
      yield* register("endless", [Scenario.hang])
      const error = yield* withClock(
        Effect.flip(Session.run({ agent: "endless", messages: "go", timeout: "45 seconds" }))
      )
      assert.strictEqual(error._tag, "WaitTimeout")
      if (error._tag === "WaitTimeout") assert.strictEqual(error.lastStatus, "running")
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual(yield* unsettled, 0)
      assert.strictEqual(yield* requests("DELETE /api/v2/sessions/{id}"), 1)
    }).pipe(Effect.provide(emulated())))

  it.effect("a soft deadline forces an answer", () =>
    Effect.gen(function*() {
      yield* register("dawdler", [Scenario.hang])
      const result = yield* withClock(
        Session.run({ agent: "dawdler", messages: "go", softDeadline: "40 seconds", timeout: "5 minutes" })
      )
      assert.include(["idle", "completed"], result.status)
      assert.strictEqual(yield* requests("POST /api/v2/sessions/{id}/force_answer"), 1)
    }).pipe(Effect.provide(emulated())))

  it.effect("a hard deadline cancels: SessionFailed interrupted, reason given", () =>
    Effect.gen(function*() {
      yield* register("endless", [Scenario.hang])
      const error = yield* withClock(
        Effect.flip(Session.run({ agent: "endless", messages: "go", hardDeadline: "30 seconds" }))
      )
      assert.strictEqual(error._tag, "SessionFailed")
      if (error._tag === "SessionFailed") {
        assert.strictEqual(error.status, "interrupted")
        assert.strictEqual(error.reason, "hard deadline reached")
      }
    }).pipe(Effect.provide(emulated())))
})

describe("cancellation", () => {
  it.effect("interrupting a run at any point leaves no session running", () =>
    Effect.gen(function*() {
      yield* register("endless", [Scenario.think("2 seconds"), Scenario.hang])
      for (const after of [0, 1, 3, 25]) {
        const fiber = yield* Effect.fork(Session.run({ agent: "endless", messages: "go" }))
        yield* TestClock.adjust(Duration.seconds(after))
        yield* Fiber.interrupt(fiber)
        yield* TestClock.adjust("10 seconds")
      }
      assert.strictEqual(yield* unsettled, 0)
    }).pipe(Effect.provide(emulated())))

  it.effect("closing the scope of a settled session does not cancel it", () =>
    Effect.gen(function*() {
      yield* withClock(Session.run({ agent, messages: "go" }))
      assert.strictEqual(yield* requests("DELETE /api/v2/sessions/{id}"), 0)
    }).pipe(Effect.provide(emulated())))
})

const Weather = Schema.Struct({ celsius: Schema.Number })

describe("tools", () => {
  it.effect("each call runs once with decoded arguments; results go back in one batch", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make<Array<string>>([])
      const weather = Tool.make("get_weather", {
        description: "weather",
        parameters: Schema.Struct({ city: Schema.String }),
        success: Weather,
        handler: ({ city }) => Effect.as(Ref.update(calls, (c) => [...c, city]), { celsius: 18 })
      })
      yield* register("forecaster", [
        Scenario.callTools([{ name: "get_weather", args: { city: "Paris" } }, {
          name: "get_weather",
          args: { city: "Lyon" }
        }]),
        Scenario.think("1 second"),
        Scenario.answer("ok")
      ])
      const result = yield* withClock(
        Session.run({ agent: "forecaster", messages: "go", tools: Toolkit.make(weather) })
      )
      assert.strictEqual(result.status, "idle")
      assert.deepStrictEqual((yield* Ref.get(calls)).sort(), ["Lyon", "Paris"])
      assert.strictEqual(yield* requests("POST /api/v2/sessions/{id}/tool_results"), 1)
      const results = result.events.filter((e) =>
        e.event.type === "AgentEvent" && (e.event as any).data.kind === "tool_result"
      )
      assert.strictEqual(results.length, 2)
    }).pipe(Effect.provide(emulated())))

  it.effect("tracing: tool handlers and onEvent keep the caller's spans; the watcher's polls have none", () =>
    Effect.gen(function*() {
      const { ancestors, spans, tracer } = recording()
      const weather = Tool.make("get_weather", {
        description: "weather",
        parameters: Schema.Struct({ city: Schema.String }),
        success: Weather,
        handler: () => Effect.withSpan(Effect.succeed({ celsius: 18 }), "user.tool")
      })
      yield* register("traced", [
        Scenario.callTools([{ name: "get_weather", args: { city: "Paris" } }]),
        Scenario.answer("ok")
      ])
      yield* withClock(
        Session.run({
          agent: "traced",
          messages: "go",
          tools: Toolkit.make(weather),
          onEvent: () => Effect.withSpan(Effect.void, "user.onEvent")
        }).pipe(Effect.withTracer(tracer))
      )
      const named = (name: string) => spans.filter((s) => s.name === name)
      assert.lengthOf(named("Session.run"), 1)
      assert.isAbove(named("user.onEvent").length, 3)
      for (const s of named("user.onEvent")) assert.include(ancestors(s.span), "Session.run")
      assert.lengthOf(named("user.tool"), 1)
      assert.include(ancestors(named("user.tool")[0].span), "Session.runTools")
      assert.include(ancestors(named("Session.runTools")[0].span), "Session.run")
      // The create and the tool results are traced requests; the long-polls are not.
      assert.lengthOf(named("HaiAgents.sessions.create"), 1)
      assert.lengthOf(named("HaiAgents.sessions.sendToolResults"), 1)
      const http = spans.filter((s) => s.attributes.has("http.request.method"))
      assert.lengthOf(http, 2, http.map((s) => s.attributes.get("url.path")).join(", "))
    }).pipe(Effect.provide(emulated())))

  it.effect("bad arguments, failures, defects and unknown tools go back as error_event", () =>
    Effect.gen(function*() {
      const failing = Tool.make("failing", {
        description: "fails",
        parameters: Schema.Struct({ n: Schema.Number }),
        handler: () => Effect.fail(new HaiError.InvalidRequest({ operation: "x", path: "n", issue: "is odd" }))
      })
      const dying = Tool.make("dying", {
        description: "dies",
        parameters: Schema.Struct({}),
        handler: () => Effect.die(new RangeError("boom"))
      })
      yield* register("chaos", [
        Scenario.callTools([
          { name: "failing", args: { n: "not a number" } },
          { name: "failing", args: { n: 1 } },
          { name: "dying", args: {} },
          { name: "nope", args: {} }
        ]),
        Scenario.answer("ok")
      ])
      const result = yield* withClock(
        Session.run({ agent: "chaos", messages: "go", tools: Toolkit.make(failing, dying) })
      )
      const errors = result.events
        .filter((e) => e.event.type === "AgentEvent" && (e.event as any).data.kind === "error_event")
        .map((e) => String((e.event as any).data.error))
      const joined = errors.join("\n")
      assert.include(joined, "InvalidArguments")
      assert.include(joined, "InvalidRequest: x was not sent")
      assert.include(joined, "RangeError: boom")
      assert.include(joined, "UnknownTool")
    }).pipe(Effect.provide(emulated())))

  it.effect("definitions go to overrides[agent.tools] with JSON Schema from parameters", () =>
    Effect.gen(function*() {
      const t = Tool.make("lookup", {
        description: "look up",
        parameters: Schema.Struct({ orderId: Schema.String }),
        handler: () => Effect.succeed("shipped")
      })
      const result = yield* withClock(Session.run({ agent, messages: "go", tools: Toolkit.make(t) }))
      const emulator = yield* Emulator.Emulator
      const session = Option.getOrThrow(yield* emulator.session(result.id))
      const tools = (session.request.overrides as any)["agent.tools"]
      assert.strictEqual(tools[0].name, "lookup")
      assert.deepStrictEqual(tools[0].input_schema.required, ["orderId"])
      assert.isUndefined(tools[0].input_schema.$schema)
    }).pipe(Effect.provide(emulated())))

  it.effect("a watcher resumed after a crash repeats no event and runs no call twice", () =>
    Effect.gen(function*() {
      const runs = yield* Ref.make(0)
      const slow = Tool.make("slow", {
        description: "slow",
        parameters: Schema.Struct({}),
        handler: () => Effect.zipRight(Ref.update(runs, (n) => n + 1), Effect.sleep("5 seconds"))
      })
      const fast = Tool.make("fast", {
        description: "fast",
        parameters: Schema.Struct({}),
        handler: () => Effect.zipRight(Ref.update(runs, (n) => n + 1), Effect.succeed("ok"))
      })
      yield* register("tooling", [
        Scenario.think("1 second"),
        Scenario.callTool("fast", {}),
        Scenario.think("1 second"),
        Scenario.callTool("slow", {}),
        Scenario.think("1 second"),
        Scenario.answer("done")
      ])
      const hai = yield* HaiAgents.HaiAgents
      const session = yield* hai.sessions.create({ agent: "tooling", messages: "go" })
      const toolkit = Toolkit.make(slow, fast)
      const seen: Array<number> = []
      // first watcher: dies while `slow` runs
      const first = yield* Effect.fork(Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.attach(session.id, { tools: toolkit })
        yield* handle.events.pipe(Stream.runForEach((e) => Effect.sync(() => seen.push(e.index))))
      })))
      for (let i = 0; i < 40 && (yield* Ref.get(runs)) < 2; i++) yield* TestClock.adjust("500 millis")
      assert.strictEqual(yield* Ref.get(runs), 2)
      yield* Fiber.interrupt(first)
      // second watcher: resumes from the saved checkpoint
      const result = yield* withClock(Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.attach(session.id, { tools: toolkit })
        yield* Effect.forkScoped(handle.events.pipe(Stream.runForEach((e) => Effect.sync(() => seen.push(e.index)))))
        return yield* handle.awaitSettled()
      })))
      assert.include(["idle", "completed"], result.status)
      assert.strictEqual(yield* Ref.get(runs), 2, "no tool call ran twice")
      assert.deepStrictEqual(seen, [...new Set(seen)], "no event index seen twice")
      const errors = (Option.getOrThrow(yield* (yield* Emulator.Emulator).session(session.id))).events
        .filter((e) => e.type === "AgentEvent" && (e.data as any).kind === "error_event")
      assert.strictEqual(errors.length, 1, "the interrupted call is reported as unknown, not re-run")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(emulated(), SessionStore.layerKeyValueStore.pipe(Layer.provide(KeyValueStore.layerMemory)))
      )
    ))
})

describe("multi-turn", () => {
  it.effect("send wakes an idle session; awaitSettled returns each turn's answer", () =>
    Effect.gen(function*() {
      yield* register("chatty", (ctx) => [Scenario.think("1 second"), Scenario.answer(`turn ${ctx.turn}`)])
      const [first, second] = yield* withClock(Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.start({ agent: "chatty", messages: "one", idleTimeout: "10 minutes" })
        const first = yield* handle.awaitSettled()
        yield* handle.send("two")
        const second = yield* handle.awaitSettled()
        return [first, second] as const
      })))
      assert.strictEqual(first.answer, "turn 0")
      assert.strictEqual(second.answer, "turn 1")
      assert.isTrue(second.events[0].index >= first.nextIndex)
    }).pipe(Effect.provide(emulated())))

  it.effect("an idle session ends after idle_timeout_s", () =>
    Effect.gen(function*() {
      const hai = yield* HaiAgents.HaiAgents
      const result = yield* withClock(Session.run({ agent, messages: "go", idleTimeout: "30 seconds" }))
      yield* TestClock.adjust("40 seconds")
      const status = yield* hai.sessions.status(result.id)
      assert.include(["completed", "interrupted", "timed_out"], status.status)
    }).pipe(Effect.provide(emulated())))
})

describe("attach", () => {
  it.effect("attaching to a session that is already idle settles at once with its answer", () =>
    Effect.gen(function*() {
      yield* register("quick", [Scenario.answer("42")])
      const id = yield* withClock(Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.start({ agent: "quick", messages: "go", cancelOnClose: "never" })
        yield* handle.awaitSettled()
        return handle.id
      })))
      const again = yield* withClock(Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.attach(id)
        return yield* handle.awaitSettled({ timeout: "3 seconds" })
      })))
      assert.strictEqual(again.status, "idle")
      assert.strictEqual(again.answer, "42")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(emulated(), SessionStore.layerKeyValueStore.pipe(Layer.provide(KeyValueStore.layerMemory)))
      )
    ))
})

describe("handle", () => {
  it.effect("events are delivered once each, in order, and end with the session", () =>
    Effect.gen(function*() {
      const [events, result] = yield* withClock(Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.start({ agent, messages: "go" })
        const events = yield* Effect.fork(
          Stream.runCollect(handle.events.pipe(Stream.takeUntil((e) => e.event.type === "AgentCompletionEvent")))
        )
        const result = yield* handle.awaitSettled()
        yield* handle.cancel.pipe(Effect.ignore)
        return [yield* Fiber.join(events), result] as const
      })))
      const indices = [...events].map((e) => e.index)
      assert.deepStrictEqual(indices, indices.map((_, i) => i))
      assert.isTrue(result.events.length <= indices.length)
    }).pipe(Effect.provide(emulated())))

  it.effect("Session.start's onEvent gets every event once, in order, before the turn settles", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const [result, seenAtSettle] = yield* withClock(Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.start({
          agent,
          messages: "go",
          onEvent: (e) => Effect.sync(() => seen.push(e.index))
        })
        const result = yield* handle.awaitSettled()
        return [result, [...seen]] as const
      })))
      assert.deepStrictEqual(seenAtSettle, seenAtSettle.map((_, i) => i))
      assert.isAtLeast(
        seenAtSettle.length,
        result.nextIndex,
        "an event of the turn was not delivered before it settled"
      )
    }).pipe(Effect.provide(emulated())))

  it.effect("Session.attach's onEvent starts at fromIndex", () =>
    Effect.gen(function*() {
      const hai = yield* HaiAgents.HaiAgents
      const created = yield* hai.sessions.create({ agent, messages: "go" })
      const seen: Array<number> = []
      const result = yield* withClock(Effect.scoped(Effect.flatMap(
        Session.attach(created.id, { fromIndex: 2, onEvent: (e) => Effect.sync(() => seen.push(e.index)) }),
        (handle) => handle.awaitSettled()
      )))
      assert.deepStrictEqual(seen, Array.from({ length: result.nextIndex - 2 }, (_, i) => i + 2))
    }).pipe(Effect.provide(emulated())))

  it.effect("a reader of events gets every event received, then the watcher's failure", () =>
    Effect.gen(function*() {
      yield* register("slow-steps", () => Array.from({ length: 6 }, (_, i) => Scenario.think("1 second", `step ${i}`)))
      const emulator = yield* Emulator.Emulator
      const [collected, failure] = yield* Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.start({ agent: "slow-steps", messages: "go" })
        const seen: Array<number> = []
        const reader = yield* Effect.fork(
          handle.events.pipe(Stream.runForEach((e) => Effect.sync(() => seen.push(e.index))), Effect.flip)
        )
        for (let i = 0; i < 3; i++) yield* TestClock.adjust("1 second")
        // From now on every /changes is refused: the watcher fails with a non-transient error.
        yield* emulator.setFaults({
          routes: [{ route: "GET /api/v2/sessions/{id}/changes", errorRate: 1, errorStatus: 401 }]
        })
        const failure = yield* withClock(Fiber.join(reader))
        yield* emulator.setFaults({})
        return [seen, failure] as const
      }))
      assert.strictEqual(failure._tag, "Unauthorized")
      assert.isAbove(collected.length, 3)
      assert.deepStrictEqual(collected, collected.map((_, i) => i), "every event received, once, in order")
    }).pipe(Effect.provide(emulated())))

  it.effect("statusChanges: a reader who joins late starts from the current status; readers agree", () =>
    Effect.gen(function*() {
      const [early, late, events] = yield* withClock(Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.start({ agent, messages: "go" })
        const early = yield* Effect.fork(
          Stream.runCollect(handle.statusChanges.pipe(Stream.takeUntil((s) => s === "idle")))
        )
        yield* handle.awaitSettled()
        const late = yield* Stream.runHead(handle.statusChanges)
        // The event stream, read after the fact, still starts at index 0.
        const events = yield* Stream.runCollect(handle.events.pipe(Stream.take(3)))
        return [[...(yield* Fiber.join(early))], late, [...events].map((e) => e.index)] as const
      })))
      assert.strictEqual(early[early.length - 1], "idle")
      assert.deepStrictEqual(late, Option.some("idle"))
      assert.deepStrictEqual(events, [0, 1, 2])
    }).pipe(Effect.provide(emulated())))

  it.effect("pause and resume", () =>
    Effect.gen(function*() {
      yield* register("long", [Scenario.think("10 seconds"), Scenario.think("10 seconds"), Scenario.answer("x")])
      const statuses = yield* withClock(Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.start({ agent: "long", messages: "go" })
        const collected = yield* Effect.fork(
          Stream.runCollect(handle.statusChanges.pipe(Stream.takeUntil((s) => s === "idle")))
        )
        yield* Effect.sleep("3 seconds")
        yield* handle.pause
        yield* Effect.sleep("30 seconds")
        yield* handle.resume
        yield* handle.awaitSettled()
        return [...(yield* Fiber.join(collected))]
      })))
      assert.include(statuses, "paused")
      assert.strictEqual(statuses[statuses.length - 1], "idle")
    }).pipe(Effect.provide(emulated())))
})

describe("ChangeFeed", () => {
  it.effect("resumes from any index and never hot-loops on immediate 204s", () =>
    Effect.gen(function*() {
      const result = yield* withClock(Session.run({ agent, messages: "go" }))
      const before = yield* requests("GET /api/v2/sessions/{id}/changes")
      const tail = yield* withClock(Stream.runCollect(ChangeFeed.events(result.id, { fromIndex: 3 })))
      assert.strictEqual(Chunk_first(tail), 3)
      assert.strictEqual([...tail].length, result.events.length - 3)
      const after = yield* requests("GET /api/v2/sessions/{id}/changes")
      assert.isAtMost(after - before, 3)
    }).pipe(Effect.provide(emulated())))

  it.effect("early 204s are spaced out", () =>
    Effect.gen(function*() {
      yield* register("endless", [Scenario.hang])
      const emulator = yield* Emulator.Emulator
      yield* emulator.setFaults({ earlyChangesRate: 1 })
      const hai = yield* HaiAgents.HaiAgents
      const session = yield* hai.sessions.create({ agent: "endless", messages: "go" })
      const fiber = yield* Effect.fork(Stream.runDrain(ChangeFeed.events(session.id)))
      yield* TestClock.adjust("10 seconds")
      yield* Fiber.interrupt(fiber)
      // one poll a second at most (a hot loop would make thousands)
      assert.isAtMost(yield* requests("GET /api/v2/sessions/{id}/changes"), 15)
      assert.isAtMost(yield* requests("GET /api/v2/sessions/{id}/status"), 15)
    }).pipe(Effect.provide(emulated())))
})

describe("runAll", () => {
  it.effect("runs a fleet with bounded concurrency and reports each result", () =>
    Effect.gen(function*() {
      const results = yield* withClock(
        Stream.runCollect(Session.runAll(
          Array.from({ length: 6 }, (_, i) => ({ agent, messages: `task ${i}` })),
          { concurrency: 2 }
        ))
      )
      const all = [...results]
      assert.strictEqual(all.length, 6)
      assert.deepStrictEqual(all.map((r) => r.index).sort(), [0, 1, 2, 3, 4, 5])
      assert.isTrue(all.every((r) => r.result._tag === "Right"))
    }).pipe(Effect.provide(emulated())))
})

const Chunk_first = (chunk: Iterable<ChangeFeed.IndexedEvent>) => [...chunk][0]?.index

it.effect("exit helper recognises caller cancellation", () =>
  Effect.sync(() => assert.isFalse(Session.isCancelledByCaller(Exit.succeed(1)))))
