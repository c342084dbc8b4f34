/**
 * When a failed call is tried again and how long the client waits, all on the TestClock: fork the
 * call, move the clock, count the requests.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import type * as HaiAgents from "../src/HaiAgents.js"
import * as HaiError from "../src/HaiError.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import type { Fake, Reply } from "./support/fake.js"
import { call, empty, fake, json, SESSION_ID } from "./support/fake.js"

const statusJson = { status: "running" }
const sessionJson = {
  id: SESSION_ID,
  request: { agent: "a" },
  status: statusJson,
  created_at: "2026-11-30T12:00:00Z"
}
const skillJson = { name: "s", description: "d", body: "b" }

/** Forks the call; the clock then decides when its retries happen. */
const start = <A, E>(
  f: Fake,
  use: (hai: HaiAgents.Service) => Effect.Effect<A, E>,
  options?: Partial<HaiAgents.Options>
) => Effect.fork(Effect.exit(call(f, use, options)))

/** Moves the clock (by `millis`) and lets the forked call run up to its next sleep. */
const advance = (millis: number) => TestClock.adjust(Duration.millis(millis))

const isDone = <A, E>(fiber: Fiber.RuntimeFiber<A, E>) => Effect.map(Fiber.poll(fiber), Option.isSome)

const failureOf = (cause: Cause.Cause<unknown>) => Cause.failureOption(cause)

/** Replies `first` to the first `times` requests, then `then`. */
const failing = (times: number, first: Reply, then: Reply) => fake((_, i) => i < times ? first : then)

describe("which failures are retried", () => {
  it.effect("the default policy retries at most 2 times", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ status: 500, text: "boom" }))
      const fiber = yield* start(f, (hai) => hai.sessions.status(SESSION_ID))
      yield* advance(10 * 60_000)
      const exit = yield* Fiber.join(fiber)
      assert.strictEqual(f.sent.length, 3)
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.include(String(exit.cause), "ServerError")
    }))

  it.effect("429 is retried for GET", () =>
    Effect.gen(function*() {
      const f = failing(1, json(429, { detail: "slow" }), json(200, statusJson))
      const fiber = yield* start(f, (hai) => hai.sessions.status(SESSION_ID))
      yield* advance(0)
      assert.strictEqual(f.sent.length, 1)
      yield* advance(1_200)
      assert.strictEqual(f.sent.length, 2)
      assert.isTrue(Exit.isSuccess(yield* Fiber.join(fiber)))
    }))

  it.effect("429 is retried for a POST without idempotency key", () =>
    Effect.gen(function*() {
      const f = failing(1, json(429, { detail: "slow" }), empty(202))
      const fiber = yield* start(f, (hai) => hai.sessions.pause(SESSION_ID))
      yield* advance(0)
      assert.strictEqual(f.sent.length, 1)
      yield* advance(1_200)
      assert.strictEqual(f.sent.length, 2)
      assert.isTrue(Exit.isSuccess(yield* Fiber.join(fiber)))
    }))

  it.effect("408 is retried for a POST without idempotency key", () =>
    Effect.gen(function*() {
      const f = failing(1, empty(408), empty(202))
      const fiber = yield* start(f, (hai) => hai.sessions.resume(SESSION_ID))
      yield* advance(60_000)
      assert.isTrue(Exit.isSuccess(yield* Fiber.join(fiber)))
      assert.strictEqual(f.sent.length, 2)
    }))

  const cases: ReadonlyArray<
    readonly [string, (hai: HaiAgents.Service) => Effect.Effect<unknown, unknown>, number]
  > = [
    ["GET sessions.status", (hai) => hai.sessions.status(SESSION_ID), 3],
    ["PUT skills.update", (hai) => hai.skills.update("s", skillJson), 3],
    ["DELETE sessions.cancel", (hai) => hai.sessions.cancel(SESSION_ID), 3],
    ["POST sessions.create (Idempotency-Key)", (hai) => hai.sessions.create({ agent: "a" }), 3],
    ["POST sessions.pause", (hai) => hai.sessions.pause(SESSION_ID), 1],
    ["POST sessions.sendMessages", (hai) => hai.sessions.sendMessages(SESSION_ID, { message: "hi" }), 1],
    ["POST webhooks.ping", (hai) => hai.webhooks.ping(SESSION_ID), 1],
    ["PATCH skills.patch", (hai) => hai.skills.patch("s", { description: "d2" }), 1],
    ["PATCH webhooks.update", (hai) => hai.webhooks.update(SESSION_ID, {}), 1]
  ]
  for (const [name, use, expected] of cases) {
    it.effect(`503 on ${name}: ${expected} request(s)`, () =>
      Effect.gen(function*() {
        const f = fake(() => json(503, { detail: "unavailable" }))
        const fiber = yield* start(f, use)
        yield* advance(10 * 60_000)
        const exit = yield* Fiber.join(fiber)
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isFailure(exit)) assert.include(String(exit.cause), "ServerError")
        assert.strictEqual(f.sent.length, expected)
      }))
  }

  it.effect("a 5xx retried on GET ends in success when the server recovers", () =>
    Effect.gen(function*() {
      const f = failing(2, { status: 502, text: "bad gateway" }, json(200, statusJson))
      const fiber = yield* start(f, (hai) => hai.sessions.status(SESSION_ID))
      yield* advance(10_000)
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(f.sent.length, 3)
    }))

  const conflicting: ReadonlyArray<readonly [string, (hai: HaiAgents.Service) => Effect.Effect<unknown, unknown>]> = [
    ["GET", (hai) => hai.sessions.status(SESSION_ID)],
    ["POST", (hai) => hai.sessions.sendToolResults(SESSION_ID, { tool_req: { tool_name: "t" } })],
    ["create", (hai) => hai.sessions.create({ agent: "a" })]
  ]
  for (const [name, use] of conflicting) {
    it.effect(`409 is never retried (${name})`, () =>
      Effect.gen(function*() {
        const f = fake(() => json(409, { detail: "finished" }))
        const fiber = yield* start(f, use)
        yield* advance(10 * 60_000)
        const exit = yield* Fiber.join(fiber)
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isFailure(exit)) assert.include(String(exit.cause), "Conflict")
        assert.strictEqual(f.sent.length, 1)
      }))
  }

  for (const status of [400, 401, 404, 422]) {
    it.effect(`${status} is not retried`, () =>
      Effect.gen(function*() {
        const f = fake(() => json(status, { detail: "no" }))
        const fiber = yield* start(f, (hai) => hai.sessions.status(SESSION_ID))
        yield* advance(10 * 60_000)
        yield* Fiber.join(fiber)
        assert.strictEqual(f.sent.length, 1)
      }))
  }
})

