/**
 * How every failure reaches the caller: the tagged error of each status, decode failures with the
 * bad field, requests refused before sending, lost connections, and the API key kept out of all
 * of it.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as LogLevel from "effect/LogLevel"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as TestClock from "effect/TestClock"
import * as util from "node:util"
import * as HaiAgents from "../src/HaiAgents.js"
import * as HaiError from "../src/HaiError.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import * as Wire from "../src/Wire.js"
import type { Fake, Reply } from "./support/fake.js"
import { API_KEY, call, empty, fake, json, SESSION_ID } from "./support/fake.js"
import { recording } from "./support/tracer.js"

const noRetry = { retrySchedule: RetryPolicy.none }

/** The error of `sessions.get` when the server answers `reply`, without retries. */
const getError = (reply: Reply) => {
  const f = fake(() => reply)
  return call(f, (hai) => hai.sessions.get(SESSION_ID), noRetry).pipe(Effect.flip)
}

const statusJson = { status: "running" }

describe("status codes map to tagged errors", () => {
  for (const status of [401, 403] as const) {
    it.effect(`${status} -> Unauthorized`, () =>
      Effect.gen(function*() {
        const error = yield* getError(json(status, { detail: "Not authenticated" }))
        assert.strictEqual(error._tag, "Unauthorized")
        if (error._tag !== "Unauthorized") return
        assert.strictEqual(error.status, status)
        assert.strictEqual(error.detail, "Not authenticated")
        assert.strictEqual(error.method, "GET")
        assert.include(error.url, `/api/v2/sessions/${SESSION_ID}`)
        assert.include(error.message, "Not authenticated")
      }))
  }

  it.effect("404 -> NotFound with the detail", () =>
    Effect.gen(function*() {
      const error = yield* getError(json(404, { detail: "Session not found" }))
      assert.strictEqual(error._tag, "NotFound")
      if (error._tag === "NotFound") assert.strictEqual(error.detail, "Session not found")
      assert.isTrue(HaiError.isHaiError(error))
    }))

  it.effect("408 -> TimeoutError with status 408", () =>
    Effect.gen(function*() {
      const error = yield* getError(json(408, { detail: "timeout" }))
      assert.strictEqual(error._tag, "TimeoutError")
      if (error._tag === "TimeoutError") assert.strictEqual(error.status, 408)
      assert.include(error.message, "408")
    }))

  it.effect("409 -> Conflict", () =>
    Effect.gen(function*() {
      const error = yield* getError(json(409, { detail: "Session already finished" }))
      assert.strictEqual(error._tag, "Conflict")
      if (error._tag === "Conflict") assert.strictEqual(error.detail, "Session already finished")
    }))

  it.effect("422 -> Unprocessable with the detail list decoded", () =>
    Effect.gen(function*() {
      const detail = [
        { loc: ["body", "max_steps"], msg: "Input should be greater than or equal to 1", type: "greater_than_equal" },
        { loc: ["body", "messages", 0], msg: "Field required", type: "missing", input: {} }
      ]
      const f = fake(() => json(422, { detail }))
      const error = yield* call(f, (hai) => hai.sessions.create({ agent: "a" }), noRetry).pipe(Effect.flip)
      assert.strictEqual(error._tag, "Unprocessable")
      if (error._tag !== "Unprocessable") return
      assert.strictEqual(error.detail.length, 2)
      assert.instanceOf(error.detail[0], Wire.ValidationError)
      assert.deepStrictEqual(error.detail[0].loc, ["body", "max_steps"])
      assert.deepStrictEqual(error.detail[1].loc, ["body", "messages", 0])
      assert.strictEqual(error.detail[1].type, "missing")
      assert.include(error.message, "body.max_steps: Input should be greater than or equal to 1")
    }))

  it.effect("422 with a body that is not a detail list keeps it raw", () =>
    Effect.gen(function*() {
      const error = yield* getError(json(422, { detail: "same key, different body" }))
      assert.strictEqual(error._tag, "Unprocessable")
      if (error._tag !== "Unprocessable") return
      assert.deepStrictEqual(error.detail, [])
      assert.strictEqual(error.raw, "same key, different body")
      assert.include(error.message, "same key, different body")
    }))

  it.effect("429 -> RateLimited with retryAfterMillis", () =>
    Effect.gen(function*() {
      const error = yield* getError(json(429, { detail: "Too many sessions" }, { "retry-after": "3" }))
      assert.strictEqual(error._tag, "RateLimited")
      if (error._tag !== "RateLimited") return
      assert.strictEqual(error.retryAfterMillis, 3000)
      assert.strictEqual(error.detail, "Too many sessions")
      assert.include(error.message, "3s")
    }))

  it.effect("429 without a hint has no retryAfterMillis", () =>
    Effect.gen(function*() {
      const error = yield* getError(json(429, { detail: "slow down" }))
      assert.strictEqual(error._tag, "RateLimited")
      if (error._tag === "RateLimited") assert.isUndefined(error.retryAfterMillis)
    }))

  for (const status of [500, 502, 503]) {
    it.effect(`${status} -> ServerError`, () =>
      Effect.gen(function*() {
        const error = yield* getError({ status, text: "upstream exploded" })
        assert.strictEqual(error._tag, "ServerError")
        if (error._tag === "ServerError") {
          assert.strictEqual(error.status, status)
          assert.strictEqual(error.detail, "upstream exploded")
        }
      }))
  }

  it.effect("418 -> UnexpectedStatus with an excerpt", () =>
    Effect.gen(function*() {
      const error = yield* getError({ status: 418, text: "I'm a teapot" })
      assert.strictEqual(error._tag, "UnexpectedStatus")
      if (error._tag !== "UnexpectedStatus") return
      assert.strictEqual(error.status, 418)
      assert.strictEqual(error.excerpt, "I'm a teapot")
    }))

  it.effect("a 2xx the operation does not document is not taken as success", () =>
    Effect.gen(function*() {
      const error = yield* getError(json(201, statusJson))
      assert.strictEqual(error._tag, "UnexpectedStatus")
    }))
})

