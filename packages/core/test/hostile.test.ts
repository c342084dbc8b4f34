/**
 * A hostile server of our own on loopback, over undici and over fetch: waits it asks for that
 * would hold a call for years, bodies nested 100,000 deep or megabytes long, and bodies that
 * echo the client's key back. Whatever it sends, every call returns in bounded time with an
 * error that can be printed every way an application prints errors, and that never shows the key.
 */
import { FetchHttpClient } from "@effect/platform"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Cause, Effect, Layer, Schema } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as util from "node:util"
import { HaiAgents, HaiError, RetryPolicy } from "../src/index.js"

const SESSION_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
const KEY = "hk-HOSTILE-0123456789abcdef"

interface Answer {
  readonly status: number
  readonly headers?: Readonly<Record<string, string>>
  readonly body: string
}

/** A server answering each request with `answer(request's authorization header)`. */
const hostileServer = Effect.acquireRelease(
  Effect.async<
    { url: string; requests: () => number; set: (f: (auth: string) => Answer) => void; server: http.Server }
  >(
    (resume) => {
      let requests = 0
      let answer: (auth: string) => Answer = () => ({ status: 200, body: "{}" })
      const server = http.createServer((request, response) => {
        requests++
        request.resume()
        request.on("end", () => {
          const { body, headers, status } = answer(String(request.headers.authorization ?? ""))
          response.writeHead(status, { "content-type": "application/json", ...headers })
          response.end(body)
        })
      })
      server.keepAliveTimeout = 60_000
      server.listen(0, "127.0.0.1", () =>
        resume(Effect.succeed({
          url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
          requests: () => requests,
          set: (f) => {
            answer = f
          },
          server
        })))
    }
  ),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
)

const clients = { undici: NodeHttpClient.layerUndici, fetch: FetchHttpClient.layer } as const

/** Every way an application prints an error; none may throw. */
const renderings = (error: unknown, schema: Schema.Schema<any, any> = HaiError.HaiError): Record<string, string> => ({
  message: (error as Error).message,
  String: String(error),
  inspect: util.inspect(error, { depth: 20, showHidden: true, getters: true }),
  JSON: JSON.stringify(error),
  "Cause.pretty": Cause.pretty(Cause.fail(error)),
  "Schema.encode": JSON.stringify(Schema.encodeSync(schema)(error))
})