describe("how long the client waits", () => {
  /** The retry must not come before `askedMillis`, and must come right after it. */
  const honours = (headers: Record<string, string>, askedMillis: number, status = 429) =>
    Effect.gen(function*() {
      const f = failing(1, json(status, { detail: "wait" }, headers), json(200, statusJson))
      const fiber = yield* start(f, (hai) => hai.sessions.status(SESSION_ID))
      yield* advance(0)
      assert.strictEqual(f.sent.length, 1)
      yield* advance(askedMillis - 100)
      assert.strictEqual(f.sent.length, 1, "retried before the asked delay")
      yield* advance(200)
      assert.strictEqual(f.sent.length, 2, "not retried right after the asked delay")
      assert.isTrue(Exit.isSuccess(yield* Fiber.join(fiber)))
    })

  it.effect("Retry-After in seconds", () => honours({ "retry-after": "5" }, 5_000))
  it.effect("Retry-After in seconds on a 503", () => honours({ "retry-after": "4" }, 4_000, 503))
  // The TestClock starts at the epoch, so the date is 7 s from "now".
  it.effect("Retry-After as an HTTP date", () => honours({ "retry-after": new Date(7_000).toUTCString() }, 7_000))
  it.effect("retry-after-ms", () => honours({ "retry-after-ms": "2500" }, 2_500))
  it.effect("X-RateLimit-Reset (unix seconds)", () => honours({ "x-ratelimit-reset": "9" }, 9_000))
  it.effect("retry-after-ms wins over Retry-After", () =>
    honours({ "retry-after-ms": "3500", "retry-after": "1" }, 3_500))

  it.effect("backoff delays grow: ~1 s then ~2 s (jitter 0.8-1.2)", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ status: 500, text: "boom" }))
      const fiber = yield* start(f, (hai) => hai.sessions.status(SESSION_ID))
      yield* advance(0)
      assert.strictEqual(f.sent.length, 1)
      yield* advance(790) // t = 0.79 s < 0.8 x 1 s
      assert.strictEqual(f.sent.length, 1)
      yield* advance(410) // t = 1.2 s >= 1.2 x 1 s
      assert.strictEqual(f.sent.length, 2)
      yield* advance(1_190) // t = 2.39 s < 0.8 s + 0.8 x 2 s
      assert.strictEqual(f.sent.length, 2, "the second delay is not longer than the first")
      yield* advance(1_220) // t = 3.61 s >= 1.2 s + 1.2 x 2 s
      assert.strictEqual(f.sent.length, 3)
      yield* Fiber.join(fiber)
    }))

  it.effect("a user schedule replaces the default: backoff({ retries: 5 })", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ status: 500, text: "boom" }))
      const fiber = yield* start(f, (hai) => hai.sessions.status(SESSION_ID), {
        retrySchedule: RetryPolicy.backoff({ retries: 5 })
      })
      yield* advance(10 * 60_000)
      yield* Fiber.join(fiber)
      assert.strictEqual(f.sent.length, 6)
    }))

  it.effect("a user schedule replaces the default: none", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ status: 500, text: "boom" }))
      const fiber = yield* start(f, (hai) => hai.sessions.status(SESSION_ID), { retrySchedule: RetryPolicy.none })
      yield* advance(10 * 60_000)
      yield* Fiber.join(fiber)
      assert.strictEqual(f.sent.length, 1)
    }))

  it.effect("a user schedule's own delays are used", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ status: 500, text: "boom" }))
      const fiber = yield* start(f, (hai) => hai.sessions.status(SESSION_ID), {
        retrySchedule: Schedule.intersect(Schedule.spaced("10 seconds"), Schedule.recurs(1))
      })
      yield* advance(9_900)
      assert.strictEqual(f.sent.length, 1)
      yield* advance(200)
      assert.strictEqual(f.sent.length, 2)
      yield* advance(10 * 60_000)
      yield* Fiber.join(fiber)
      assert.strictEqual(f.sent.length, 2)
    }))

  it.effect("a user schedule does not make an unsafe POST retried on 5xx", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ status: 500, text: "boom" }))
      const fiber = yield* start(f, (hai) => hai.sessions.pause(SESSION_ID), {
        retrySchedule: RetryPolicy.backoff({ retries: 5 })
      })
      yield* advance(10 * 60_000)
      yield* Fiber.join(fiber)
      assert.strictEqual(f.sent.length, 1)
    }))

  it.effect("Retry-After is honoured by a user schedule too", () =>
    Effect.gen(function*() {
      const f = failing(1, json(429, {}, { "retry-after": "8" }), json(200, statusJson))
      const fiber = yield* start(f, (hai) => hai.sessions.status(SESSION_ID), {
        retrySchedule: RetryPolicy.backoff({ base: "10 millis", retries: 1 })
      })
      yield* advance(7_900)
      assert.strictEqual(f.sent.length, 1)
      yield* advance(200)
      assert.strictEqual(f.sent.length, 2)
      yield* Fiber.join(fiber)
    }))
})

