import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Emulator from "../src/Emulator.js"
import { createSession, testLayer } from "./utils.js"

describe("load", () => {
  it.live("1,000 concurrent sessions settle (real clock)", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* Effect.forEach(
        Array.from({ length: 1000 }, (_, i) => i),
        (i) => createSession({ agent: "h/web-surfer-holo3-1-35b", messages: `task ${i}` }),
        { concurrency: 50, discard: true }
      )
      const t0 = Date.now()
      while ((yield* emulator.stats).sessionsUnsettled > 0 && Date.now() - t0 < 20_000) {
        yield* Effect.sleep("50 millis")
      }
      const stats = yield* emulator.stats
      assert.strictEqual(stats.sessionsCreated, 1000)
      assert.strictEqual(stats.sessionsByStatus.idle, 1000)
    }).pipe(Effect.provide(testLayer({ concurrency: 1000, validateResponses: false, tick: "20 millis" }))), 60_000)
})
