import { HttpClient, HttpClientRequest, HttpRouter, HttpServer, KeyValueStore } from "@effect/platform"
import type { HttpApp } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Context, Duration, Effect, Fiber, Layer, Redacted, Ref, Stream, TestClock } from "effect"
import { Webhook, WebhookConfig, WebhookDedupe, WebhookEvent, WebhookEvents, WebhookHandler } from "../src/index.js"
import { withCapturedLogs } from "./logs.js"
import { completedJson, nodeSign, OLD_SECRET, oldSecret, SECRET, secret, signedHeaders, T0 } from "./utils.js"

const post = (body: string, headers: Record<string, string>, path = "/webhooks") =>
  HttpClientRequest.post(path).pipe(
    HttpClientRequest.bodyText(body, "application/json"),
    HttpClientRequest.setHeaders(headers),
    HttpClient.execute
  )

const serve = <E, R>(app: HttpApp.Default<E, R>) =>
  HttpServer.serve(app).pipe(Layer.provideMerge(NodeHttpServer.layerTest))

const recorder = Effect.gen(function*() {
  const seen = yield* Ref.make<ReadonlyArray<WebhookEvent.WebhookEvent>>([])
  const handler = (event: WebhookEvent.WebhookEvent) => Ref.update(seen, (all) => [...all, event])
  return { seen, handler }
})

