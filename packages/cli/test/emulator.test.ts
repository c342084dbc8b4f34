import { FetchHttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber } from "effect"
import * as Render from "../src/Render.js"
import { hai } from "./support/Harness.js"

describe("hai emulator", () => {
  it.live("serves the emulator on a port and prints how to reach it", () =>
    Effect.gen(function*() {
      const capture = Render.capture()
      const fiber = yield* Effect.fork(
        hai(["emulator", "--port", "0", "--json"], { capture }).pipe(Effect.provide(FetchHttpClient.layer))
      )
      while (capture.stdout().length === 0) yield* Effect.sleep("20 millis")
      const announced = JSON.parse(capture.stdout())
      assert.strictEqual(announced.api_key, "hk-emulator")
      const response = yield* Effect.promise(() =>
        fetch(`${announced.url}/api/v2/sessions/quota`, { headers: { authorization: "Bearer hk-emulator" } })
      )
      assert.strictEqual(response.status, 200)
      yield* Fiber.interrupt(fiber)
      const closed = yield* Effect.promise(() => fetch(`${announced.url}/api/v2/agents`).then(() => false, () => true))
      assert.isTrue(closed)
    }))
})
