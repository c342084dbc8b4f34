import { assert, describe, it } from "@effect/vitest"
import { Cause, Duration, Effect, Exit, FastCheck, Redacted, Schema, TestClock } from "effect"
import type { WebhookError } from "../src/index.js"
import { Webhook, WebhookEvent } from "../src/index.js"
import { completedJson, nodeSign, OLD_SECRET, oldSecret, SECRET, secret, T0 } from "./utils.js"

const atT0 = TestClock.setTime(T0 * 1000)

const verifyAt = (options: Partial<Webhook.VerifyOptions> & { body: string | Uint8Array }) =>
  Webhook.verify({
    signature: nodeSign(SECRET, T0, options.body),
    timestamp: String(T0),
    secrets: secret,
    ...options
  })

const reasonOf = <A>(effect: Effect.Effect<A, WebhookError.WebhookVerificationError>) =>
  Effect.map(Effect.flip(effect), (e) => e.reason)

describe("Webhook.verify", () => {
  it.effect("accepts a delivery signed independently with node:crypto (string body)", () =>
    Effect.gen(function*() {
      yield* atT0
      const body = completedJson()
      const event = yield* verifyAt({ body })
      assert.instanceOf(event, WebhookEvent.SessionCompleted)
      assert.strictEqual(String(event.type), "session.completed")
      if (event.type === "session.completed") {
        assert.strictEqual(event.data.session_id, "sess_1")
        assert.strictEqual(event.data.status, "completed")
        assert.strictEqual(event.data.previous_status, "running")
      }
    }))

  it.effect("accepts raw bytes, verified as sent (not re-serialised)", () =>
    Effect.gen(function*() {
      yield* atT0
      const text = `{ "type" : "session.idle",\n "id":"evt_9","created_at":"2026-11-30T12:00:00Z",`
        + `"data":{"session_id":"s","status":"idle","previous_status":"running","extra":"é"} }`
      const bytes = new TextEncoder().encode(text)
      const event = yield* verifyAt({ body: bytes, signature: nodeSign(SECRET, T0, bytes) })
      assert.strictEqual(String(event.type), "session.idle")
      const fromString = yield* verifyAt({ body: text, signature: nodeSign(SECRET, T0, bytes) })
      assert.strictEqual(fromString.id, "evt_9")
    }))

  it.effect("known vector", () =>
    Effect.gen(function*() {
      const sig = yield* Webhook.computeSignature({ body: "{}", secret: Redacted.make("k"), timestamp: 1 })
      assert.strictEqual(sig, nodeSign("k", 1, "{}"))
      assert.match(sig, /^sha256=[0-9a-f]{64}$/)
    }))

  it.effect("tampered body, timestamp and signature are rejected", () =>
    Effect.gen(function*() {
      yield* atT0
      const body = completedJson()
      const signature = nodeSign(SECRET, T0, body)
      assert.strictEqual(
        yield* reasonOf(verifyAt({ body: body.replace("sess_1", "sess_2"), signature })),
        "SignatureMismatch"
      )
      assert.strictEqual(yield* reasonOf(verifyAt({ body: body + " ", signature })), "SignatureMismatch")
      assert.strictEqual(
        yield* reasonOf(verifyAt({ body, signature, timestamp: String(T0 - 1) })),
        "SignatureMismatch"
      )
      const flipped = signature.slice(0, -1) + (signature.endsWith("0") ? "1" : "0")
      assert.strictEqual(yield* reasonOf(verifyAt({ body, signature: flipped })), "SignatureMismatch")
      assert.strictEqual(yield* reasonOf(verifyAt({ body, signature: signature.slice(7) })), "SignatureMismatch")
      assert.strictEqual(
        yield* reasonOf(verifyAt({ body, signature: signature.replace("sha256=", "sha1=") })),
        "SignatureMismatch"
      )
      assert.strictEqual(yield* reasonOf(verifyAt({ body, signature: signature.slice(0, -2) })), "SignatureMismatch")
      assert.strictEqual(
        yield* reasonOf(verifyAt({ body, signature: "sha256=" + "zz".repeat(32) })),
        "SignatureMismatch"
      )
    }))

  it.effect("missing headers say which one", () =>
    Effect.gen(function*() {
      yield* atT0
      const body = completedJson()
      const e1 = yield* Effect.flip(verifyAt({ body, signature: undefined }))
      assert.strictEqual(e1.reason, "MissingHeader")
      assert.strictEqual(e1.header, "X-H-Webhook-Signature")
      const e2 = yield* Effect.flip(verifyAt({ body, timestamp: null }))
      assert.strictEqual(e2.reason, "MissingHeader")
      assert.strictEqual(e2.header, "X-H-Webhook-Timestamp")
      const e3 = yield* Effect.flip(verifyAt({ body, timestamp: "  " }))
      assert.strictEqual(e3.header, "X-H-Webhook-Timestamp")
      assert.strictEqual(e3.status, 401)
    }))

  it.effect("malformed timestamps", () =>
    Effect.gen(function*() {
      yield* atT0
      const body = completedJson()
      for (const timestamp of ["abc", "12.5", "-5", "1e9", "0x10", "99999999999999999999"]) {
        assert.strictEqual(yield* reasonOf(verifyAt({ body, timestamp })), "InvalidTimestamp", timestamp)
      }
    }))

  it.effect("clock skew: 300 s tolerance by default, against the TestClock", () =>
    Effect.gen(function*() {
      const body = completedJson()
      yield* TestClock.setTime((T0 + 300) * 1000)
      yield* verifyAt({ body })
      yield* TestClock.setTime((T0 + 301) * 1000)
      assert.strictEqual(yield* reasonOf(verifyAt({ body })), "TimestampTooOld")
      yield* TestClock.setTime((T0 - 300) * 1000)
      yield* verifyAt({ body })
      yield* TestClock.setTime((T0 - 301) * 1000)
      assert.strictEqual(yield* reasonOf(verifyAt({ body })), "TimestampInFuture")
    }))

  it.effect("custom tolerance", () =>
    Effect.gen(function*() {
      const body = completedJson()
      yield* TestClock.setTime((T0 + 61) * 1000)
      assert.strictEqual(yield* reasonOf(verifyAt({ body, tolerance: "1 minute" })), "TimestampTooOld")
      yield* verifyAt({ body, tolerance: "2 minutes" })
      yield* TestClock.setTime((T0 + 86_400) * 1000)
      yield* verifyAt({ body, tolerance: Duration.infinity })
    }))

  it.effect("the timestamp is checked even when the signature is right (replay)", () =>
    Effect.gen(function*() {
      const body = completedJson()
      yield* TestClock.setTime((T0 + 3600) * 1000)
      assert.strictEqual(yield* reasonOf(verifyAt({ body })), "TimestampTooOld")
    }))

  it.effect("rotation: old secret, new secret, neither", () =>
    Effect.gen(function*() {
      yield* atT0
      const body = completedJson()
      const secrets = [oldSecret, secret]
      yield* verifyAt({ body, secrets, signature: nodeSign(OLD_SECRET, T0, body) })
      yield* verifyAt({ body, secrets, signature: nodeSign(SECRET, T0, body) })
      assert.strictEqual(
        yield* reasonOf(verifyAt({ body, secrets, signature: nodeSign("whsec_other", T0, body) })),
        "SignatureMismatch"
      )
      assert.strictEqual(
        yield* reasonOf(verifyAt({ body, secrets: [secret], signature: nodeSign(OLD_SECRET, T0, body) })),
        "SignatureMismatch"
      )
      assert.strictEqual(yield* reasonOf(verifyAt({ body, secrets: [] })), "SignatureMismatch")
      assert.strictEqual(yield* reasonOf(verifyAt({ body, secrets: [Redacted.make("")] })), "SignatureMismatch")
    }))

  it.effect("errors never reveal the secret", () =>
    Effect.gen(function*() {
      yield* atT0
      const body = completedJson()
      const e = yield* Effect.flip(verifyAt({ body, signature: nodeSign("x", T0, body) }))
      const shown = `${String(e)} ${JSON.stringify(e)} ${e.message}`
      assert.notInclude(shown, SECRET)
      assert.strictEqual(e._tag, "WebhookVerificationError")
    }))

  it.effect("signed but unparsable or mismatching bodies are InvalidPayload (400)", () =>
    Effect.gen(function*() {
      yield* atT0
      for (
        const body of [
          "not json",
          "",
          "[]",
          "null",
          JSON.stringify({ type: "session.completed", id: "e", created_at: "x" }),
          JSON.stringify({ type: "session.failed", id: "e", created_at: "x", data: { status: "failed" } }),
          JSON.stringify({ id: "e" }),
          JSON.stringify({ type: 42 })
        ]
      ) {
        const e = yield* Effect.flip(verifyAt({ body }))
        assert.strictEqual(e.reason, "InvalidPayload", body)
        assert.strictEqual(e.status, 400)
      }
      const invalidUtf8 = new Uint8Array([0x7b, 0xff, 0x7d])
      const e = yield* Effect.flip(verifyAt({ body: invalidUtf8, signature: nodeSign(SECRET, T0, invalidUtf8) }))
      assert.strictEqual(e.reason, "InvalidPayload")
    }))

  it.effect("verifySignature does not decode", () =>
    Effect.gen(function*() {
      yield* atT0
      const body = "not json at all"
      yield* Webhook.verifySignature({
        body,
        signature: nodeSign(SECRET, T0, body),
        timestamp: String(T0),
        secrets: secret
      })
    }))

  it.effect("sign produces headers that verify, with the Clock's time by default", () =>
    Effect.gen(function*() {
      yield* atT0
      const body = completedJson()
      const headers = yield* Webhook.sign({ body, secret })
      assert.strictEqual(headers["X-H-Webhook-Timestamp"], String(T0))
      assert.strictEqual(headers["X-H-Webhook-Signature"], nodeSign(SECRET, T0, body))
      yield* Webhook.verify({
        body,
        signature: headers["X-H-Webhook-Signature"],
        timestamp: headers["X-H-Webhook-Timestamp"],
        secrets: secret
      })
      const event = new WebhookEvent.SessionFailed({
        id: "evt_f",
        created_at: "2026-11-30T12:00:00Z",
        data: new WebhookEvent.SessionStatusData({ session_id: "s", status: "failed", previous_status: "running" })
      })
      const signed = yield* Webhook.signEvent({ event, secret })
      const back = yield* Webhook.verify({
        body: signed.body,
        signature: signed.headers["X-H-Webhook-Signature"],
        timestamp: signed.headers["X-H-Webhook-Timestamp"],
        secrets: secret
      })
      assert.deepStrictEqual(back, event)
    }))

  it.effect("an event without created_at is accepted (the official TypeScript SDK's vectors omit it)", () =>
    Effect.gen(function*() {
      yield* atT0
      const body = JSON.stringify({
        type: "session.completed",
        id: "evt_no_created_at",
        data: { session_id: "sess_1", status: "completed", previous_status: "running" }
      })
      const event = yield* verifyAt({ body })
      assert.instanceOf(event, WebhookEvent.SessionCompleted)
      assert.strictEqual(event.id, "evt_no_created_at")
      assert.strictEqual(event.created_at, undefined)
      // and it encodes back without inventing one
      assert.deepStrictEqual(JSON.parse(yield* WebhookEvent.encodeJson(event)), JSON.parse(body))
    }))

  it.effect("a header of many forged signatures costs one HMAC per secret, and more than 16 are refused", () =>
    Effect.gen(function*() {
      yield* atT0
      const body = completedJson()
      const good = nodeSign(SECRET, T0, body)
      const forged = (n: number) => Array.from({ length: n }, (_, i) => "sha256=" + i.toString(16).padStart(64, "0"))
      const subtle = globalThis.crypto.subtle
      const calls = { sign: 0, verify: 0 }
      const sign = subtle.sign.bind(subtle)
      const verify = subtle.verify.bind(subtle)
      const spied = Effect.acquireRelease(
        Effect.sync(() => {
          subtle.sign = (...args: Parameters<typeof sign>) => (calls.sign++, sign(...args))
          subtle.verify = (...args: Parameters<typeof verify>) => (calls.verify++, verify(...args))
        }),
        () =>
          Effect.sync(() => {
            delete (subtle as { sign?: unknown }).sign
            delete (subtle as { verify?: unknown }).verify
          })
      )
      yield* Effect.scoped(Effect.gen(function*() {
        yield* spied
        const secrets = [Redacted.make("whsec_a"), Redacted.make("whsec_b"), Redacted.make("whsec_c"), secret]
        // 15 forged entries and the right one last: accepted, with one MAC per secret at most
        yield* verifyAt({ body, secrets, signature: [...forged(15), good].join(",") })
        assert.isAtMost(calls.sign + calls.verify, secrets.length)
        calls.sign = 0
        calls.verify = 0
        // 220 forged entries (and the right one): refused before any MAC is computed
        const e = yield* Effect.flip(verifyAt({ body, secrets, signature: [...forged(220), good].join(" ") }))
        assert.strictEqual(e.reason, "SignatureMismatch")
        assert.include(e.message, "more than 16 signatures")
        assert.strictEqual(calls.sign + calls.verify, 0)
      }))
    }))

  it.effect.prop(
    "arbitrary signed bodies never defect: an event or InvalidPayload",
    [FastCheck.oneof(FastCheck.string(), FastCheck.json(), FastCheck.uint8Array({ maxLength: 256 }))],
    ([body]) =>
      Effect.gen(function*() {
        yield* atT0
        const exit = yield* Effect.exit(verifyAt({ body, signature: nodeSign(SECRET, T0, body) }))
        if (Exit.isFailure(exit)) {
          assert.isFalse(Cause.isDie(exit.cause))
          const e = Cause.failureOption(exit.cause)
          assert.isTrue(e._tag === "Some" && e.value.reason === "InvalidPayload")
        }
      }),
    { fastCheck: { numRuns: 200 } }
  )

  it.effect.prop(
    "arbitrary headers and bodies never defect",
    [
      FastCheck.oneof(FastCheck.string(), FastCheck.uint8Array({ maxLength: 64 })),
      FastCheck.option(FastCheck.string(), { nil: undefined }),
      FastCheck.option(FastCheck.oneof(FastCheck.string(), FastCheck.nat().map(String)), { nil: undefined })
    ],
    ([body, signature, timestamp]) =>
      Effect.gen(function*() {
        yield* atT0
        const exit = yield* Effect.exit(Webhook.verify({ body, signature, timestamp, secrets: secret }))
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isFailure(exit)) {
          assert.isFalse(Cause.isDie(exit.cause))
          assert.isTrue(Cause.failureOption(exit.cause)._tag === "Some")
        }
      }),
    { fastCheck: { numRuns: 200 } }
  )
})