describe("answers that do not decode", () => {
  it.effect("malformed JSON -> DecodeError with an excerpt", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ status: 200, text: "{\"status\": \"runn" }))
      const error = yield* call(f, (hai) => hai.sessions.status(SESSION_ID), noRetry).pipe(Effect.flip)
      assert.strictEqual(error._tag, "DecodeError")
      if (error._tag !== "DecodeError") return
      assert.strictEqual(error.status, 200)
      assert.strictEqual(error.path, "")
      assert.strictEqual(error.excerpt, "{\"status\": \"runn")
    }))

  it.effect("a schema mismatch names the bad field", () =>
    Effect.gen(function*() {
      const body = { status: "running", steps: "many" }
      const f = fake(() => json(200, body))
      const error = yield* call(f, (hai) => hai.sessions.status(SESSION_ID), noRetry).pipe(Effect.flip)
      assert.strictEqual(error._tag, "DecodeError")
      if (error._tag !== "DecodeError") return
      assert.strictEqual(error.path, "steps")
      assert.strictEqual(error.excerpt, JSON.stringify(body))
      assert.include(error.message, "steps")
    }))

  it.effect("a nested mismatch gives the full path", () =>
    Effect.gen(function*() {
      const session = {
        id: SESSION_ID,
        request: { agent: "a" },
        status: { status: "running", usage_per_model: [{ model: 3 }] },
        created_at: "2026-11-30T12:00:00Z"
      }
      const f = fake(() => json(200, session))
      const error = yield* call(f, (hai) => hai.sessions.get(SESSION_ID), noRetry).pipe(Effect.flip)
      assert.strictEqual(error._tag, "DecodeError")
      if (error._tag === "DecodeError") assert.match(error.path, /^status\.usage_per_model\.0\./)
    }))

  it.effect("a missing required field is named", () =>
    Effect.gen(function*() {
      const f = fake(() => json(200, {}))
      const error = yield* call(f, (hai) => hai.sessions.status(SESSION_ID), noRetry).pipe(Effect.flip)
      assert.strictEqual(error._tag, "DecodeError")
      if (error._tag === "DecodeError") assert.strictEqual(error.path, "status")
    }))

  it.effect("an event whose type is an object without a usable toString -> DecodeError, not a defect", () =>
    Effect.gen(function*() {
      const text = `{"status":"running","new_events":[{"type":{"toString":null},"timestamp":"t","data":{}}]}`
      const f = fake(() => ({ status: 200, text }))
      const exit = yield* Effect.exit(call(f, (hai) => hai.sessions.changes(SESSION_ID), noRetry))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isSuccess(exit)) return
      assert.isFalse(Cause.isDie(exit.cause), `a defect instead of a typed error: ${Cause.pretty(exit.cause)}`)
      const error = Option.getOrThrow(Cause.failureOption(exit.cause))
      assert.strictEqual(error._tag, "DecodeError")
      if (error._tag === "DecodeError") assert.match(error.path, /^new_events\.0/)
    }))

  it.effect("a long body is cut in the excerpt", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ status: 200, text: `not json ${"x".repeat(5000)}` }))
      const error = yield* call(f, (hai) => hai.sessions.status(SESSION_ID), noRetry).pipe(Effect.flip)
      assert.strictEqual(error._tag, "DecodeError")
      if (error._tag === "DecodeError") assert.isBelow(error.excerpt.length, 400)
    }))
})

