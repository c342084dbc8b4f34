import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Layer, Option, TestClock } from "effect"
import * as Emulator from "../src/Emulator.js"
import type * as Faults from "../src/Faults.js"
import { call, createSession, eventually, KEY, testLayer } from "./utils.js"

const statuses = (n: number) =>
  Effect.forEach(Array.from({ length: n }), () => Effect.map(call("GET", "/api/v2/sessions/quota"), (r) => r.status))

describe("faults", () => {
  it.effect("error and 429 rates are seeded and reproducible", () =>
    Effect.gen(function*() {
      const faults: Faults.Config = {
        routes: [{ route: "GET /api/v2/sessions/quota", errorRate: 0.3, rateLimitRate: 0.3, retryAfterSeconds: 7 }]
      }
      const run = (seed: number) => statuses(40).pipe(Effect.provide(testLayer({ seed, faults })))
      const a = yield* run(7)
      const b = yield* run(7)
      const c = yield* run(8)
      assert.deepStrictEqual(a, b)
      assert.notDeepEqual(a, c)
      assert.include(a, 503)
      assert.include(a, 429)
      assert.include(a, 200)
      const limited = yield* Effect.gen(function*() {
        for (let i = 0; i < 50; i++) {
          const r = yield* call("GET", "/api/v2/sessions/quota")
          if (r.status === 429) return r
        }
        return undefined
      }).pipe(Effect.provide(testLayer({ seed: 1, faults })))
      assert.strictEqual(limited?.headers["retry-after"], "7")
    }))

  it.effect("latency and setFaults at runtime", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      yield* emulator.setFaults({
        routes: [{ route: "get_session_quota_api_v2_sessions_quota_get", latency: "2 seconds" }]
      })
      const fiber = yield* Effect.fork(call("GET", "/api/v2/sessions/quota"))
      yield* TestClock.adjust("1 second")
      assert.isTrue(Option.isNone(yield* Fiber.poll(fiber)))
      yield* TestClock.adjust("1 second")
      assert.strictEqual((yield* Fiber.join(fiber)).status, 200)
      yield* emulator.setFaults({})
      assert.strictEqual((yield* call("GET", "/api/v2/sessions/quota")).status, 200)
    }).pipe(Effect.provide(testLayer())))

  it.effect("dropped connections fail the in-process request with a transport error", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const result = yield* client.get("http://x/api/v2/sessions/quota", {
        headers: { authorization: `Bearer ${KEY}` }
      })
        .pipe(Effect.flip)
      assert.strictEqual(result._tag, "RequestError")
      assert.strictEqual((result as any).reason, "Transport")
    }).pipe(Effect.provide(testLayer({ faults: { routes: [{ route: "*", dropRate: 1 }] } }))))

  it.effect("lost responses: the create happened but the client saw a transport error", () =>
    Effect.gen(function*() {
      const client = yield* HttpClient.HttpClient
      const emulator = yield* Emulator.Emulator
      yield* emulator.setFaults({ routes: [{ route: "POST /api/v2/sessions", dropResponseRate: 1 }] })
      const request = HttpClientRequest.post("http://x/api/v2/sessions").pipe(
        HttpClientRequest.bearerToken(KEY),
        HttpClientRequest.bodyUnsafeJson({ agent: "h/web-surfer-holo3-1-35b" })
      )
      const err = yield* client.execute(request).pipe(Effect.flip)
      assert.strictEqual(err._tag, "RequestError")
      assert.strictEqual((yield* emulator.stats).sessionsCreated, 1)
    }).pipe(Effect.provide(testLayer())))

  it.live("dropped connections over a socket", () =>
    Effect.gen(function*() {
      const { url } = yield* Emulator.EmulatorServer
      const outcome = yield* Effect.promise(() =>
        fetch(`${url}/api/v2/sessions/quota`, { headers: { authorization: `Bearer ${KEY}` } }).then(
          (r) => `status ${r.status}`,
          (e) => `error ${String(e)}`
        )
      )
      assert.match(outcome, /^error/)
    }).pipe(
      Effect.provide(
        Emulator.layerServer({ port: 0 }).pipe(
          Layer.provideMerge(Emulator.layer({ faults: { routes: [{ route: "*", dropRate: 1 }] } }))
        )
      )
    ))

  it.effect("early 204s on /changes", () =>
    Effect.gen(function*() {
      const { body } = yield* createSession({ agent: "h/web-surfer-holo3-1-35b", messages: "x" })
      const r = yield* call("GET", `/api/v2/sessions/${body.id}/changes?from_index=100&wait_for_seconds=20`)
      assert.strictEqual(r.status, 204)
    }).pipe(Effect.provide(testLayer({ faults: { earlyChangesRate: 1 } }))))

  it.effect("duplicated and reordered webhook deliveries", () => {
    const seen: Array<string> = []
    const client = HttpClient.make((request) =>
      Effect.sync(() => {
        if (request.body._tag === "Uint8Array") seen.push(new TextDecoder().decode(request.body.body))
        return HttpClientResponse.fromWeb(request, new Response(null, { status: 200 }))
      })
    )
    return Effect.gen(function*() {
      yield* call("POST", "/api/v2/webhooks", { body: { url: "https://h/x" } })
      yield* createSession({ agent: "h/web-surfer-holo3-1-35b", messages: "x" })
      yield* TestClock.adjust("5 seconds")
      yield* eventually(() => seen.some((b) => b.includes("session.completed")))
      const ids = seen.map((b) => JSON.parse(b).id)
      assert.isBelow(new Set(ids).size, ids.length)
    }).pipe(
      Effect.provide(
        testLayer({ region: "us", webhookClient: client, faults: { webhooks: { duplicateRate: 1, reorder: true } } })
      )
    )
  })
})
