/**
 * The session runtime over a real socket: the emulator served on a local port (`layerServer`),
 * the SDK on undici, real time. These check behaviour (results, cancellation, delivery), with
 * generous time bounds.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Deferred, Effect, Exit, Fiber, Option, Schedule, Schema, Stream } from "effect"
import { ChangeFeed, HaiAgents, RetryPolicy, Session, Tool, Toolkit } from "../src/index.js"
import { served } from "./support/served.js"
import { acceptedResults, announcedCalls, countingToolkit, SoakAnswer, soakScenario } from "./support/soak.js"

const register = (name: string, scenario: Scenario.Scenario) =>
  Effect.flatMap(Emulator.Emulator, (e) => e.registerScenario(name, scenario))

const stats = Effect.flatMap(Emulator.Emulator, (e) => e.stats)

const snapshotOf = (id: string) =>
  Effect.map(Effect.flatMap(Emulator.Emulator, (e) => e.session(id)), Option.getOrThrow)

/** Polls `check` every 20 ms until it holds, for at most `millis`; fails the test otherwise. */
const eventually = <E, R>(what: string, check: Effect.Effect<boolean, E, R>, millis = 5_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + millis
    while (Date.now() < deadline) {
      if (yield* check) return
      yield* Effect.sleep("20 millis")
    }
    assert.fail(`${what}: not within ${millis} ms`)
  })

const Sum = Schema.Struct({ sum: Schema.Number })