describe("WebhookHandler.toHttpApp over a real socket", () => {
  it.live("verifies, decodes and hands the event to the handler (204); rejects the rest", () =>
    Effect.gen(function*() {
      const { handler, seen } = yield* recorder
      const router = HttpRouter.empty.pipe(
        HttpRouter.post("/webhooks", WebhookHandler.toHttpApp(handler, { secrets: [oldSecret, secret] }))
      )
      yield* Effect.gen(function*() {
        const body = completedJson("evt_a", "sess_a")
        const ok = yield* post(body, signedHeaders(body))
        assert.strictEqual(ok.status, 204)
        const okOld = yield* post(body, signedHeaders(body, { key: OLD_SECRET }))
        assert.strictEqual(okOld.status, 204)

        const bad = yield* post(body, signedHeaders(body, { key: "whsec_wrong" }))
        assert.strictEqual(bad.status, 401)
        assert.deepStrictEqual(yield* bad.json, { error: "SignatureMismatch" })

        const tampered = yield* post(body.replace("sess_a", "sess_b"), signedHeaders(body))
        assert.strictEqual(tampered.status, 401)

        const missing = yield* post(body, {})
        assert.strictEqual(missing.status, 401)
        assert.deepStrictEqual(yield* missing.json, { error: "MissingHeader" })

        const old = yield* post(body, signedHeaders(body, { timestamp: Math.floor(Date.now() / 1000) - 600 }))
        assert.strictEqual(old.status, 401)
        assert.deepStrictEqual(yield* old.json, { error: "TimestampTooOld" })

        const future = yield* post(body, signedHeaders(body, { timestamp: Math.floor(Date.now() / 1000) + 600 }))
        assert.deepStrictEqual(yield* future.json, { error: "TimestampInFuture" })

        const garbage = "{not json"
        const unparsable = yield* post(garbage, signedHeaders(garbage))
        assert.strictEqual(unparsable.status, 400)
        assert.deepStrictEqual(yield* unparsable.json, { error: "InvalidPayload" })

        const ping = JSON.stringify({ type: "ping", id: "evt_ping" })
        assert.strictEqual((yield* post(ping, signedHeaders(ping))).status, 204)

        const events = yield* Ref.get(seen)
        assert.deepStrictEqual(events.map((e) => String(e.type)), ["session.completed", "session.completed", "ping"])
        const first = events[0]
        assert.isTrue(first.type === "session.completed" && first.data.session_id === "sess_a")
      }).pipe(Effect.provide(serve(router)))
    }))

  it.live("a failing handler answers 500; secrets come from WebhookConfig; non-POST is 405", () =>
    Effect.gen(function*() {
      const app = WebhookHandler.toHttpApp((event) =>
        event.type === "session.failed" ? Effect.fail("boom" as const) : Effect.void
      )
      const [, logs] = yield* withCapturedLogs(
        Effect.gen(function*() {
          const body = completedJson()
          assert.strictEqual((yield* post(body, signedHeaders(body), "/")).status, 204)
          const failing = JSON.stringify({
            type: "session.failed",
            id: "evt_f",
            created_at: "2026-11-30T12:00:00Z",
            data: { session_id: "s", status: "failed", previous_status: "running" }
          })
          const res = yield* post(failing, signedHeaders(failing), "/")
          assert.strictEqual(res.status, 500)
          const get = yield* HttpClient.get("/")
          assert.strictEqual(get.status, 405)
        }).pipe(
          Effect.provide(serve(app)),
          Effect.provide(WebhookConfig.layer({ secrets: secret }))
        )
      )
      assert.deepStrictEqual(logs, ["ERROR webhook handler failed"])
    }))

  it.live("dedupe: a replayed delivery is acknowledged without running the handler again", () =>
    Effect.gen(function*() {
      const { handler, seen } = yield* recorder
      const failOnce = yield* Ref.make(true)
      const app = WebhookHandler.toHttpApp((event) =>
        event.id === "evt_flaky"
          ? Effect.flatMap(Ref.getAndSet(failOnce, false), (fail) => fail ? Effect.die("transient") : handler(event))
          : handler(event)
      )
      const [, logs] = yield* withCapturedLogs(
        Effect.gen(function*() {
          const body = completedJson("evt_dup")
          const headers = signedHeaders(body)
          assert.strictEqual((yield* post(body, headers)).status, 204)
          assert.strictEqual((yield* post(body, headers)).status, 204)
          assert.strictEqual((yield* post(body, signedHeaders(body))).status, 204)
          assert.strictEqual((yield* Ref.get(seen)).length, 1)

          const flaky = completedJson("evt_flaky")
          assert.strictEqual((yield* post(flaky, signedHeaders(flaky))).status, 500)
          assert.strictEqual((yield* post(flaky, signedHeaders(flaky))).status, 204)
          assert.strictEqual((yield* post(flaky, signedHeaders(flaky))).status, 204)
          assert.deepStrictEqual((yield* Ref.get(seen)).map((e) => e.id), ["evt_dup", "evt_flaky"])
        }).pipe(
          Effect.provide(serve(HttpRouter.empty.pipe(HttpRouter.post("/webhooks", app)))),
          Effect.provide(WebhookDedupe.layerMemory()),
          Effect.provide(WebhookConfig.layer({ secrets: secret }))
        )
      )
      assert.deepStrictEqual(logs, ["ERROR webhook handler failed"])
    }))

  it.live("WebhookEvents: publish as the handler, consume the stream", () =>
    Effect.gen(function*() {
      const fiber = yield* WebhookEvents.stream.pipe(
        Stream.filter(WebhookEvent.isSettled),
        Stream.take(1),
        Stream.runCollect,
        Effect.fork
      )
      yield* Effect.sleep("10 millis")
      const body = completedJson("evt_s", "sess_s")
      const res = yield* post(body, signedHeaders(body))
      assert.strictEqual(res.status, 204)
      const [event] = yield* Fiber.join(fiber)
      assert.isTrue(event.type === "session.completed" && event.data.session_id === "sess_s")
    }).pipe(
      Effect.provide(serve(WebhookHandler.toHttpApp(WebhookEvents.publish, { secrets: secret }))),
      Effect.provide(WebhookEvents.layer)
    ))
})

class Audit extends Context.Tag("test/Audit")<Audit, { readonly log: (id: string) => void }>() {}

