/**
 * The session runtime's own primitives (`internal/cell.ts`, `internal/deadline.ts`) stand in for
 * Effect machinery that would otherwise give these guarantees by construction: interruption,
 * fiber-local state and tracing. These tests pin what the runtime relies on, so that an upgrade of
 * Effect that changes it fails here rather than in a user's fleet.
 */
import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Exit, Fiber, FiberId, FiberRef, Layer, Option, Stream, TestClock } from "effect"
import { HaiAgents, RetryPolicy } from "../src/index.js"
import * as Cell from "../src/internal/cell.js"
import * as Deadline from "../src/internal/deadline.js"
import { recording } from "./support/tracer.js"

const label = FiberRef.unsafeMake("none")

/** The fiber's label and current span, as seen after a wait resumes it. */
const whereAmI = Effect.all({
  label: FiberRef.get(label),
  span: Effect.map(Effect.option(Effect.currentSpan), Option.map((s) => s.name))
})

describe("Cell", () => {
  it.effect("a wait resumes on the waiting fiber: its FiberRefs and span, not the writer's", () =>
    Effect.gen(function*() {
      const cell = Cell.make(0)
      const waiter = yield* Effect.fork(
        Effect.zipRight(cell.await((n) => n >= 2), whereAmI).pipe(
          Effect.withSpan("waiter"),
          Effect.locally(label, "waiter")
        )
      )
      yield* Effect.yieldNow()
      yield* Effect.fork(
        Effect.zipRight(cell.update((n) => n + 1), cell.update((n) => n + 1)).pipe(
          Effect.withSpan("writer"),
          Effect.locally(label, "writer")
        )
      )
      const seen = yield* Fiber.join(waiter)
      assert.deepStrictEqual(seen, { label: "waiter", span: Option.some("waiter") })
    }))

  it.effect("an interrupted wait is removed: later updates no longer test it", () =>
    Effect.gen(function*() {
      const cell = Cell.make(0)
      let tested = 0
      const waiter = yield* Effect.fork(cell.await((n) => {
        tested++
        return n >= 10
      }))
      yield* Effect.yieldNow()
      cell.unsafeUpdate((n) => n + 1)
      const before = tested
      yield* Fiber.interrupt(waiter)
      cell.unsafeUpdate((n) => n + 1)
      cell.unsafeUpdate((n) => n + 1)
      assert.strictEqual(tested, before)
      assert.isTrue(Exit.isInterrupted(yield* Fiber.await(waiter)))
    }))

  it.effect("one update resumes every wait it satisfies, and only those", () =>
    Effect.gen(function*() {
      const cell = Cell.make(0)
      const low = yield* Effect.fork(cell.await((n) => n >= 1))
      const alsoLow = yield* Effect.fork(cell.await((n) => n >= 1))
      const high = yield* Effect.fork(cell.await((n) => n >= 5))
      yield* Effect.yieldNow()
      yield* cell.update(() => 3)
      assert.strictEqual(yield* Fiber.join(low), 3)
      assert.strictEqual(yield* Fiber.join(alsoLow), 3)
      assert.isNull(high.unsafePoll())
      yield* cell.update(() => 5)
      assert.strictEqual(yield* Fiber.join(high), 5)
    }))

  it.scoped("a reader of changes starts from the current value and sees every update after it", () =>
    Effect.gen(function*() {
      const cell = Cell.make("a")
      cell.unsafeUpdate(() => "b")
      const pull = yield* Stream.toPull(cell.changes)
      const seen: Array<string> = [...yield* pull]
      cell.unsafeUpdate(() => "c")
      cell.unsafeUpdate(() => "d")
      while (seen.length < 3) seen.push(...yield* pull)
      assert.deepStrictEqual(seen, ["b", "c", "d"])
    }))
})

const SESSION_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
const statusBody = JSON.stringify({
  status: "running",
  error: null,
  error_code: null,
  outcome: null,
  steps: 1,
  usage_per_model: [],
  subagent_session_ids: []
})