describe("requests refused before sending", () => {
  it.effect("a body over 10 MB -> RequestTooLarge and nothing sent", () =>
    Effect.gen(function*() {
      const f = fake(() => json(201, {}))
      const message = "x".repeat(10 * 1024 * 1024 + 1)
      const error = yield* call(f, (hai) => hai.sessions.create({ agent: "a", messages: message })).pipe(Effect.flip)
      assert.strictEqual(error._tag, "RequestTooLarge")
      if (error._tag !== "RequestTooLarge") return
      assert.strictEqual(error.limit, 10 * 1024 * 1024)
      assert.isAbove(error.size, 10 * 1024 * 1024)
      assert.strictEqual(f.sent.length, 0)
    }))

  it.effect("the size counts bytes, not characters", () =>
    Effect.gen(function*() {
      const f = fake(() => empty(202))
      // 600 three-byte characters: 1800 bytes of UTF-8 but only 600 UTF-16 units.
      const error = yield* call(
        f,
        (hai) => hai.sessions.sendMessages(SESSION_ID, { message: "€".repeat(600) }),
        { maxBodyBytes: 1000 }
      ).pipe(Effect.flip)
      assert.strictEqual(error._tag, "RequestTooLarge")
      assert.strictEqual(f.sent.length, 0)
    }))

  it.effect("a body at the limit is sent", () =>
    Effect.gen(function*() {
      const f = fake(() => empty(202))
      yield* call(f, (hai) => hai.sessions.sendMessages(SESSION_ID, { message: "hi" }), { maxBodyBytes: 1000 })
      assert.strictEqual(f.sent.length, 1)
    }))

  it.effect("max_steps: 0 -> InvalidRequest naming the field, nothing sent", () =>
    Effect.gen(function*() {
      const f = fake(() => json(201, {}))
      const error = yield* call(f, (hai) => hai.sessions.create({ agent: "a", max_steps: 0 })).pipe(Effect.flip)
      assert.strictEqual(error._tag, "InvalidRequest")
      if (error._tag !== "InvalidRequest") return
      assert.strictEqual(error.operation, "sessions.create")
      assert.strictEqual(error.path, "max_steps")
      assert.strictEqual(f.sent.length, 0)
    }))

  it.effect("a wrongly typed body field -> InvalidRequest, nothing sent", () =>
    Effect.gen(function*() {
      const f = fake(() => json(201, {}))
      const error = yield* call(f, (hai) => hai.sessions.create({ agent: "a", queue: "yes" as any })).pipe(Effect.flip)
      assert.strictEqual(error._tag, "InvalidRequest")
      if (error._tag === "InvalidRequest") assert.strictEqual(error.path, "queue")
      assert.strictEqual(f.sent.length, 0)
    }))

  it.effect("a wrongly typed query parameter -> InvalidRequest, nothing sent", () =>
    Effect.gen(function*() {
      const f = fake(() => json(200, { items: [], total: 0, page: 1 }))
      const error = yield* call(f, (hai) => hai.sessions.list({ size: 500 })).pipe(Effect.flip)
      assert.strictEqual(error._tag, "InvalidRequest")
      if (error._tag === "InvalidRequest") assert.strictEqual(error.path, "size")
      const error2 = yield* call(f, (hai) => hai.sessions.changes(SESSION_ID, { wait_for_seconds: 26 })).pipe(
        Effect.flip
      )
      assert.strictEqual(error2._tag, "InvalidRequest")
      assert.strictEqual(f.sent.length, 0)
    }))

  it.effect("a missing required body -> InvalidRequest, nothing sent", () =>
    Effect.gen(function*() {
      const f = fake(() => empty(202))
      const error = yield* call(f, (hai) => hai.sessions.sendMessages(SESSION_ID, undefined as any)).pipe(Effect.flip)
      assert.strictEqual(error._tag, "InvalidRequest")
      assert.strictEqual(f.sent.length, 0)
    }))
})

