import { HttpClient, HttpClientResponse } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Ref } from "effect"
import { HaiAgents } from "../src/index.js"

const fake = (status: number, body: unknown, seen: Ref.Ref<Array<Request>>) =>
  HttpClient.make((request, url) =>
    Effect.gen(function*() {
      const web = new Request(url, {
        method: request.method,
        headers: request.headers as any,
        body: request.body._tag === "Uint8Array" ? (request.body.body as Uint8Array<ArrayBuffer>) : null
      })
      yield* Ref.update(seen, (all) => [...all, web])
      return HttpClientResponse.fromWeb(
        request,
        new Response(status === 204 ? null : JSON.stringify(body), {
          status,
          headers: { "content-type": "application/json" }
        })
      )
    })
  )

describe("HaiAgents smoke", () => {
  it.effect("changes: 204 is None, path prefix kept, query encoded", () =>
    Effect.gen(function*() {
      const seen = yield* Ref.make<Array<Request>>([])
      const layer = HaiAgents.layer({ apiKey: "hk-test", baseUrl: "http://localhost:1/prefix/" }).pipe(
        Layer.provide(Layer.succeed(HttpClient.HttpClient, fake(204, null, seen)))
      )
      const result = yield* Effect.flatMap(HaiAgents.HaiAgents, (hai) =>
        hai.sessions.changes("3fa85f64-5717-4562-b3fc-2c963f66afa6", { from_index: 3, wait_for_seconds: 20 })).pipe(
          Effect.provide(layer)
        )
      assert.isTrue(Option.isNone(result))
      const [request] = yield* Ref.get(seen)
      assert.strictEqual(
        request.url,
        "http://localhost:1/prefix/api/v2/sessions/3fa85f64-5717-4562-b3fc-2c963f66afa6/changes?from_index=3&wait_for_seconds=20"
      )
      assert.strictEqual(request.headers.get("authorization"), "Bearer hk-test")
    }))
})
