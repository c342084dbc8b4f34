/**
 * `internal/retrying.ts` replaces `Effect.retry` on the transport's path (it builds the schedule's
 * driver only after a first failure). These pin that it still behaves as `Effect.retry` does, so
 * that an Effect upgrade changing either shows here: the same attempts at the same instants with
 * the same outcome for any run of failures, interruption at any point, FiberRefs and spans.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as FastCheck from "effect/FastCheck"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as TestClock from "effect/TestClock"
import * as Retrying from "../src/internal/retrying.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import { recording } from "./support/tracer.js"

const fc = FastCheck

type Outcome = "ok" | "transient" | "fatal"

/** An effect that answers from `script` in turn (the last answer repeats), recording when. */
const scripted = (script: ReadonlyArray<Outcome>) => {
  const times: Array<number> = []
  const effect = Effect.flatMap(TestClock.currentTimeMillis, (now) => {
    const outcome = script[Math.min(times.length, script.length - 1)]
    times.push(now)
    return outcome === "ok" ? Effect.succeed(times.length) : Effect.fail(outcome)
  })
  return { effect, times }
}

const schedules: ReadonlyArray<readonly [string, Schedule.Schedule<unknown, Outcome>]> = [
  ["spaced, 3 times", Schedule.intersect(Schedule.spaced("1 second"), Schedule.recurs(3))],
  ["exponential, 4 times", Schedule.intersect(Schedule.exponential("100 millis"), Schedule.recurs(4))],
  ["fibonacci within a budget", RetryPolicy.withinBudget(Schedule.fibonacci("1 second"), "10 seconds")],
  ["never", Schedule.stop],
  [
    "while the input says so, 5 times",
    Schedule.intersect(Schedule.recurWhile<Outcome>((o) => o === "transient"), Schedule.recurs(5))
  ]
]

/** Runs `effect` to its end under the TestClock (which runs each sleep at its own instant). */
const drive = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(effect)
    yield* TestClock.adjust("1 hour")
    return yield* Fiber.await(fiber)
  })

describe("retryWhen behaves as Effect.retry", () => {
  const scripts = fc.array(fc.constantFrom<Outcome>("ok", "transient", "fatal"), { minLength: 1, maxLength: 8 })
  for (const [name, schedule] of schedules) {
    it.effect(`${name}: the same attempts, at the same instants, with the same outcome`, () =>
      Effect.gen(function*() {
        const retryable = (o: Outcome) => o === "transient"
        for (const script of fc.sample(scripts, { numRuns: 60, seed: 42 })) {
          const ours = scripted(script)
          const theirs = scripted(script)
          const exitOurs = yield* drive(Retrying.retryWhen(ours.effect, schedule, retryable))
          const exitTheirs = yield* drive(Effect.retry(theirs.effect, { schedule, while: retryable }))
          assert.deepStrictEqual(exitOurs, exitTheirs, script.join(","))
          assert.deepStrictEqual(
            ours.times.map((t) => t - ours.times[0]),
            theirs.times.map((t) => t - theirs.times[0]),
            script.join(",")
          )
        }
      }))
  }

  it.effect("again: the retries run the given effect, told when the first failure was", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("5 seconds")
      const seen: Array<number> = []
      const fiber = yield* Effect.fork(
        Retrying.retryWhen(
          Effect.fail("transient" as const),
          Schedule.intersect(Schedule.spaced("1 second"), Schedule.recurs(2)),
          () => true,
          (firstFailedAt) =>
            Effect.sync(() => seen.push(firstFailedAt)).pipe(Effect.zipRight(Effect.fail("transient" as const)))
        )
      )
      yield* TestClock.adjust("10 seconds")
      assert.isTrue(Exit.isFailure(yield* Fiber.await(fiber)))
      assert.deepStrictEqual(seen, [5_000, 5_000])
    }))
})