describe("WebhookHandler.toWebHandler with real Request objects", () => {
  const request = (body: string, headers: Record<string, string>, method = "POST") =>
    new Request("https://example.test/api/webhooks", { method, body: method === "GET" ? null : body, headers })

  it.live("answers like the HttpApp, dedupes with a layer, runs handlers that need services", () =>
    Effect.gen(function*() {
      const ids: Array<string> = []
      const web = WebhookHandler.toWebHandler(
        (event) => Effect.flatMap(Audit, (audit) => Effect.sync(() => audit.log(event.id ?? "?"))),
        {
          secrets: Redacted.make(SECRET),
          layer: Layer.merge(
            WebhookDedupe.layerMemory(),
            Layer.succeed(Audit, { log: (id) => void ids.push(id) })
          )
        }
      )
      const body = completedJson("evt_web")
      const headers = signedHeaders(body)
      const r1 = yield* Effect.promise(() => web.handler(request(body, headers)))
      assert.strictEqual(r1.status, 204)
      const r2 = yield* Effect.promise(() => web.handler(request(body, headers)))
      assert.strictEqual(r2.status, 204)
      assert.deepStrictEqual(ids, ["evt_web"])
      const r3 = yield* Effect.promise(() => web.handler(request(body, signedHeaders(body, { key: "nope" }))))
      assert.strictEqual(r3.status, 401)
      assert.deepStrictEqual(yield* Effect.promise(() => r3.json()), { error: "SignatureMismatch" })
      const r4 = yield* Effect.promise(() => web.handler(request("[", signedHeaders("["))))
      assert.strictEqual(r4.status, 400)
      const r5 = yield* Effect.promise(() => web.handler(request("", {}, "GET")))
      assert.strictEqual(r5.status, 405)
      yield* Effect.promise(() => web.dispose())
    }))

  it.live("secrets from a WebhookConfig layer (layerConfig from the environment)", () =>
    Effect.gen(function*() {
      let count = 0
      const web = WebhookHandler.toWebHandler(() => Effect.sync(() => count++), {
        layer: WebhookConfig.layerConfig().pipe(
          Layer.provide(Layer.setConfigProvider(
            ConfigProvider.fromMap(new Map([["HAI_WEBHOOK_SECRET", `${OLD_SECRET},${SECRET}`]]))
          ))
        )
      })
      const body = completedJson()
      const r1 = yield* Effect.promise(() => web.handler(request(body, signedHeaders(body, { key: OLD_SECRET }))))
      const r2 = yield* Effect.promise(() => web.handler(request(body, signedHeaders(body))))
      assert.deepStrictEqual([r1.status, r2.status, count], [204, 204, 2])
      yield* Effect.promise(() => web.dispose())
    }))
})

describe("WebhookHandler.receive", () => {
  it.effect("framework-agnostic: any header shape, outcome reports duplicates", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0 * 1000)
      const body = completedJson("evt_r")
      const signature = nodeSign(SECRET, T0, body)
      const { handler, seen } = yield* recorder
      const o1 = yield* WebhookHandler.receive(
        { body, headers: { "X-H-Webhook-Signature": signature, "X-H-Webhook-Timestamp": String(T0) } },
        handler,
        { secrets: secret }
      )
      assert.strictEqual(o1._tag, "Processed")
      const o2 = yield* WebhookHandler.receive(
        { body, headers: new Headers({ "x-h-webhook-signature": signature, "x-h-webhook-timestamp": String(T0) }) },
        handler,
        { secrets: secret }
      )
      assert.strictEqual(o2._tag, "Duplicate")
      assert.strictEqual((yield* Ref.get(seen)).length, 1)
      const e = yield* Effect.flip(WebhookHandler.receive({ body, headers: {} }, handler, { secrets: secret }))
      assert.isTrue(e instanceof Error && "reason" in e && e.reason === "MissingHeader")
    }).pipe(Effect.provide(WebhookDedupe.layerMemory())))

  it.effect("dedupe: an event of an unknown type without an id runs once per delivery", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0 * 1000)
      const { handler, seen } = yield* recorder
      const body = JSON.stringify({ type: "ping", data: { note: "no id here" } })
      const headers = { "X-H-Webhook-Signature": nodeSign(SECRET, T0, body), "X-H-Webhook-Timestamp": String(T0) }
      const o1 = yield* WebhookHandler.receive({ body, headers }, handler, { secrets: secret })
      const o2 = yield* WebhookHandler.receive({ body, headers }, handler, { secrets: secret })
      assert.deepStrictEqual([o1._tag, o2._tag], ["Processed", "Duplicate"])
      // the same replay with the signature of the rotated-out secret added is still the same delivery
      const rotated = {
        ...headers,
        "X-H-Webhook-Signature": `${nodeSign(OLD_SECRET, T0, body)},${headers["X-H-Webhook-Signature"]}`
      }
      const o3 = yield* WebhookHandler.receive({ body, headers: rotated }, handler, { secrets: [oldSecret, secret] })
      assert.strictEqual(o3._tag, "Duplicate")
      // a new delivery of the same body (a new timestamp, so a new signature) is processed
      yield* TestClock.adjust("1 second")
      const later = { "X-H-Webhook-Signature": nodeSign(SECRET, T0 + 1, body), "X-H-Webhook-Timestamp": String(T0 + 1) }
      const o4 = yield* WebhookHandler.receive({ body, headers: later }, handler, { secrets: secret })
      assert.strictEqual(o4._tag, "Processed")
      assert.strictEqual((yield* Ref.get(seen)).length, 2)
    }).pipe(Effect.provide(WebhookDedupe.layerMemory())))

  it.effect("handler errors keep their type", () =>
    Effect.gen(function*() {
      yield* TestClock.setTime(T0 * 1000)
      const body = completedJson()
      const headers = yield* Webhook.sign({ body, secret })
      const error = yield* Effect.flip(
        WebhookHandler.receive({ body, headers: { ...headers } }, () => Effect.fail({ _tag: "Mine" } as const)).pipe(
          Effect.provide(WebhookConfig.layer({ secrets: secret }))
        )
      )
      assert.deepStrictEqual(error, { _tag: "Mine" })
    }))
})