/** A client that answers at once, or (`hold`) only fails when its request is aborted. */
const client = (options: { readonly hold: boolean; readonly deaf?: boolean; readonly httpSpans?: boolean }) => {
  const seen: Array<{ readonly signal: AbortSignal; readonly fiber: FiberId.FiberId }> = []
  const http = HttpClient.make((request, _url, signal, fiber) => {
    seen.push({ signal, fiber: fiber.id() })
    if (!options.hold) return Effect.succeed(HttpClientResponse.fromWeb(request, new Response(statusBody)))
    if (options.deaf) return Effect.never
    return Effect.async((resume) => {
      const onAbort = () =>
        resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", description: "aborted" })))
      signal.addEventListener("abort", onAbort, { once: true })
    })
  })
  const layer = HaiAgents.layer({
    apiKey: "hk-test",
    baseUrl: "http://test.local",
    timeout: "5 seconds",
    retrySchedule: RetryPolicy.none,
    httpSpans: options.httpSpans ?? false
  }).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, http)))
  return { seen, layer }
}

const status = Effect.flatMap(HaiAgents.HaiAgents, (hai) => hai.sessions.status(SESSION_ID))

describe("deadline", () => {
  it.effect("under a test clock too, a request past its limit is aborted and fails with TimeoutError then", () =>
    Effect.gen(function*() {
      const { layer, seen } = client({ hold: true })
      const fiber = yield* Effect.fork(Effect.either(Effect.provide(status, layer)))
      yield* TestClock.adjust("4999 millis")
      assert.isNull(fiber.unsafePoll())
      assert.isFalse(seen[0].signal.aborted)
      yield* TestClock.adjust("1 millis")
      const result = yield* Fiber.join(fiber)
      assert.isTrue(seen[0].signal.aborted)
      assert.strictEqual(result._tag === "Left" ? result.left._tag : "none", "TimeoutError")
    }))

  it.effect("the time limit works by the abort signal under every clock: a client deaf to it still waits", () =>
    Effect.gen(function*() {
      const { layer, seen } = client({ hold: true, deaf: true })
      const fiber = yield* Effect.fork(Effect.provide(status, layer))
      yield* TestClock.adjust("1 minute")
      assert.isNull(fiber.unsafePoll(), "as under the live clock: see HaiAgents.Options.timeoutBy")
      assert.isTrue(seen[0].signal.aborted)
      yield* Fiber.interrupt(fiber)
    }))

  it.effect("interrupting the caller aborts its request", () =>
    Effect.gen(function*() {
      const { layer, seen } = client({ hold: true })
      const fiber = yield* Effect.fork(Effect.provide(status, layer))
      yield* TestClock.adjust("1 second")
      yield* Fiber.interrupt(fiber)
      assert.isTrue(seen[0].signal.aborted)
    }))

  it.effect("the request runs on the caller's fiber: no fiber per request", () =>
    Effect.gen(function*() {
      const { layer, seen } = client({ hold: false })
      yield* Effect.provide(status, layer)
      assert.isTrue(FiberId.isRuntime(seen[0].fiber))
      assert.deepStrictEqual(seen[0].fiber, yield* Effect.fiberId)
    }))

  it.live("the live clock is the default services' clock, so production takes the timer", () =>
    Effect.gen(function*() {
      assert.isTrue((yield* Effect.clock) === Deadline.liveClock)
      assert.isFalse((yield* Effect.withClock(Effect.clock, Clock.make())) === Deadline.liveClock)
    }))

  it.live("a request's span is a child of the caller's span; by default the operation's is the only one", () =>
    Effect.gen(function*() {
      const { ancestors, spans, tracer } = recording()
      const { layer } = client({ hold: false, httpSpans: true })
      yield* Effect.provide(status, layer).pipe(Effect.withSpan("caller"), Effect.withTracer(tracer))
      const request = spans.find((s) => s.name.startsWith("http.client"))
      assert.isDefined(request)
      assert.deepStrictEqual(ancestors(request!.span), ["HaiAgents.sessions.status", "caller"])

      const quiet = recording()
      yield* Effect.provide(status, client({ hold: false }).layer).pipe(
        Effect.withSpan("caller"),
        Effect.withTracer(quiet.tracer)
      )
      assert.deepStrictEqual(quiet.spans.map((s) => s.name).sort(), ["HaiAgents.sessions.status", "caller"])
    }))
})
