import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { createHmac } from "node:crypto"
import * as Emulator from "../src/Emulator.js"
import { call, createSession, eventually, noViolations, testLayer } from "./utils.js"

interface Captured {
  readonly url: string
  readonly headers: Record<string, string>
  readonly body: string
}

const capture = () => {
  const captured: Array<Captured> = []
  const client = HttpClient.make((request, url) =>
    Effect.sync(() => {
      const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : ""
      captured.push({ url: url.toString(), headers: request.headers as Record<string, string>, body })
      return HttpClientResponse.fromWeb(request, new Response(null, { status: 204 }))
    })
  )
  return { captured, client }
}

const verify = (secret: string, d: Captured) => {
  const ts = d.headers["x-h-webhook-timestamp"]
  const expected = "sha256=" + createHmac("sha256", secret).update(`${ts}.${d.body}`).digest("hex")
  return expected === d.headers["x-h-webhook-signature"]
}

describe("webhooks", () => {
  it.effect("signed deliveries on status changes, ping, rotate, limit", () => {
    const { captured, client } = capture()
    return Effect.gen(function*() {
      const created = yield* call("POST", "/api/v2/webhooks", {
        body: { url: "https://hooks.example.com/h", enabled_events: ["*"] }
      })
      assert.strictEqual(created.status, 201)
      const secret: string = created.body.secret
      assert.isString(secret)
      const hook = yield* call("GET", `/api/v2/webhooks/${created.body.id}`)
      assert.isUndefined(hook.body.secret)
      const { body } = yield* createSession({ agent: "h/web-surfer-holo3-1-35b", messages: "x" })
      yield* TestClock.adjust("5 seconds")
      yield* eventually(() => captured.some((c) => c.body.includes("session.completed")))
      const events = captured.map((c) => JSON.parse(c.body))
      const types = events.map((e) => e.type)
      assert.include(types, "session.status_updated")
      assert.include(types, "session.completed")
      const completed = events.find((e) => e.type === "session.completed")
      assert.deepStrictEqual(completed.data, { session_id: body.id, status: "completed", previous_status: "running" })
      assert.isString(completed.id)
      assert.isString(completed.created_at)
      for (const d of captured) assert.isTrue(verify(secret, d))
      assert.strictEqual(captured[0].url, "https://hooks.example.com/h")

      const rotated = yield* call("POST", `/api/v2/webhooks/${created.body.id}/rotate`)
      assert.notStrictEqual(rotated.body.secret, secret)
      const ping = yield* call("POST", `/api/v2/webhooks/${created.body.id}/ping`)
      assert.deepStrictEqual(ping.body, { response_status: 204 })
      assert.isTrue(verify(rotated.body.secret, captured[captured.length - 1]))
      assert.isFalse(verify(secret, captured[captured.length - 1]))

      const types2 = yield* call("GET", "/api/v2/webhooks/events")
      assert.strictEqual(types2.body.length, 6)
      for (let i = 0; i < 9; i++) {
        assert.strictEqual((yield* call("POST", "/api/v2/webhooks", { body: { url: `https://h/${i}` } })).status, 201)
      }
      assert.strictEqual((yield* call("POST", "/api/v2/webhooks", { body: { url: "https://h/11" } })).status, 400)
      const list = yield* call("GET", "/api/v2/webhooks?size=5")
      assert.strictEqual(list.body.total, 10)
      const patched = yield* call("PATCH", `/api/v2/webhooks/${created.body.id}`, { body: { disabled: true } })
      assert.isTrue(patched.body.disabled)
      assert.strictEqual((yield* call("DELETE", `/api/v2/webhooks/${created.body.id}`)).status, 204)
      assert.strictEqual((yield* call("GET", `/api/v2/webhooks/${created.body.id}`)).status, 404)
      const deliveries = yield* Effect.flatMap(Emulator.Emulator, (e) => e.deliveries)
      assert.strictEqual(deliveries.length, captured.length)
      assert.deepStrictEqual(yield* noViolations, [])
    }).pipe(Effect.provide(testLayer({ region: "us", webhookClient: client })))
  })

  it.effect("enabled_events filters types", () => {
    const { captured, client } = capture()
    return Effect.gen(function*() {
      yield* call("POST", "/api/v2/webhooks", { body: { url: "https://h/x", enabled_events: ["session.idle"] } })
      yield* createSession({ agent: "h/web-surfer-holo3-1-35b", messages: "x" })
      yield* TestClock.adjust("5 seconds")
      yield* eventually(() => captured.length > 0)
      assert.deepStrictEqual(captured.map((c) => JSON.parse(c.body).type), ["session.idle"])
    }).pipe(Effect.provide(testLayer({ webhookClient: client })))
  })

  it.effect("an endpoint that does not answer does not hold back the others", () => {
    const delivered: Array<string> = []
    // The first endpoint hangs until the emulator's delivery timeout; the second answers at once.
    const client = HttpClient.make((request, url) =>
      url.hostname === "stuck.example.com"
        ? Effect.never
        : Effect.sync(() => {
          delivered.push(url.toString())
          return HttpClientResponse.fromWeb(request, new Response(null, { status: 204 }))
        })
    )
    return Effect.gen(function*() {
      yield* call("POST", "/api/v2/webhooks", { body: { url: "https://stuck.example.com/h" } })
      yield* call("POST", "/api/v2/webhooks", { body: { url: "https://ok.example.com/h" } })
      yield* createSession({ agent: "h/web-surfer-holo3-1-35b", messages: "x" })
      yield* TestClock.adjust("1 second")
      yield* eventually(() => delivered.length > 0)
      assert.isAbove(delivered.length, 0)
      assert.isTrue(delivered.every((u) => u === "https://ok.example.com/h"))
      const failed = (yield* Effect.flatMap(Emulator.Emulator, (e) => e.deliveries)).filter((d) =>
        d.url === "https://stuck.example.com/h"
      )
      assert.deepStrictEqual(failed, [], "the stuck endpoint's deliveries are still pending")
    }).pipe(Effect.provide(testLayer({ webhookClient: client })))
  })
})