describe.each(Object.keys(clients) as Array<keyof typeof clients>)("a hostile server, over %s", (name) => {
  const layer = (url: string, options?: Partial<HaiAgents.Options>) =>
    HaiAgents.layer({ apiKey: KEY, baseUrl: url, ...options }).pipe(Layer.provide(clients[name]))

  const failure = <A>(
    url: string,
    use: (hai: HaiAgents.Service) => Effect.Effect<A, HaiError.HaiError>,
    options?: Partial<HaiAgents.Options>
  ) =>
    Effect.flatMap(HaiAgents.HaiAgents, use).pipe(
      Effect.provide(layer(url, options)),
      Effect.flip
    )

  it.scopedLive("no wait it asks for holds a call past the cap and the budget (hangs: 0)", () =>
    Effect.gen(function*() {
      const server = yield* hostileServer
      const attacks: ReadonlyArray<readonly [string, Answer, "get" | "create"]> = [
        ["Retry-After: 999999999", { status: 429, headers: { "retry-after": "999999999" }, body: "{}" }, "get"],
        ["Retry-After: 3600 on a create", { status: 503, headers: { "retry-after": "3600" }, body: "{}" }, "create"],
        ["retry-after-ms: 1e12", { status: 429, headers: { "retry-after-ms": "1e12" }, body: "{}" }, "get"],
        ["an HTTP date in 9999", {
          status: 429,
          headers: { "retry-after": "Fri, 31 Dec 9999 23:59:59 GMT" },
          body: "{}"
        }, "get"],
        ["a far X-RateLimit-Reset", { status: 429, headers: { "x-ratelimit-reset": "99999999999" }, body: "{}" }, "get"]
      ]
      const options: Partial<HaiAgents.Options> = {
        maxRetryAfter: "150 millis",
        retryBudget: "1 second",
        timeout: "2 seconds",
        retrySchedule: RetryPolicy.backoff({ base: "10 millis" })
      }
      const hangs: Array<string> = []
      for (const [attack, answer, op] of attacks) {
        server.set(() => answer)
        const before = server.requests()
        const started = Date.now()
        const error = yield* failure(
          server.url,
          (hai): Effect.Effect<unknown, HaiError.HaiError> =>
            op === "get" ? hai.sessions.status(SESSION_ID) : hai.sessions.create({ agent: "a" }),
          options
        ).pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => "hung" as const }), Effect.either)
        const elapsed = Date.now() - started
        // Bounded by the budget plus one request timeout (3 s); past twice that, the call was held
        // (a loaded machine can be slow, it cannot be that slow).
        if (error._tag === "Left" || elapsed > 6_000) hangs.push(`${attack}: ${elapsed} ms`)
        else {
          assert.oneOf(error.right._tag, ["RateLimited", "ServerError"], attack)
          // Two retries, each after the capped wait: the server's ask was honoured up to the cap.
          assert.strictEqual(server.requests() - before, 3, attack)
          assert.isAtLeast(elapsed, 280, `${attack}: the capped waits were not kept`)
        }
      }
      assert.deepStrictEqual(hangs, [], "calls held by the server")
    }))

  it.scopedLive("a body nested 100,000 deep or 10 MB long makes an error that prints, bounded", () =>
    Effect.gen(function*() {
      const server = yield* hostileServer
      const deep = "[".repeat(100_000) + "]".repeat(100_000)
      const long = JSON.stringify("x".repeat(10 * 1024 * 1024))
      const cases: ReadonlyArray<readonly [string, Answer]> = [
        ["404 deep detail", { status: 404, body: `{"detail": ${deep}}` }],
        ["422 deep detail", { status: 422, body: `{"detail": ${deep}}` }],
        ["422 deep input", {
          status: 422,
          body: `{"detail": [{"loc": ["body"], "msg": "bad", "type": "x", "input": ${deep}}]}`
        }],
        ["401 deep body", { status: 401, body: deep }],
        ["409 10 MB detail", { status: 409, body: `{"detail": ${long}}` }],
        ["429 10 MB detail", { status: 429, body: `{"detail": ${long}}` }],
        ["500 deep detail", { status: 500, body: `{"detail": ${deep}}` }],
        ["200 deep answer", { status: 200, body: `{"status": ${deep}}` }],
        ["200 10 MB text", { status: 200, body: long.slice(1) }],
        ["418 10 MB text", { status: 418, body: long }]
      ]
      for (const [label, answer] of cases) {
        server.set(() => answer)
        const error = yield* failure(server.url, (hai) => hai.sessions.status(SESSION_ID), {
          retrySchedule: RetryPolicy.none
        })
        for (const [how, text] of Object.entries(renderings(error))) {
          assert.isBelow(text.length, 40_000, `${label}: ${how} is ${text.length} characters`)
        }
      }
    }))

  it.scopedLive("a server that echoes the key: it is in no error, however printed", () =>
    Effect.gen(function*() {
      const server = yield* hostileServer
      const echoes: ReadonlyArray<readonly [string, (auth: string) => Answer]> = [
        ["401 detail", (auth) => ({ status: 401, body: JSON.stringify({ detail: `bad key ${auth}` }) })],
        ["404 nested", (auth) => ({ status: 404, body: JSON.stringify({ detail: { [auth]: [auth, { k: auth }] } }) })],
        ["422 list", (auth) => ({
          status: 422,
          body: JSON.stringify({ detail: [{ loc: ["header", auth], msg: `invalid ${auth}`, type: "x", input: auth }] })
        })],
        ["429 detail", (auth) => ({ status: 429, body: JSON.stringify({ detail: auth }) })],
        ["500 text", (auth) => ({ status: 500, headers: { "content-type": "text/plain" }, body: `boom ${auth}` })],
        ["418 text", (auth) => ({ status: 418, body: `teapot ${auth}` })],
        ["200 HTML", (auth) => ({ status: 200, headers: { "content-type": "text/html" }, body: `<p>${auth}</p>` })],
        ["200 mismatch", (auth) => ({ status: 200, body: JSON.stringify({ status: { [auth]: auth } }) })],
        ["200 wrong type", (auth) => ({ status: 200, body: JSON.stringify({ status: "running", steps: auth }) })]
      ]
      for (const [label, echo] of echoes) {
        server.set(echo)
        const error = yield* failure(server.url, (hai) => hai.sessions.status(SESSION_ID), {
          retrySchedule: RetryPolicy.none
        })
        for (const [how, text] of Object.entries(renderings(error))) {
          assert.notInclude(text, KEY, `${label}: ${how} shows the key`)
          assert.notInclude(text, KEY.slice(3), `${label}: ${how} shows the key`)
        }
      }
    }))
})

describe("errors made elsewhere from server values print too", () => {
  const deep = JSON.parse("[".repeat(100_000) + "]".repeat(100_000))

  it("AnswerValidationError with a 100,000-deep raw answer", () => {
    const error = new HaiError.AnswerValidationError({ sessionId: SESSION_ID, raw: deep, issues: "Expected object" })
    for (const [how, text] of Object.entries(renderings(error, HaiError.AnswerValidationError))) {
      assert.isBelow(text.length, 40_000, `${how}`)
    }
  })

  it("SessionFailed with a 10 MB error text", () => {
    const error = new HaiError.SessionFailed({ sessionId: SESSION_ID, status: "failed", error: "e".repeat(10_000_000) })
    assert.isBelow(error.message.length, 10_000)
    assert.isBelow(Cause.pretty(Cause.fail(error)).length, 40_000)
  })

  it("a HaiError built by hand with a deep detail (MCP, RPC) renders bounded", () => {
    const error = new HaiError.NotFound({ method: "GET", url: "https://x", detail: deep })
    assert.isBelow(error.message.length, 10_000)
    assert.isBelow(String(error).length, 10_000)
  })
})

describe("what the error keeps is bounded", () => {
  it.scopedLive("depth and size of a kept detail", () =>
    Effect.gen(function*() {
      const server = yield* hostileServer
      server.set(() => ({ status: 404, body: `{"detail": ${"[".repeat(1000)}"x"${"]".repeat(1000)}}` }))
      const error = yield* Effect.flatMap(HaiAgents.HaiAgents, (hai) => hai.sessions.get(SESSION_ID)).pipe(
        Effect.provide(
          HaiAgents.layer({ apiKey: KEY, baseUrl: server.url, retrySchedule: RetryPolicy.none }).pipe(
            Layer.provide(FetchHttpClient.layer)
          )
        ),
        Effect.flip
      )
      assert.strictEqual(error._tag, "NotFound")
      let depth = 0
      let value: unknown = (error as HaiError.NotFound).detail
      while (Array.isArray(value)) {
        depth++
        value = value[0]
      }
      assert.isAtMost(depth, 10)
      assert.strictEqual(value, "[…]", "the cut is marked")
    }))
})
