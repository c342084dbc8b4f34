import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Emulator from "../src/Emulator.js"

const served = Emulator.layerServer({ port: 0 }).pipe(
  Layer.provideMerge(Emulator.layer({ tick: "20 millis", validateResponses: true }))
)

const fetchJson = (url: string, init: RequestInit = {}) =>
  Effect.promise(async () => {
    const res = await fetch(url, {
      ...init,
      headers: { authorization: "Bearer hk-emulator", "content-type": "application/json", ...(init.headers ?? {}) }
    })
    const text = await res.text()
    return { status: res.status, body: text === "" ? undefined : JSON.parse(text), headers: res.headers }
  })

describe("socket server", () => {
  it.live("serves the API over a real socket", () =>
    Effect.gen(function*() {
      const { url } = yield* Emulator.EmulatorServer
      assert.match(url, /^http:\/\/127\.0\.0\.1:\d+$/)
      const quota = yield* fetchJson(`${url}/api/v2/sessions/quota`)
      assert.deepStrictEqual(quota.body, { scope: "org", limit: 10, active: 0, available: 10 })
      const unauth = yield* fetchJson(`${url}/api/v2/sessions/quota`, { headers: { authorization: "" } })
      assert.strictEqual(unauth.status, 401)
      const created = yield* fetchJson(`${url}/api/v2/sessions`, {
        method: "POST",
        body: JSON.stringify({ agent: "h/web-surfer-holo3-1-35b", messages: "hello" })
      })
      assert.strictEqual(created.status, 201)
      const id = created.body.id
      const changes = yield* fetchJson(`${url}/api/v2/sessions/${id}/changes?from_index=1&wait_for_seconds=5`)
      assert.strictEqual(changes.status, 200)
      let status = "pending"
      for (let i = 0; i < 50 && status !== "idle"; i++) {
        yield* Effect.sleep("20 millis")
        status = (yield* fetchJson(`${url}/api/v2/sessions/${id}/status`)).body.status
      }
      assert.strictEqual(status, "idle")
      const t0 = Date.now()
      const empty = yield* fetchJson(`${url}/api/v2/sessions/${id}/changes?from_index=1000&wait_for_seconds=1`)
      assert.strictEqual(empty.status, 204)
      assert.isAtLeast(Date.now() - t0, 900)
    }).pipe(Effect.provide(served)), 20_000)
})