describe("interruption, FiberRefs and spans, as with Effect.retry", () => {
  const both = [
    [
      "retryWhen",
      <A, E>(e: Effect.Effect<A, E>, s: Schedule.Schedule<unknown, E>) => Retrying.retryWhen(e, s, () => true)
    ],
    ["Effect.retry", <A, E>(e: Effect.Effect<A, E>, s: Schedule.Schedule<unknown, E>) => Effect.retry(e, s)]
  ] as const

  for (const [name, retry] of both) {
    it.effect(`${name}: interrupted while waiting to retry, it stops at once and tries no more`, () =>
      Effect.gen(function*() {
        let attempts = 0
        const fiber = yield* Effect.fork(
          retry(Effect.suspend(() => (attempts++, Effect.fail("x"))), Schedule.spaced("10 seconds"))
        )
        yield* TestClock.adjust("15 seconds")
        assert.strictEqual(attempts, 2)
        const exit = yield* Fiber.interrupt(fiber)
        assert.isTrue(Exit.isInterrupted(exit))
        yield* TestClock.adjust("1 minute")
        assert.strictEqual(attempts, 2)
      }))

    it.effect(`${name}: interrupted during an attempt, the attempt is interrupted`, () =>
      Effect.gen(function*() {
        let interrupted = 0
        let attempts = 0
        const attempt = Effect.suspend(() =>
          ++attempts === 1 ? Effect.fail("x") : Effect.onInterrupt(Effect.never, () => Effect.sync(() => interrupted++))
        )
        const fiber = yield* Effect.fork(retry(attempt, Schedule.spaced("1 second")))
        yield* TestClock.adjust("2 seconds")
        yield* Fiber.interrupt(fiber)
        assert.deepStrictEqual([attempts, interrupted], [2, 1])
      }))

    it.effect(`${name}: a retried attempt sees the caller's FiberRefs, and its own changes stay`, () =>
      Effect.gen(function*() {
        const ref = FiberRef.unsafeMake("unset")
        const seen: Array<string> = []
        let attempts = 0
        const attempt = Effect.flatMap(FiberRef.get(ref), (value) => {
          seen.push(value)
          return ++attempts < 3
            ? Effect.zipRight(FiberRef.set(ref, `attempt ${attempts}`), Effect.fail("x"))
            : Effect.void
        })
        const fiber = yield* Effect.fork(
          Effect.locally(Effect.zipRight(retry(attempt, Schedule.spaced("1 second")), FiberRef.get(ref)), ref, "caller")
        )
        yield* TestClock.adjust("5 seconds")
        const after = yield* Fiber.join(fiber)
        assert.deepStrictEqual(seen, ["caller", "attempt 1", "attempt 2"])
        assert.strictEqual(after, "attempt 2")
      }))

    it.effect(`${name}: every attempt runs in the caller's span`, () =>
      Effect.gen(function*() {
        const { ancestors, spans, tracer } = recording()
        let attempts = 0
        const attempt = Effect.withSpan(
          Effect.suspend(() => ++attempts < 3 ? Effect.fail("x") : Effect.void),
          "attempt"
        )
        const fiber = yield* Effect.fork(
          retry(attempt, Schedule.spaced("1 second")).pipe(Effect.withSpan("call"), Effect.withTracer(tracer))
        )
        yield* TestClock.adjust("5 seconds")
        yield* Fiber.join(fiber)
        const tries = spans.filter((s) => s.name === "attempt")
        assert.lengthOf(tries, 3)
        for (const t of tries) assert.deepStrictEqual(ancestors(t.span), ["call"])
      }))
  }

  it.effect("the budget's stop: a retry that would start late is not waited for", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(
        Retrying.retryWhen(
          Effect.fail("x"),
          RetryPolicy.withinBudget(Schedule.spaced("30 seconds"), "20 seconds"),
          () => true
        )
      )
      yield* TestClock.adjust(Duration.millis(1))
      assert.isTrue(Option.isSome(yield* Fiber.poll(fiber)))
    }))
})