describe("lost connections", () => {
  it.effect("a transport failure on GET -> TransportError after the retries", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ transportError: "ECONNRESET" }))
      const fiber = yield* Effect.fork(Effect.flip(call(f, (hai) => hai.sessions.status(SESSION_ID))))
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "TransportError")
      if (error._tag === "TransportError") assert.include(error.reason, "ECONNRESET")
      assert.strictEqual(f.sent.length, 3)
    }))

  it.effect("a transport failure on a POST without idempotency -> OutcomeUnknown, not retried", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ transportError: "socket hang up" }))
      const fiber = yield* Effect.fork(
        Effect.flip(call(f, (hai) => hai.sessions.sendMessages(SESSION_ID, { message: "buy one ticket" })))
      )
      yield* TestClock.adjust("1 minute")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "OutcomeUnknown")
      assert.strictEqual(f.sent.length, 1)
      assert.include(error.message, "not retried")
    }))

  it.effect("a timeout on a POST without idempotency -> OutcomeUnknown, not retried", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ never: true }))
      const fiber = yield* Effect.fork(Effect.flip(call(f, (hai) => hai.sessions.pause(SESSION_ID))))
      yield* TestClock.adjust("5 minutes")
      const error = yield* Fiber.join(fiber)
      assert.strictEqual(error._tag, "OutcomeUnknown")
      assert.strictEqual(f.sent.length, 1)
    }))

  it.effect("a transport failure on a create with an idempotency key is retried", () =>
    Effect.gen(function*() {
      const f = fake((_, i) => i < 2 ? { transportError: "ECONNRESET" } : json(201, {}))
      const fiber = yield* Effect.fork(Effect.flip(call(f, (hai) => hai.sessions.create({ agent: "a" }))))
      yield* TestClock.adjust("1 minute")
      yield* Fiber.join(fiber)
      assert.strictEqual(f.sent.length, 3)
    }))
})

// ---------------------------------------------------------------------------------------------
// Redaction
// ---------------------------------------------------------------------------------------------

