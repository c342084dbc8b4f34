import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, TestClock } from "effect"
import * as Emulator from "../src/Emulator.js"

describe("in-process client", () => {
  it.effect("keeps url params (repeated arrays), any host, and runs on the TestClock", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      assert.strictEqual(emulator.baseUrl, "http://emulator.local")
      const client = (yield* HttpClient.HttpClient).pipe(
        HttpClient.mapRequest(HttpClientRequest.prependUrl("https://agp.eu.hcompany.ai")),
        HttpClient.mapRequest(HttpClientRequest.bearerToken(emulator.apiKey))
      )
      const created = yield* client.execute(
        HttpClientRequest.post("/api/v2/sessions").pipe(
          HttpClientRequest.bodyUnsafeJson({ agent: "h/web-surfer-holo3-1-35b", messages: "x" })
        )
      )
      assert.strictEqual(created.status, 201)
      const id = ((yield* created.json) as any).id
      const poll = yield* Effect.fork(
        client.execute(
          HttpClientRequest.get(`/api/v2/sessions/${id}/changes`).pipe(
            HttpClientRequest.setUrlParams({ from_index: 1000, wait_for_seconds: 10 })
          )
        )
      )
      yield* TestClock.adjust("10 seconds")
      assert.strictEqual((yield* Fiber.join(poll)).status, 204)
      const list = yield* client.execute(
        HttpClientRequest.get("/api/v2/sessions").pipe(
          HttpClientRequest.setUrlParams({ status: ["idle", "completed"], size: 5 })
        )
      )
      const page = (yield* list.json) as any
      assert.strictEqual(page.total, 1)
      const bad = yield* client.execute(
        HttpClientRequest.get("/api/v2/sessions").pipe(HttpClientRequest.setUrlParams({ status: ["nope"] }))
      )
      assert.strictEqual(bad.status, 422)
      assert.deepStrictEqual(((yield* bad.json) as any).detail[0].loc, ["query", "status", 0])
    }).pipe(Effect.provide(Emulator.layerTest({ tick: "100 millis" }))))
})