describe("WebhookEvent", () => {
  const decode = Schema.decodeUnknownSync(WebhookEvent.WebhookEventFromJson)

  it("decodes every known type to its class", () => {
    const cases = [
      ["session.status_updated", WebhookEvent.SessionStatusUpdated],
      ["session.completed", WebhookEvent.SessionCompleted],
      ["session.failed", WebhookEvent.SessionFailed],
      ["session.idle", WebhookEvent.SessionIdle],
      ["session.timed_out", WebhookEvent.SessionTimedOut],
      ["session.awaiting_tool_results", WebhookEvent.SessionAwaitingToolResults]
    ] as const
    for (const [type, cls] of cases as ReadonlyArray<readonly [string, new(...args: Array<any>) => unknown]>) {
      const e = decode(JSON.stringify({
        type,
        id: "e",
        created_at: "2026-11-30T12:00:00Z",
        data: { session_id: "s", status: "running", previous_status: null }
      }))
      assert.instanceOf(e, cls)
      assert.isTrue(WebhookEvent.isSessionEvent(e))
    }
  })

  it("unknown types decode to UnknownWebhookEvent, never fail (ping included)", () => {
    const ping = decode(JSON.stringify({ type: "ping", id: "evt_ping", created_at: "2026-11-30T12:00:00Z" }))
    assert.instanceOf(ping, WebhookEvent.UnknownWebhookEvent)
    assert.strictEqual(String(ping.type), "ping")
    assert.strictEqual((ping as WebhookEvent.UnknownWebhookEvent).typeName, "ping")
    assert.isFalse(WebhookEvent.isSessionEvent(ping))
    const other = decode(JSON.stringify({ type: "session.created", id: "x", data: { anything: [1, 2] }, more: 1 }))
    assert.instanceOf(other, WebhookEvent.UnknownWebhookEvent)
    assert.deepStrictEqual((other as WebhookEvent.UnknownWebhookEvent).data, { anything: [1, 2] })
    const bare = decode(JSON.stringify({ type: "webhook.test" }))
    assert.strictEqual(bare.id, undefined)
  })

  it("narrowing on a known literal still works", () => {
    const e: WebhookEvent.WebhookEvent = decode(completedJson())
    if (e.type === "session.completed") {
      const id: string = e.data.session_id
      assert.strictEqual(id, "sess_1")
    } else {
      assert.fail("expected session.completed")
    }
  })

  it("unknown and missing statuses decode", () => {
    const e = decode(JSON.stringify({
      type: "session.status_updated",
      id: "e",
      created_at: "2026-11-30T12:00:00Z",
      data: { session_id: "s", status: "hibernating" }
    })) as WebhookEvent.SessionStatusUpdated
    assert.strictEqual(e.data.status, "hibernating")
    assert.isFalse(WebhookEvent.isTrajectoryStatus(e.data.status))
    assert.strictEqual(e.data.previous_status, null)
    assert.isFalse(WebhookEvent.isSettled(e))
  })

  it("isSettled", () => {
    const mk = (status: string) =>
      decode(JSON.stringify({
        type: "session.status_updated",
        id: "e",
        created_at: "t",
        data: { session_id: "s", status }
      }))
    assert.isTrue(WebhookEvent.isSettled(mk("idle")))
    assert.isTrue(WebhookEvent.isSettled(mk("interrupted")))
    assert.isFalse(WebhookEvent.isSettled(mk("running")))
  })

  it.prop("schema round trip", [WebhookEvent.SessionEvent], ([event]) => {
    const back = decode(Schema.encodeSync(WebhookEvent.WebhookEventFromJson)(event))
    assert.deepStrictEqual(back, event)
  })
})