describe("idempotency keys", () => {
  it.effect("one Idempotency-Key across all retries of a create", () =>
    Effect.gen(function*() {
      const f = failing(2, json(503, {}), json(201, sessionJson))
      const fiber = yield* start(f, (hai) => hai.sessions.create({ agent: "a" }))
      yield* advance(60_000)
      assert.isTrue(Exit.isSuccess(yield* Fiber.join(fiber)))
      assert.strictEqual(f.sent.length, 3)
      const keys = f.sent.map((s) => s.headers["idempotency-key"])
      assert.isString(keys[0])
      assert.isAtLeast(keys[0].length, 1)
      assert.isAtMost(keys[0].length, 255)
      assert.deepStrictEqual(keys, [keys[0], keys[0], keys[0]])
    }))

  it.effect("two separate creates get different keys", () =>
    Effect.gen(function*() {
      const f = fake(() => json(201, sessionJson))
      yield* call(f, (hai) => Effect.zip(hai.sessions.create({ agent: "a" }), hai.sessions.create({ agent: "a" })))
      assert.strictEqual(f.sent.length, 2)
      assert.notStrictEqual(f.sent[0].headers["idempotency-key"], f.sent[1].headers["idempotency-key"])
    }))

  it.effect("the same create effect run twice gets a key per run", () =>
    Effect.gen(function*() {
      const f = fake(() => json(201, sessionJson))
      yield* call(f, (hai) => {
        const create = hai.sessions.create({ agent: "a" })
        return Effect.zip(create, create)
      })
      assert.notStrictEqual(f.sent[0].headers["idempotency-key"], f.sent[1].headers["idempotency-key"])
    }))

  it.effect("a user-given idempotencyKey is used verbatim, on every retry", () =>
    Effect.gen(function*() {
      const f = failing(1, json(500, {}), json(201, sessionJson))
      const fiber = yield* start(f, (hai) =>
        hai.sessions.create({ agent: "a" }, { idempotencyKey: "order-42/attempt A" }))
      yield* advance(60_000)
      assert.isTrue(Exit.isSuccess(yield* Fiber.join(fiber)))
      assert.deepStrictEqual(
        f.sent.map((s) =>
          s.headers["idempotency-key"]
        ),
        [
          "order-42/attempt A",
          "order-42/attempt A"
        ]
      )
    }))

  it.effect("no Idempotency-Key on other operations", () =>
    Effect.gen(function*() {
      const f = fake(() => empty(202))
      yield* call(f, (hai) => hai.sessions.sendMessages(SESSION_ID, { message: "hi" }))
      assert.isUndefined(f.sent[0].headers["idempotency-key"])
    }))
})