const renderings = (value: unknown): ReadonlyArray<readonly [string, string]> => {
  const out: Array<readonly [string, string]> = [
    ["String", String(value)],
    ["JSON.stringify", JSON.stringify(value) ?? ""],
    ["toStringUnknown", Inspectable.toStringUnknown(value)],
    ["util.inspect", util.inspect(value, { depth: 20, showHidden: true, getters: true })]
  ]
  if (value instanceof Error) {
    out.push(["message", value.message], ["stack", value.stack ?? ""])
  }
  return out
}

const assertNoKey = (label: string, value: unknown) => {
  for (const [how, text] of renderings(value)) {
    assert.notInclude(text, API_KEY, `${label}: ${how} shows the API key`)
    assert.notInclude(text, "SECRET", `${label}: ${how} shows the API key`)
  }
}

describe("the API key never shows", () => {
  const scenarios: ReadonlyArray<readonly [string, Reply | ((f: Fake) => Reply)]> = [
    ["401", json(401, { detail: "Invalid API key" })],
    ["403", json(403, { detail: "Forbidden" })],
    ["404", json(404, { detail: "nope" })],
    ["408", empty(408)],
    ["409", json(409, { detail: "done" })],
    ["422", json(422, { detail: [{ loc: ["body"], msg: "bad", type: "x" }] })],
    ["429", json(429, { detail: "slow" }, { "retry-after": "1" })],
    ["500", { status: 500, text: "boom" }],
    ["418", { status: 418, text: "teapot" }],
    ["malformed", { status: 200, text: "{" }],
    ["mismatch", json(200, { status: 3 })],
    ["transport", { transportError: "ECONNREFUSED" }],
    ["timeout", { never: true }]
  ]

  for (const [name, reply] of scenarios) {
    it.effect(`${name}: error, cause and logs`, () =>
      Effect.gen(function*() {
        const lines: Array<string> = []
        const capture = Logger.make((options) => {
          lines.push(Logger.logfmtLogger.log(options))
          lines.push(Logger.jsonLogger.log(options))
          lines.push(JSON.stringify(Logger.structuredLogger.log(options)))
        })
        const f = fake(typeof reply === "function" ? () => reply(f) : () => reply)
        const fiber = yield* Effect.fork(
          call(f, (hai) => hai.sessions.status(SESSION_ID), noRetry).pipe(
            Effect.tapErrorCause((cause) => Effect.logError("call failed", cause)),
            Effect.exit,
            Effect.provide(Logger.replace(Logger.defaultLogger, capture)),
            Logger.withMinimumLogLevel(LogLevel.All)
          )
        )
        yield* TestClock.adjust("5 minutes")
        const exit = yield* Fiber.join(fiber)
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isSuccess(exit)) return
        const error = Option.getOrThrow(Cause.failureOption(exit.cause))
        assert.isTrue(HaiError.isHaiError(error))
        assertNoKey(`${name} error`, error)
        assertNoKey(`${name} cause`, exit.cause)
        assert.notInclude(Cause.pretty(exit.cause), API_KEY)
        assert.isAbove(lines.length, 0)
        for (const line of lines) assert.notInclude(line, API_KEY, `${name}: a log line shows the key`)
        // The request did carry it: the redaction is not because nothing was sent.
        assert.strictEqual(f.sent[0].headers["authorization"], `Bearer ${API_KEY}`)
      }))
  }

  it.effect("spans (names, attributes, events, exits) carry no key, the platform's request spans included", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recording()
      const f = fake((_, i) => i === 0 ? json(200, statusJson) : json(401, { detail: "bad key" }))
      yield* call(
        f,
        (hai) => Effect.exit(Effect.zip(hai.sessions.status(SESSION_ID), hai.sessions.status(SESSION_ID))),
        { httpSpans: true }
      ).pipe(Effect.withTracer(tracer))
      assert.isAbove(spans.length, 1)
      assert.isTrue(spans.some((s) => s.name === "HaiAgents.sessions.status"))
      // What an exporter sends: names, attributes, events, and the cause of failed spans.
      assert.isTrue(spans.some((s) => s.attributes.has("http.request.header.authorization")))
      for (const { attributes, events, name, span } of spans) {
        const status = span.status
        const failure = status._tag === "Ended" && Exit.isFailure(status.exit) ? Cause.pretty(status.exit.cause) : ""
        const dump = util.inspect({ name, attributes: [...attributes], events, failure }, { depth: 30 })
        assert.notInclude(dump, API_KEY, `span ${name} shows the key`)
      }
    }))

  it.effect("errors refused before sending carry no key either", () =>
    Effect.gen(function*() {
      const f = fake(() => json(201, {}))
      const invalid = yield* call(f, (hai) => hai.sessions.create({ agent: "a", max_steps: 0 })).pipe(Effect.flip)
      const tooLarge = yield* call(f, (hai) => hai.sessions.create({ agent: "a", messages: "x".repeat(50) }), {
        maxBodyBytes: 10
      }).pipe(Effect.flip)
      assertNoKey("InvalidRequest", invalid)
      assertNoKey("RequestTooLarge", tooLarge)
    }))

  it.effect("the client, its options and its layer options carry no key", () =>
    Effect.gen(function*() {
      const f = fake(() => json(200, statusJson))
      const hai = yield* call(f, (hai) => Effect.succeed(hai))
      assertNoKey("options", hai.options)
      assertNoKey("client", hai)
      assertNoKey("sessions", hai.sessions)
    }))

  it.effect("a key given as a plain string is redacted in the resolved options too", () =>
    Effect.gen(function*() {
      const f = fake(() => json(200, statusJson))
      const hai = yield* call(f, (hai) => Effect.succeed(hai), { apiKey: API_KEY })
      assert.notInclude(util.inspect(hai, { depth: 20, showHidden: true }), API_KEY)
    }))

  it.effect("errors encoded with the HaiError schema carry no key", () =>
    Effect.gen(function*() {
      const f = fake(() => json(401, { detail: "Invalid API key" }))
      const error = yield* call(f, (hai) => hai.sessions.status(SESSION_ID), noRetry).pipe(Effect.flip)
      const encoded = Schema.encodeSync(HaiError.HaiError)(error)
      assert.notInclude(JSON.stringify(encoded), API_KEY)
    }))
})

