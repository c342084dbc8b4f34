import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer } from "effect"
import * as Http from "node:http"
import * as Emulator from "../src/Emulator.js"
import { call, createSession, testLayer } from "./utils.js"

const served = Emulator.layerServer({ port: 0 }).pipe(
  Layer.provideMerge(Emulator.layer({ tick: "20 millis", validateResponses: true }))
)

interface Outcome {
  readonly status: number | undefined
  /** Bytes the client had written when the server answered or closed the connection. */
  readonly sent: number
  readonly error: string | undefined
}

/**
 * POSTs a body of `total` bytes in 1 MiB chunks (declaring its length, or chunked), stopping as
 * soon as the server answers or closes the connection.
 */
const upload = (url: string, total: number, declareLength: boolean) =>
  Effect.async<Outcome>((resume) => {
    let sent = 0
    let done = false
    const finish = (o: Outcome) => {
      if (done) return
      done = true
      resume(Effect.succeed(o))
    }
    const req = Http.request(`${url}/api/v2/sessions`, {
      method: "POST",
      headers: {
        authorization: "Bearer hk-emulator",
        "content-type": "application/json",
        ...(declareLength ? { "content-length": String(total) } : { "transfer-encoding": "chunked" })
      }
    })
    req.on("response", (res) => {
      res.resume()
      finish({ status: res.statusCode, sent, error: undefined })
    })
    req.on("error", (e) => finish({ status: undefined, sent, error: e.message }))
    const chunk = Buffer.alloc(1024 * 1024, 0x20)
    const pump = () => {
      while (!done && sent < total) {
        sent += chunk.length
        if (!req.write(chunk)) return req.once("drain", pump)
      }
      if (!done) req.end()
    }
    pump()
    return Effect.sync(() => req.destroy())
  })

const nested = (depth: number) => "[".repeat(depth) + "]".repeat(depth)

describe("request limits (the emulator keeps serving)", () => {
  it.live("refuses a 200 MB body by its Content-Length, before reading it", () =>
    Effect.gen(function*() {
      const { url } = yield* Emulator.EmulatorServer
      const outcome = yield* upload(url, 200 * 1024 * 1024, true)
      assert.strictEqual(outcome.status, 413, JSON.stringify(outcome))
      assert.isBelow(outcome.sent, 50 * 1024 * 1024, "answered long before the body was sent")
      const quota = yield* Effect.promise(() =>
        fetch(`${url}/api/v2/sessions/quota`, { headers: { authorization: "Bearer hk-emulator" } })
      )
      assert.strictEqual(quota.status, 200)
    }).pipe(Effect.provide(served)), 30_000)

  it.live("caps a 600 MB body without a length while it streams, and keeps serving", () =>
    Effect.gen(function*() {
      const { url } = yield* Emulator.EmulatorServer
      const outcome = yield* upload(url, 600 * 1024 * 1024, false)
      assert.isTrue(outcome.status === 413 || outcome.error !== undefined, JSON.stringify(outcome))
      assert.isBelow(outcome.sent, 100 * 1024 * 1024, "stopped reading soon after the limit")
      const quota = yield* Effect.promise(() =>
        fetch(`${url}/api/v2/sessions/quota`, { headers: { authorization: "Bearer hk-emulator" } })
      )
      assert.strictEqual(quota.status, 200)
    }).pipe(Effect.provide(served)), 60_000)

  it.effect("answers 400 to JSON nested 100,000 deep in messages, overrides or answer_format", () =>
    Effect.gen(function*() {
      const deep = nested(100_000)
      for (
        const body of [
          `{"agent":"h/web-surfer-holo3-1-35b","messages":${deep}}`,
          `{"agent":"h/web-surfer-holo3-1-35b","overrides":{"x":${deep}}}`,
          `{"agent":"h/web-surfer-holo3-1-35b","overrides":{"agent.answer_format":{"x":${deep}}}}`
        ]
      ) {
        const r = yield* call("POST", "/api/v2/sessions", { rawBody: body })
        assert.strictEqual(r.status, 400, JSON.stringify(r.body))
        assert.deepStrictEqual(r.body, { detail: "There was an error parsing the body" })
      }
      // Ordinary nesting still passes.
      const ok = yield* createSession({ agent: "h/web-surfer-holo3-1-35b", overrides: { x: JSON.parse(nested(20)) } })
      assert.strictEqual(ok.status, 201)
    }).pipe(Effect.provide(testLayer())))

  it.effect("answers 400 to a body that is not UTF-8 (nothing stored as U+FFFD)", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const bytes = new Uint8Array([
        ...new TextEncoder().encode("{\"agent\":\"h/web-surfer-holo3-1-35b\",\"messages\":\"caf"),
        0xe9,
        ...new TextEncoder().encode("\"}")
      ])
      const sent = yield* call("POST", "/api/v2/sessions", { rawBytes: bytes })
      assert.strictEqual(sent.status, 400, JSON.stringify(sent.body))
      assert.strictEqual((yield* emulator.stats).sessionsCreated, 0)
    }).pipe(Effect.provide(testLayer())))
})