describe("timeouts", () => {
  it.effect("the default per-request timeout is 60 s", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ never: true }))
      const fiber = yield* start(f, (hai) => hai.sessions.status(SESSION_ID), { retrySchedule: RetryPolicy.none })
      yield* advance(59_900)
      assert.isFalse(yield* isDone(fiber))
      yield* advance(200)
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isSuccess(exit)) return
      const error: any = Option.getOrThrow(Exit.causeOption(exit).pipe(Option.flatMap((c) => failureOf(c))))
      assert.strictEqual(error._tag, "TimeoutError")
      assert.strictEqual(error.timeoutMillis, 60_000)
    }))

  it.effect("a timed-out GET is retried like other transient failures", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ never: true }))
      const fiber = yield* start(f, (hai) => hai.sessions.status(SESSION_ID))
      yield* advance(10 * 60_000)
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(f.sent.length, 3)
    }))

  it.effect("the timeout option shortens it", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ never: true }))
      const fiber = yield* start(f, (hai) => hai.sessions.status(SESSION_ID), {
        retrySchedule: RetryPolicy.none,
        timeout: "5 seconds"
      })
      yield* advance(4_900)
      assert.isFalse(yield* isDone(fiber))
      yield* advance(200)
      assert.isTrue(yield* isDone(fiber), "a plain GET with timeout: 5 s is still waiting at 5.1 s")
      const exit = yield* Fiber.join(fiber)
      if (Exit.isFailure(exit)) {
        assert.strictEqual((Option.getOrThrow(failureOf(exit.cause)) as any).timeoutMillis, 5_000)
      }
    }))

  it.effect("a long-poll changes(wait_for_seconds: 20) does not time out at 25 s, and does later", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ never: true }))
      const fiber = yield* start(f, (hai) => hai.sessions.changes(SESSION_ID, { wait_for_seconds: 20 }), {
        retrySchedule: RetryPolicy.none
      })
      yield* advance(25_000)
      assert.isFalse(yield* isDone(fiber), "the long-poll timed out while the server may still be waiting")
      yield* advance(36_000)
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.include(String(exit.cause), "TimeoutError")
    }))

  it.effect("a long-poll's timeout is its wait plus the 10 s margin when that is above the timeout", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ never: true }))
      const fiber = yield* start(f, (hai) => hai.sessions.changes(SESSION_ID, { wait_for_seconds: 20 }), {
        retrySchedule: RetryPolicy.none,
        timeout: "5 seconds"
      })
      yield* advance(25_000)
      assert.isFalse(yield* isDone(fiber))
      yield* advance(4_900) // t = 29.9 s
      assert.isFalse(yield* isDone(fiber))
      yield* advance(200) // t = 30.1 s
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isSuccess(exit)) return
      const error: any = Option.getOrThrow(failureOf(exit.cause))
      assert.strictEqual(error._tag, "TimeoutError")
      assert.strictEqual(error.timeoutMillis, 30_000)
    }))

  it.effect("longPollMargin changes the margin", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ never: true }))
      const fiber = yield* start(f, (hai) => hai.sessions.changes(SESSION_ID, { wait_for_seconds: 20 }), {
        retrySchedule: RetryPolicy.none,
        timeout: "5 seconds",
        longPollMargin: "2 seconds"
      })
      yield* advance(21_900)
      assert.isFalse(yield* isDone(fiber))
      yield* advance(200)
      assert.isTrue(yield* isDone(fiber))
    }))

  it.effect("a timed-out request is aborted, not left running", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ never: true }))
      const fiber = yield* start(f, (hai) => hai.sessions.status(SESSION_ID), { retrySchedule: RetryPolicy.none })
      yield* advance(0)
      assert.isFalse(f.sent[0].signal.aborted)
      yield* advance(60_100)
      yield* Fiber.join(fiber)
      assert.isTrue(f.sent[0].signal.aborted)
    }))

  it.effect("interrupting a call aborts its request", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ never: true }))
      const fiber = yield* start(f, (hai) => hai.sessions.changes(SESSION_ID, { wait_for_seconds: 20 }))
      yield* advance(1_000)
      assert.strictEqual(f.sent.length, 1)
      yield* Fiber.interrupt(fiber)
      assert.isTrue(f.sent[0].signal.aborted)
    }))

  it.effect("an answer that arrives in time is not cut by the timeout", () =>
    Effect.gen(function*() {
      const f = fake(() => json(200, statusJson))
      const fiber = yield* start(f, (hai) => hai.sessions.status(SESSION_ID))
      yield* advance(0)
      assert.isTrue(Exit.isSuccess(yield* Fiber.join(fiber)))
    }))
})

