/**
 * Creates that give up (an error after their retries, or an interrupt) and cancels under faults:
 * no session is left running that the caller never learned of, an interrupt takes effect at once,
 * and a cancel that cannot be made is always reported. Seeded faults on the in-process emulator,
 * on the TestClock.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "@hai-effect/emulator/Emulator"
import type * as Faults from "@hai-effect/emulator/Faults"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Cause, Effect, Exit, Fiber, Logger, LogLevel, Option, Random, TestClock } from "effect"
import { RetryPolicy, Session } from "../src/index.js"
import { emulated } from "./support/emulated.js"
import { advance, driveUntilDone, seeded } from "./support/soak.js"

const CREATE = "POST /api/v2/sessions"

/** An agent that works until it is cancelled. */
const register = Effect.flatMap(
  Emulator.Emulator,
  (e) => e.registerScenario("hang", () => [Scenario.think("1 second"), Scenario.hang])
)

const emulator = Emulator.Emulator
const setFaults = (config: Faults.Config) => Effect.flatMap(emulator, (e) => e.setFaults(config))

/** Sessions of the emulator that are not over (running, queued, awaiting tool results...). */
const notTerminal = Effect.map(
  Effect.flatMap(emulator, (e) => e.sessions),
  (all) => all.filter((s) => !["completed", "failed", "timed_out", "interrupted"].includes(s.status))
)

/** Captures log lines (message and level) instead of printing them. */
const capturing =
  (lines: Array<{ readonly level: string; readonly message: string }>) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    effect.pipe(
      Effect.provide(Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ logLevel, message }) =>
          lines.push({ level: logLevel.label, message: Array.isArray(message) ? message.join(" ") : String(message) })
        )
      )),
      Logger.withMinimumLogLevel(LogLevel.Info)
    )