describe("Session over a socket", () => {
  it.live("run: a tool call and a typed answer", () =>
    Effect.gen(function*() {
      yield* register("calc", [
        Scenario.think("tick"),
        Scenario.callTool("add", { a: 2, b: 3 }),
        Scenario.think("tick"),
        Scenario.answer({ sum: 5 })
      ])
      const calls: Array<{ a: number; b: number }> = []
      const add = Tool.make("add", {
        description: "Adds two numbers",
        parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
        success: Schema.Number,
        handler: (args) => Effect.sync(() => (calls.push(args), args.a + args.b))
      })
      const result = yield* Session.run({
        agent: "calc",
        messages: "add 2 and 3",
        answer: Sum,
        tools: Toolkit.make(add),
        timeout: "15 seconds"
      })
      assert.strictEqual(result.status, "idle")
      assert.deepStrictEqual(result.answer, { sum: 5 })
      assert.deepStrictEqual(calls, [{ a: 2, b: 3 }])
      const snapshot = yield* snapshotOf(result.id)
      const results = snapshot.events.filter((e) => e.type === "AgentEvent" && (e.data as any).kind === "tool_result")
      assert.strictEqual(results.length, 1)
      assert.strictEqual((results[0].data as any).result, 5)
      assert.deepStrictEqual(result.events.map((e) => e.index), snapshot.events.map((_, i) => i))
      const s = yield* stats
      assert.strictEqual(s.requestsByRoute["POST /api/v2/sessions/{id}/tool_results"], 1)
      assert.strictEqual(s.requestsByRoute["DELETE /api/v2/sessions/{id}"] ?? 0, 0, "a settled run is not cancelled")
    }).pipe(Effect.provide(served())))

  it.live("start: events, awaitSettled and send over several turns of an idle session", () =>
    Effect.gen(function*() {
      yield* register("chatty", (ctx) => [Scenario.think("tick"), Scenario.answer(`turn ${ctx.turn}`)])
      const { first, id, second, seen } = yield* Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.start({ agent: "chatty", messages: "one", idleTimeout: "30 seconds" })
        const seen: Array<number> = []
        yield* Effect.forkScoped(Stream.runForEach(handle.events, (e) => Effect.sync(() => seen.push(e.index))))
        const first = yield* handle.awaitSettled({ timeout: "10 seconds" })
        yield* handle.send("two")
        const second = yield* handle.awaitSettled({ timeout: "10 seconds" })
        yield* eventually("the events consumer caught up", Effect.sync(() => seen.length >= second.nextIndex))
        return { first, id: handle.id, second, seen }
      }))
      assert.strictEqual(first.answer, "turn 0")
      assert.strictEqual(second.answer, "turn 1")
      assert.strictEqual(first.status, "idle")
      assert.strictEqual(second.status, "idle")
      assert.isAtLeast(second.events[0].index, first.nextIndex)
      assert.deepStrictEqual(seen.slice(0, second.nextIndex), Array.from({ length: second.nextIndex }, (_, i) => i))
      const snapshot = yield* snapshotOf(id)
      assert.strictEqual(snapshot.request.idle_timeout_s, 30)
      assert.strictEqual(snapshot.status, "idle", "closing the scope of an idle session does not cancel it")
      assert.strictEqual(snapshot.events.length, second.nextIndex)
    }).pipe(Effect.provide(served())))

  it.live("interrupting a run cancels the remote session", () =>
    Effect.gen(function*() {
      yield* register("endless", [Scenario.think("tick"), Scenario.hang])
      const fiber = yield* Effect.fork(Session.run({ agent: "endless", messages: "go" }))
      yield* eventually("the session runs", Effect.map(stats, (s) => (s.sessionsByStatus.running ?? 0) === 1))
      const exit = yield* Fiber.interrupt(fiber)
      assert.isTrue(Session.isCancelledByCaller(exit))
      yield* eventually("no session is left unsettled", Effect.map(stats, (s) => s.sessionsUnsettled === 0))
      const s = yield* stats
      assert.strictEqual(s.sessionsByStatus.interrupted, 1)
      assert.strictEqual(s.requestsByRoute["DELETE /api/v2/sessions/{id}"], 1)
    }).pipe(Effect.provide(served())))

  it.live("a ChangeFeed consumer receives each event soon after the emulator appends it", () =>
    Effect.gen(function*() {
      yield* register("ticker", [
        ...Array.from({ length: 8 }, () => Scenario.think("100 millis")),
        Scenario.answer("x")
      ])
      const hai = yield* HaiAgents.HaiAgents
      const session = yield* hai.sessions.create({ agent: "ticker", messages: "go" })
      const subscribedAt = Date.now()
      const received: Array<{ index: number; at: number }> = []
      yield* ChangeFeed.events(session.id).pipe(
        Stream.runForEach((e) => Effect.sync(() => received.push({ index: e.index, at: Date.now() }))),
        Effect.timeout("15 seconds")
      )
      const snapshot = yield* snapshotOf(session.id)
      assert.deepStrictEqual(received.map((r) => r.index), snapshot.events.map((_, i) => i), "each event once")
      const latencies = received
        .map((r) => ({ ...r, appended: Date.parse(snapshot.events[r.index].timestamp) }))
        .filter((r) => r.appended >= subscribedAt)
        .map((r) => r.at - r.appended)
        .sort((a, b) => a - b)
      assert.isAtLeast(latencies.length, 16)
      const p99 = latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)]
      assert.isAtLeast(latencies[0], -5, "no event is received before it was appended")
      assert.isBelow(p99, 500, `p99 latency ${p99} ms (${latencies.join(", ")})`)
    }).pipe(Effect.provide(served())))

  it.live("interrupting a run while its tool runs cancels the session and the handler", () =>
    Effect.gen(function*() {
      yield* register("stuck", [Scenario.think("tick"), Scenario.callTool("wait", {}), Scenario.answer("never")])
      const started = yield* Deferred.make<void>()
      const handlerExit = yield* Deferred.make<Exit.Exit<unknown>>()
      const wait = Tool.make("wait", {
        description: "Never returns",
        parameters: Schema.Struct({}),
        handler: () =>
          Effect.zipRight(Deferred.succeed(started, undefined), Effect.never).pipe(
            Effect.onExit((exit) => Deferred.succeed(handlerExit, exit))
          )
      })
      const fiber = yield* Effect.fork(Session.run({ agent: "stuck", messages: "go", tools: Toolkit.make(wait) }))
      yield* Deferred.await(started).pipe(Effect.timeout("5 seconds"))
      assert.strictEqual((yield* stats).sessionsByStatus.awaiting_tool_results, 1)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(Exit.isInterrupted(yield* Deferred.await(handlerExit)), "the handler was interrupted")
      yield* eventually("no session is left unsettled", Effect.map(stats, (s) => s.sessionsUnsettled === 0))
      assert.strictEqual((yield* stats).sessionsByStatus.interrupted, 1)
    }).pipe(Effect.provide(served())))

  it.live("an idle session ends after its idle timeout, and the handle's events end with it", () =>
    Effect.gen(function*() {
      const done = yield* Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.start({
          agent: "h/web-surfer-holo3-1-35b",
          messages: "go",
          idleTimeout: "1 second"
        })
        const first = yield* handle.awaitSettled({ timeout: "10 seconds" })
        assert.strictEqual(first.status, "idle")
        const events = yield* Stream.runCollect(handle.events).pipe(Effect.timeout("10 seconds"))
        return { events: [...events].map((e) => e.index), status: yield* handle.status, id: handle.id }
      }))
      assert.include(["completed", "interrupted", "timed_out"], done.status)
      const snapshot = yield* snapshotOf(done.id)
      assert.strictEqual(snapshot.status, done.status)
      assert.deepStrictEqual(done.events, snapshot.events.map((_, i) => i))
      assert.strictEqual((yield* stats).requestsByRoute["DELETE /api/v2/sessions/{id}"] ?? 0, 0)
    }).pipe(Effect.provide(served())))

  it.live("a fleet under dropped connections, lost responses, 5xx and 429: one session per run, each call once", () =>
    Effect.gen(function*() {
      yield* register("soak", soakScenario)
      const { runs: toolRuns, toolkit } = countingToolkit("10 millis")
      const n = 8
      const results = yield* Effect.forEach(
        Array.from({ length: n }, (_, i) => `socket task ${i}`),
        (task) =>
          Session.run({
            agent: "soak",
            messages: task,
            answer: SoakAnswer,
            tools: toolkit,
            timeout: "20 seconds",
            watch: { retrySchedule: Schedule.spaced("20 millis"), idlePollInterval: "20 millis" }
          }),
        { concurrency: "unbounded" }
      )
      const s = yield* stats
      assert.strictEqual(s.sessionsCreated, n, "a create retried after a lost response reused its key")
      assert.strictEqual(s.sessionsByStatus.idle, n)
      for (const result of results) {
        assert.deepStrictEqual(result.answer, { total: 3, tokens: ["a", "b", "c"] })
        const snapshot = yield* snapshotOf(result.id)
        assert.deepStrictEqual(result.events.map((e) => e.index), snapshot.events.map((_, i) => i))
        const calls = announcedCalls(snapshot)
        assert.strictEqual(calls.length, 3)
        const accepted = acceptedResults(snapshot)
        for (const call of calls) {
          assert.strictEqual(toolRuns.get(call.args.token), 1, `call ${call.id} ran once`)
          assert.strictEqual(accepted.get(call.id), 1)
        }
      }
      // the faults fired (which request got which is up to the socket's timing, so no exact count)
      assert.isAbove(s.requestsTotal, n * 8)
    }).pipe(Effect.provide(served({
      seed: 5,
      concurrency: 50,
      faults: {
        routes: [
          { route: "POST /api/v2/sessions/{id}/tool_results", rateLimitRate: 0.2, retryAfterSeconds: 0.05 },
          {
            route: "*",
            errorRate: 0.1,
            rateLimitRate: 0.1,
            retryAfterSeconds: 0.05,
            dropRate: 0.1,
            dropResponseRate: 0.1
          }
        ],
        earlyChangesRate: 0.3
      },
      client: { retrySchedule: RetryPolicy.backoff({ base: "20 millis", cap: "200 millis", retries: 8 }) }
    }))))
})