// ---------------------------------------------------------------------------------------------
// What a transport error keeps of the platform's error
// ---------------------------------------------------------------------------------------------

describe("a transport error keeps its cause and names it (16.4, 14.7)", () => {
  /** A client whose requests fail as undici and fetch fail: a RequestError over Node's error. */
  const failingWith = (cause: unknown, description?: string) => {
    const sent: Array<HttpClientRequest.HttpClientRequest> = []
    const client = HttpClient.make((request) => {
      sent.push(request)
      return Effect.fail(
        new HttpClientError.RequestError({
          request,
          reason: "Transport",
          cause,
          ...(description !== undefined ? { description } : {})
        })
      )
    })
    return { client, sent }
  }
  const nodeError = (code: string, message: string) => Object.assign(new Error(message), { code })
  const run = (client: HttpClient.HttpClient, use: (hai: HaiAgents.Service) => Effect.Effect<unknown, any>) =>
    Effect.flatMap(HaiAgents.HaiAgents, use).pipe(
      Effect.provide(
        HaiAgents.layer({ apiKey: API_KEY, baseUrl: "https://api.test", ...noRetry }).pipe(
          Layer.provide(Layer.succeed(HttpClient.HttpClient, client))
        )
      ),
      Effect.flip
    )

  it.effect("the platform's error is kept as cause, with Node's error under it", () =>
    Effect.gen(function*() {
      const refused = nodeError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:9")
      const { client } = failingWith(refused)
      const error = yield* run(client, (hai) => hai.sessions.status(SESSION_ID))
      assert.strictEqual(error._tag, "TransportError")
      assert.isTrue(HttpClientError.isHttpClientError(error.cause), "the platform's error is not kept")
      assert.strictEqual((error.cause as HttpClientError.RequestError).reason, "Transport")
      assert.strictEqual((error.cause as HttpClientError.RequestError).cause, refused)
      assert.strictEqual(error.kind, "ConnectionRefused")
    }))

  it.effect("the kept cause does not carry the key: inspect, message, String, JSON, Cause.pretty, encode", () =>
    Effect.gen(function*() {
      const { client, sent } = failingWith(nodeError("ECONNRESET", "socket hang up"))
      const error = yield* run(client, (hai) => hai.sessions.sendMessages(SESSION_ID, { message: "hi" }))
      assert.strictEqual(error._tag, "OutcomeUnknown")
      assert.isDefined(error.cause)
      assertNoKey("OutcomeUnknown with cause", error)
      assertNoKey("its cause", error.cause)
      assert.notInclude(Cause.pretty(Cause.fail(error)), API_KEY)
      assert.notInclude(JSON.stringify(Schema.encodeSync(HaiError.HaiError)(error)), API_KEY)
      assert.strictEqual(sent[0].headers["authorization"], `Bearer ${API_KEY}`)
    }))

  const kinds: ReadonlyArray<readonly [string, unknown, HaiError.TransportFailure, string]> = [
    [
      "connection refused",
      nodeError("ECONNREFUSED", "connect ECONNREFUSED"),
      "ConnectionRefused",
      "connection refused"
    ],
    ["DNS", nodeError("ENOTFOUND", "getaddrinfo ENOTFOUND nowhere.invalid"), "DnsLookup", "host name"],
    ["DNS, temporary", nodeError("EAI_AGAIN", "getaddrinfo EAI_AGAIN"), "DnsLookup", "host name"],
    ["TLS", nodeError("ERR_SSL_WRONG_VERSION_NUMBER", "wrong version number"), "Tls", "TLS"],
    ["a certificate", nodeError("DEPTH_ZERO_SELF_SIGNED_CERT", "self-signed certificate"), "Tls", "TLS"],
    ["connect timeout", nodeError("UND_ERR_CONNECT_TIMEOUT", "Connect Timeout Error"), "ConnectTimeout", "in time"],
    ["reset", nodeError("ECONNRESET", "read ECONNRESET"), "ConnectionReset", "closed"],
    ["unreachable", nodeError("EHOSTUNREACH", "connect EHOSTUNREACH"), "Unreachable", "unreachable"],
    // fetch: a TypeError over undici's error over Node's.
    [
      "fetch's TypeError",
      new TypeError("fetch failed", { cause: nodeError("ECONNREFUSED", "connect ECONNREFUSED 127.0.0.1:9") }),
      "ConnectionRefused",
      "connection refused"
    ],
    // Happy eyeballs: an AggregateError of one error per address tried.
    [
      "every address refused",
      new AggregateError([nodeError("ECONNREFUSED", "::1"), nodeError("ECONNREFUSED", "127.0.0.1")], "connect"),
      "ConnectionRefused",
      "connection refused"
    ]
  ]
  for (const [name, cause, kind, words] of kinds) {
    it.effect(`${name}: kind ${kind}, and the message says so`, () =>
      Effect.gen(function*() {
        const { client } = failingWith(cause)
        const error = yield* run(client, (hai) => hai.sessions.status(SESSION_ID))
        assert.strictEqual(error._tag, "TransportError")
        assert.strictEqual(error.kind, kind)
        assert.include(error.message, words)
      }))
  }

  it.effect("a reason the platform cannot name is still reported, as Other", () =>
    Effect.gen(function*() {
      const { client } = failingWith(new Error("something odd"))
      const error = yield* run(client, (hai) => hai.sessions.status(SESSION_ID))
      assert.strictEqual(error.kind, "Other")
      assert.include(error.message, "something odd")
    }))
})