describe("transient failures: one definition", () => {
  const info = { method: "GET", url: "https://api.test/x" }
  const errors: ReadonlyArray<readonly [HaiError.HaiError, boolean]> = [
    [new HaiError.TransportError({ ...info, reason: "ECONNRESET" }), true],
    [new HaiError.TimeoutError({ ...info, timeoutMillis: 1 }), true],
    [new HaiError.TimeoutError({ ...info, status: 408 }), true],
    [new HaiError.ServerError({ ...info, status: 503 }), true],
    [new HaiError.RateLimited({ ...info }), true],
    [new HaiError.OutcomeUnknown({ ...info, reason: "socket hang up" }), true],
    [new HaiError.Unauthorized({ ...info, status: 401 }), false],
    [new HaiError.NotFound({ ...info }), false],
    [new HaiError.Conflict({ ...info }), false],
    [new HaiError.Unprocessable({ ...info, detail: [] }), false],
    [new HaiError.UnexpectedStatus({ ...info, status: 418, excerpt: "" }), false],
    [new HaiError.DecodeError({ ...info, status: 200, path: "", issue: "", excerpt: "" }), false],
    [new HaiError.RequestTooLarge({ ...info, size: 2, limit: 1 }), false],
    [new HaiError.InvalidRequest({ operation: "x", path: "", issue: "" }), false]
  ]

  it("isTransient: the connection, timeouts, 5xx, 429 and unknown outcomes; nothing about the request itself", () => {
    for (const [error, transient] of errors) assert.strictEqual(RetryPolicy.isTransient(error), transient, error._tag)
  })

  it("isRetryable is isTransient narrowed to what is safe to repeat", () => {
    for (const [error] of errors) {
      for (const method of ["GET", "POST", "PATCH", "DELETE"]) {
        for (const idempotencyKey of [false, true]) {
          const retryable = RetryPolicy.isRetryable(error, { method, idempotencyKey })
          if (retryable) assert.isTrue(RetryPolicy.isTransient(error), `${error._tag} retried but not transient`)
          const safe = idempotencyKey || RetryPolicy.idempotentMethods.has(method)
          if (RetryPolicy.isTransient(error) && safe && error._tag !== "OutcomeUnknown") {
            assert.isTrue(retryable, `${error._tag} on a safe ${method} is transient but not retried`)
          }
        }
      }
    }
    // The server saying it did not act makes any method safe to repeat.
    assert.isTrue(RetryPolicy.isRetryable(errors[4][0], { method: "POST", idempotencyKey: false }))
    assert.isTrue(RetryPolicy.isRetryable(errors[2][0], { method: "POST", idempotencyKey: false }))
    assert.isFalse(RetryPolicy.isRetryable(errors[3][0], { method: "POST", idempotencyKey: false }))
  })
})