describe("WebhookDedupe", () => {
  it.effect("memory: window from the TestClock, capacity bound", () =>
    Effect.gen(function*() {
      const dedupe = yield* WebhookDedupe.makeMemory({ ttl: "1 minute", capacity: 2 })
      assert.isTrue(yield* dedupe.claim("a"))
      assert.isFalse(yield* dedupe.claim("a"))
      yield* TestClock.adjust(Duration.seconds(61))
      assert.isTrue(yield* dedupe.claim("a"))
      assert.isTrue(yield* dedupe.claim("b"))
      assert.isTrue(yield* dedupe.claim("c"))
      assert.isTrue(yield* dedupe.claim("a"), "evicted by capacity")
      yield* dedupe.release("c")
      assert.isTrue(yield* dedupe.claim("c"))
    }))

  it.effect("KeyValueStore-backed", () =>
    Effect.gen(function*() {
      const dedupe = yield* WebhookDedupe.makeKeyValueStore({ ttl: "1 minute" })
      assert.isTrue(yield* dedupe.claim("a"))
      assert.isFalse(yield* dedupe.claim("a"))
      const store = yield* KeyValueStore.KeyValueStore
      assert.isTrue((yield* store.size) === 1)
      yield* TestClock.adjust(Duration.seconds(61))
      assert.isTrue(yield* dedupe.claim("a"))
      yield* dedupe.release("a")
      assert.isTrue(yield* dedupe.claim("a"))
    }).pipe(Effect.provide(KeyValueStore.layerMemory)))
})

describe("WebhookConfig", () => {
  it.effect("layerConfig reads a comma separated list and a tolerance", () =>
    Effect.gen(function*() {
      const config = yield* WebhookConfig.WebhookConfig
      assert.strictEqual(config.secrets.length, 2)
      assert.strictEqual(Redacted.value(config.secrets[1]), SECRET)
      assert.strictEqual(Duration.toSeconds(config.tolerance), 120)
      assert.notInclude(String(config.secrets[0]), OLD_SECRET)
    }).pipe(
      Effect.provide(
        WebhookConfig.layerConfig().pipe(Layer.provide(Layer.setConfigProvider(
          ConfigProvider.fromMap(
            new Map([["HAI_WEBHOOK_SECRET", `${OLD_SECRET},${SECRET}`], ["HAI_WEBHOOK_TOLERANCE", "2 minutes"]])
          )
        )))
      )
    ))

  it.effect("defaults to 300 s", () =>
    Effect.gen(function*() {
      const config = yield* WebhookConfig.WebhookConfig
      assert.strictEqual(Duration.toSeconds(config.tolerance), 300)
    }).pipe(Effect.provide(WebhookConfig.layer({ secrets: secret }))))
})
