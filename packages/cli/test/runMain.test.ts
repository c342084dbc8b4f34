import { assert, describe, it } from "@effect/vitest"
import { Deferred, Effect } from "effect"
import * as RunMain from "../src/internal/runMain.js"

/** A process whose signals, clock and exit the test drives. */
const fakeHost = () => {
  const listeners = new Set<() => void>()
  const brokenPipe: Array<() => void> = []
  const notices: Array<string> = []
  const exits: Array<number> = []
  let now = 0
  const host: RunMain.Host = {
    onSignal: (listener) => void listeners.add(listener),
    offSignal: (listener) => void listeners.delete(listener),
    exit: (code) => void exits.push(code),
    notice: (text) => void notices.push(text),
    now: () => now,
    onBrokenPipe: (listener) => void brokenPipe.push(listener)
  }
  return {
    host,
    notices,
    exits,
    listeners,
    signal: (at: number) => {
      now = at
      for (const listener of [...listeners]) listener()
    },
    breakPipe: () => {
      for (const listener of brokenPipe) listener()
    }
  }
}

const tick = () => new Promise((resolve) => setTimeout(resolve, 10))

describe("hai's process runner", () => {
  it("the first signal interrupts; later ones wait for the cleanup within the grace period", async () => {
    const fake = fakeHost()
    const cleanupStarted = Effect.runSync(Deferred.make<void>())
    const cleanupDone = Effect.runSync(Deferred.make<void>())
    const program = Effect.never.pipe(
      Effect.onInterrupt(() =>
        Effect.zipRight(Deferred.succeed(cleanupStarted, undefined), Deferred.await(cleanupDone))
      )
    )
    RunMain.make(fake.host, 5_000)(program, {
      disableErrorReporting: true,
      disablePrettyLogger: true,
      teardown: (_exit, onExit) => onExit(RunMain.interruptedExitCode)
    })
    await tick()
    fake.signal(0)
    await Effect.runPromise(Deferred.await(cleanupStarted))
    fake.signal(100) // the same key press, passed on by pnpm: ignored silently
    assert.deepStrictEqual(fake.notices, [])
    fake.signal(1_500) // the user pressing again: told to wait, not killed
    fake.signal(3_000)
    assert.deepStrictEqual(fake.exits, [])
    assert.strictEqual(fake.notices.length, 1)
    assert.match(fake.notices[0]!, /Still cleaning up .* again after 4 s/)
    await Effect.runPromise(Deferred.succeed(cleanupDone, undefined))
    await tick()
    assert.deepStrictEqual(fake.exits, [130])
  })

  it("a signal after the grace period quits at once", async () => {
    const fake = fakeHost()
    const stuck = Effect.runSync(Deferred.make<void>())
    RunMain.make(fake.host, 5_000)(Effect.never.pipe(Effect.onInterrupt(() => Deferred.await(stuck))), {
      disableErrorReporting: true,
      disablePrettyLogger: true
    })
    await tick()
    fake.signal(0)
    fake.signal(5_000)
    assert.deepStrictEqual(fake.exits, [130])
    assert.match(fake.notices.at(-1)!, /Quitting without waiting/)
    await Effect.runPromise(Deferred.succeed(stuck, undefined)) // lets the fiber and its keep-alive timer end
  })

  it("a program that ends by itself leaves the process's signals as they were", async () => {
    const fake = fakeHost()
    RunMain.make(fake.host)(Effect.void, { disableErrorReporting: true, disablePrettyLogger: true })
    await tick()
    assert.strictEqual(fake.listeners.size, 0)
    assert.deepStrictEqual(fake.exits, [])
  })

  it("a reader that leaves interrupts the program, whose cleanup runs, and exits quietly with 141", async () => {
    const fake = fakeHost()
    const cleaned = Effect.runSync(Deferred.make<void>())
    RunMain.make(fake.host)(Effect.never.pipe(Effect.onInterrupt(() => Deferred.succeed(cleaned, undefined))), {
      disableErrorReporting: true,
      disablePrettyLogger: true,
      teardown: (_exit, onExit) => onExit(RunMain.interruptedExitCode)
    })
    await tick()
    fake.breakPipe()
    await Effect.runPromise(Deferred.await(cleaned))
    await tick()
    assert.deepStrictEqual(fake.exits, [RunMain.brokenPipeExitCode])
    assert.deepStrictEqual(fake.notices, [])
  })

  it("a reader that leaves after the program ended changes nothing", async () => {
    const fake = fakeHost()
    RunMain.make(fake.host)(Effect.void, { disableErrorReporting: true, disablePrettyLogger: true })
    await tick()
    fake.breakPipe()
    await tick()
    assert.deepStrictEqual(fake.exits, [])
  })
})