describe("a server cannot hold a call forever", () => {
  /** The first answer asks for a huge wait; the retry must come at the cap, not later. */
  const capped = (
    reply: Reply,
    use: (hai: HaiAgents.Service) => Effect.Effect<unknown, unknown>,
    capMillis: number,
    options?: Partial<HaiAgents.Options>
  ) =>
    Effect.gen(function*() {
      const f = fake((sent, i) =>
        i === 0 ? reply : sent.method === "POST" ? json(201, sessionJson) : json(200, statusJson)
      )
      const fiber = yield* start(f, use, options)
      yield* advance(0)
      assert.strictEqual(f.sent.length, 1)
      yield* advance(capMillis - 100)
      assert.strictEqual(f.sent.length, 1, "retried before the capped wait")
      yield* advance(200)
      assert.strictEqual(f.sent.length, 2, "the server's wait was not capped")
      assert.isTrue(Exit.isSuccess(yield* Fiber.join(fiber)))
    })

  const status = (hai: HaiAgents.Service) => hai.sessions.status(SESSION_ID)
  const create = (hai: HaiAgents.Service) => hai.sessions.create({ agent: "a" })

  it.effect("Retry-After: 999999999 is cut to 60 s", () =>
    capped(json(429, {}, { "retry-after": "999999999" }), status, 60_000))
  it.effect("Retry-After: 3600 on a create is cut to 60 s", () =>
    capped(json(503, {}, { "retry-after": "3600" }), create, 60_000))
  it.effect("retry-after-ms: 1e12 is cut to 60 s", () =>
    capped(json(429, {}, { "retry-after-ms": "1e12" }), status, 60_000))
  it.effect("an HTTP date in 9999 is cut to 60 s", () =>
    capped(json(429, {}, { "retry-after": "Fri, 31 Dec 9999 23:59:59 GMT" }), status, 60_000))
  it.effect("a far X-RateLimit-Reset is cut to 60 s", () =>
    capped(json(429, {}, { "x-ratelimit-reset": "99999999999" }), status, 60_000))
  it.effect("maxRetryAfter sets the cap", () =>
    capped(json(429, {}, { "retry-after": "3600" }), status, 5_000, { maxRetryAfter: "5 seconds" }))

  it.effect("a negative retry-after-ms is no wait at all, not a schedule error", () =>
    Effect.gen(function*() {
      const f = failing(1, json(429, {}, { "retry-after-ms": "-5000" }), json(200, statusJson))
      const fiber = yield* start(f, status)
      yield* advance(1_300)
      assert.strictEqual(f.sent.length, 2)
      assert.isTrue(Exit.isSuccess(yield* Fiber.join(fiber)))
    }))

  it.effect("by default a call answered 429 with a huge Retry-After every time ends within 2 minutes", () =>
    Effect.gen(function*() {
      const f = fake(() => json(429, { detail: "slow down" }, { "retry-after": "999999999" }))
      const fiber = yield* start(f, status)
      yield* advance(120_100)
      assert.isTrue(yield* isDone(fiber), "still waiting after 2 minutes")
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.include(String(exit.cause), "RateLimited")
      assert.strictEqual(f.sent.length, 3)
    }))

  it.effect("retryBudget: no retry starts past it, whatever the schedule", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ status: 500, text: "boom" }))
      const fiber = yield* start(f, status, {
        retrySchedule: Schedule.spaced("3 seconds"),
        retryBudget: "10 seconds"
      })
      yield* advance(60_000)
      assert.isTrue(yield* isDone(fiber))
      yield* Fiber.join(fiber)
      // The first failure at 0 s, then retries at 3, 6 and 9 s; the one at 12 s is past the budget.
      assert.strictEqual(f.sent.length, 4)
    }))

  it.effect("retryBudget: a Retry-After that ends past the budget is not waited for", () =>
    Effect.gen(function*() {
      const f = fake(() => json(429, {}, { "retry-after": "30" }))
      const fiber = yield* start(f, status, { retryBudget: "20 seconds" })
      yield* advance(0)
      assert.isTrue(yield* isDone(fiber), "waited for a retry that could not start within the budget")
      yield* Fiber.join(fiber)
      assert.strictEqual(f.sent.length, 1)
    }))

  it.effect("retryBudget: the last retry gets only what is left of the budget", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ never: true }))
      const fiber = yield* start(f, status, { retryBudget: "90 seconds" })
      // First attempt: 60 s timeout; the budget runs from that failure: it ends at 150 s.
      yield* advance(149_000)
      assert.isFalse(yield* isDone(fiber))
      yield* advance(1_100)
      assert.isTrue(yield* isDone(fiber), "a retry outlived the budget")
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.include(String(exit.cause), "TimeoutError")
      assert.strictEqual(f.sent.length, 3)
      assert.isTrue(f.sent.every((s) => s.signal.aborted), "a request left running")
    }))
})