describe("orphans", () => {
  it.effect("interrupting a start while its create is in flight takes effect at once; the session is cancelled", () => {
    const lines: Array<{ level: string; message: string }> = []
    return Effect.gen(function*() {
      yield* register
      // Every answer to a create is lost after the service made the session: the create retries.
      yield* setFaults({ routes: [{ route: CREATE, dropResponseRate: 1 }] })
      const fiber = yield* Effect.fork(Effect.scoped(Session.start({ agent: "hang", messages: "in flight" })))
      yield* TestClock.adjust("100 millis")
      yield* Fiber.interruptFork(fiber)
      for (let i = 0; i < 5; i++) yield* TestClock.adjust("10 millis")
      const exit = yield* Fiber.poll(fiber)
      assert.isTrue(Option.isSome(exit), "the interrupt took effect within 50 ms")
      if (Option.isSome(exit)) assert.isTrue(Session.isCancelledByCaller(exit.value))
      // The session the create made is found under its key and cancelled in the background.
      yield* setFaults({})
      yield* advance(60_000, 500)
      const s = yield* Effect.flatMap(emulator, (e) => e.stats)
      assert.strictEqual(s.sessionsCreated, 1, "the re-sent create named the same session")
      assert.deepStrictEqual((yield* notTerminal).map((x) => x.id), [], "no session left running")
      assert.isTrue(
        lines.some((l) => l.level === "INFO" && l.message.includes("made by a create that gave up")),
        JSON.stringify(lines)
      )
    }).pipe(capturing(lines), Effect.provide(emulated({ seed: 1 })))
  })

  it.effect("a create that gives up while the service is down is logged; nothing is left running", () => {
    const lines: Array<{ level: string; message: string }> = []
    return Effect.gen(function*() {
      yield* register
      yield* setFaults({ routes: [{ route: CREATE, dropResponseRate: 1 }] })
      const exit = yield* Effect.fork(Effect.scoped(Session.start({ agent: "hang", messages: "down" }))).pipe(
        Effect.tap(() => advance(10 * 60_000, 1_000)),
        Effect.flatMap(Fiber.await)
      )
      assert.isTrue(Exit.isFailure(exit))
      // The service made one session and never could say so: the reclaim gave up, and said so.
      assert.strictEqual((yield* notTerminal).length, 1)
      assert.isTrue(
        lines.some((l) => l.level === "WARN" && l.message.includes("could not be found and cancelled")),
        JSON.stringify(lines)
      )
    }).pipe(capturing(lines), Effect.provide(emulated({ seed: 2 })))
  })

  it.effect("200 seeded creates under 5xx, dropped connections, lost responses and interrupts: no orphan", () => {
    const lines: Array<{ level: string; message: string }> = []
    return Effect.gen(function*() {
      yield* register
      yield* setFaults({
        routes: [{ route: CREATE, latency: "300 millis", errorRate: 0.15, dropRate: 0.1, dropResponseRate: 0.1 }]
      })
      const random = seeded(17)
      const n = 200
      // a quarter of the callers give up on their create at a seeded moment
      const interruptAt = Array.from({ length: n }, () => random() < 0.25 ? Math.floor(random() * 40) * 100 : -1)
      const fibers = yield* Effect.forEach(
        Array.from({ length: n }, (_, i) => i),
        (i) =>
          Effect.fork(Effect.scoped(Effect.map(
            Session.start({ agent: "hang", messages: `orphan task ${i}`, cancelOnClose: "never" }),
            (handle) => handle.id
          )))
      )
      for (let now = 0; now <= 4_000; now += 100) {
        for (const [i, fiber] of fibers.entries()) if (interruptAt[i] === now) yield* Fiber.interruptFork(fiber)
        yield* advance(100, 100)
      }
      yield* driveUntilDone(fibers, "1 second", 600)
      // the background reclaims run on the same clock
      yield* advance(6 * 60_000, 1_000)
      const learned = new Set<string>()
      let failed = 0
      let interrupted = 0
      for (const fiber of fibers) {
        const exit = yield* Fiber.await(fiber)
        if (Exit.isSuccess(exit)) learned.add(exit.value)
        else if (Cause.isInterruptedOnly(exit.cause)) interrupted++
        else failed++
      }
      const orphans = (yield* notTerminal).filter((s) => !learned.has(s.id))
      assert.isAbove(failed + interrupted, 10, "creates did give up")
      assert.strictEqual(
        orphans.length,
        0,
        `sessions left running that no caller learned of: ${orphans.length} (${failed} failed, ${interrupted} interrupted)`
      )
      // every session the callers learned of is still theirs (cancelOnClose: "never")
      assert.strictEqual((yield* notTerminal).length, learned.size)
    }).pipe(
      capturing(lines),
      Effect.withRandom(Random.make(17)),
      Effect.provide(emulated({ seed: 17, concurrency: 1000 }))
    )
  }, 120_000)

  it.effect("100 interrupted sessions under 15% 503, 10% drops, 10% lost responses: all cancelled or reported", () => {
    const lines: Array<{ level: string; message: string }> = []
    return Effect.gen(function*() {
      yield* register
      const random = seeded(6)
      const n = 100
      const fibers = yield* Effect.forEach(
        Array.from({ length: n }, (_, i) => i),
        (i) =>
          Effect.fork(Effect.scoped(Effect.flatMap(
            Session.start({ agent: "hang", messages: `cancel task ${i}` }),
            (handle) => Effect.as(Effect.never, handle.id)
          )))
      )
      // the creates go through cleanly; the faults are on every other route
      yield* advance(2_000, 100)
      yield* setFaults({
        routes: [{ route: CREATE }, { route: "*", errorRate: 0.15, dropRate: 0.1, dropResponseRate: 0.1 }]
      })
      const at = fibers.map(() => Math.floor(random() * 30) * 100)
      for (let now = 0; now <= 3_000; now += 100) {
        for (const [i, fiber] of fibers.entries()) if (at[i] === now) yield* Fiber.interruptFork(fiber)
        yield* advance(100, 100)
      }
      assert.isBelow(yield* driveUntilDone(fibers, "1 second", 600), 600, "every run ended")
      yield* setFaults({})
      yield* advance(10_000, 500)
      const left = yield* notTerminal
      const reported = left.filter((s) => lines.some((l) => l.level === "WARN" && l.message.includes(s.id)))
      assert.strictEqual(yield* Effect.map(Effect.flatMap(emulator, (e) => e.stats), (s) => s.sessionsCreated), n)
      assert.strictEqual(
        left.length - reported.length,
        0,
        `sessions left running and not reported: ${left.length - reported.length}`
      )
      assert.strictEqual(left.length, 0, `sessions left running: ${left.length}`)
    }).pipe(
      capturing(lines),
      Effect.withRandom(Random.make(6)),
      Effect.provide(emulated({ seed: 6, concurrency: 1000, client: { retrySchedule: RetryPolicy.defaultSchedule } }))
    )
  }, 120_000)
})
