/**
 * The lean undici client against a real server, side by side with `NodeHttpClient.layerUndici`:
 * whatever a caller can observe (what the server receives, status, headers, cookies, every way
 * to read a body, errors, aborts) must be the same.
 */
import { FetchHttpClient, Headers, HttpBody, HttpClient, HttpClientRequest } from "@effect/platform"
import { NodeHttpClient } from "@effect/platform-node"
import * as Undici from "@effect/platform-node/Undici"
import { assert, describe, it } from "@effect/vitest"
import { HaiAgents, RetryPolicy } from "@hai-effect/core"
import { Chunk, Effect, Exit, Fiber, Layer, Stream, Tracer } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import { NodeHai, UndiciHttpClient } from "../src/index.js"

interface Received {
  readonly method: string
  readonly url: string
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

interface Server {
  readonly url: string
  readonly received: Array<Received>
  /** Connections the server saw closed by the client before it answered. */
  readonly aborted: () => number
}

const big = "x".repeat(1024 * 1024)

/** Routes: /echo answers what it received, /big 1 MiB, /slow never, /cookies two cookies, /form a form. */
const server = Effect.acquireRelease(
  Effect.async<Server & { readonly close: Effect.Effect<void> }>((resume) => {
    const received: Array<Received> = []
    let aborted = 0
    const http = Http.createServer((req, res) => {
      const chunks: Array<Buffer> = []
      req.on("data", (c: Buffer) => chunks.push(c))
      req.on("end", () => {
        const body = Buffer.concat(chunks).toString("utf8")
        received.push({ method: req.method!, url: req.url!, headers: req.headers, body })
        const path = req.url!.replace(/\?.*$/, "")
        if (path.startsWith("/slow")) {
          res.on("close", () => {
            if (!res.writableEnded) aborted++
          })
          return
        }
        if (path === "/big") {
          res.writeHead(200, { "content-type": "text/plain" })
          return res.end(big)
        }
        if (path === "/cookies") {
          res.setHeader("set-cookie", ["a=1; Path=/", "b=2; HttpOnly"])
          res.writeHead(204)
          return res.end()
        }
        if (path === "/form") {
          res.writeHead(200, { "content-type": "application/x-www-form-urlencoded" })
          return res.end("a=1&b=two")
        }
        res.writeHead(201, { "content-type": "application/json", "x-echo": "yes" })
        res.end(JSON.stringify({ method: req.method, url: req.url, body, type: req.headers["content-type"] ?? null }))
      })
    })
    http.listen(0, "127.0.0.1", () => {
      const { port } = http.address() as AddressInfo
      resume(Effect.succeed({
        url: `http://127.0.0.1:${port}`,
        received,
        aborted: () => aborted,
        close: Effect.async<void>((done) => {
          http.closeAllConnections()
          http.close(() => done(Effect.void))
        })
      }))
    })
  }),
  (s) => s.close
)

const clients: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
  ["UndiciHttpClient", UndiciHttpClient.layer],
  ["NodeHttpClient.layerUndici", NodeHttpClient.layerUndici]
]

/** What a caller sees of a set of exchanges, to compare the clients. */
const observe = (url: string) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    const echo = (request: HttpClientRequest.HttpClientRequest) =>
      Effect.flatMap(client.execute(request), (r) =>
        Effect.map(r.json, (json) => ({ status: r.status, echo: r.headers["x-echo"], json })))
    return {
      get: yield* echo(HttpClientRequest.get(`${url}/echo`, { urlParams: { q: "1 2", r: ["a", "b"] } })),
      text: yield* echo(HttpClientRequest.post(`${url}/echo`).pipe(HttpClientRequest.bodyText("héllo", "text/plain"))),
      json: yield* echo(HttpClientRequest.post(`${url}/echo`).pipe(HttpClientRequest.bodyUnsafeJson({ a: [1, 2] }))),
      params: yield* echo(HttpClientRequest.post(`${url}/echo`).pipe(HttpClientRequest.bodyUrlParams({ a: "1" }))),
      stream: yield* echo(
        HttpClientRequest.post(`${url}/echo`).pipe(
          HttpClientRequest.bodyStream(Stream.make(new TextEncoder().encode("ab"), new TextEncoder().encode("cd")), {
            contentType: "application/octet-stream"
          })
        )
      ),
      cookies: yield* Effect.map(
        client.get(`${url}/cookies`),
        (r) => ({ status: r.status, cookies: r.cookies.cookies })
      ),
      urlParams: yield* Effect.flatMap(client.get(`${url}/form`), (r) =>
        r.urlParamsBody),
      bigText: yield* Effect.flatMap(client.get(`${url}/big`), (r) => Effect.map(r.text, (t) => t.length)),
      bigBytes: yield* Effect.flatMap(client.get(`${url}/big`), (r) => Effect.map(r.arrayBuffer, (b) => b.byteLength)),
      bigStream: yield* Effect.flatMap(
        client.get(`${url}/big`),
        (r) => Effect.map(Stream.runCollect(r.stream), (chunks) => Chunk.reduce(chunks, 0, (n, c) => n + c.length))
      ),
      // A body is read once; reading it again gives the same value, as a cached read does.
      twice: yield* Effect.flatMap(
        client.get(`${url}/echo`),
        (r) => Effect.zip(r.text, r.json)
      ).pipe(Effect.map(([text, json]) => JSON.parse(text).url === (json as any).url))
    }
  })

describe("UndiciHttpClient", () => {
  it.scopedLive("behaves as NodeHttpClient.layerUndici for every way to send and read", () =>
    Effect.gen(function*() {
      const s = yield* server
      const seen: Array<unknown> = []
      for (const [, layer] of clients) {
        const from = s.received.length
        const observed = yield* observe(s.url).pipe(Effect.provide(layer))
        // Headers that name the client differ by design; the rest is what the server received.
        const received = s.received.slice(from).map(({ headers, ...r }) => ({
          ...r,
          type: headers["content-type"],
          length: headers["content-length"],
          body: headers["content-type"]?.startsWith("multipart/") ? "(multipart)" : r.body
        }))
        seen.push({ observed, received })
      }
      assert.deepStrictEqual(seen[0], seen[1])
      const [first] = seen as Array<any>
      assert.strictEqual(first.observed.get.status, 201)
      assert.strictEqual(first.observed.get.json.url, "/echo?q=1+2&r=a&r=b")
      assert.strictEqual(first.observed.text.json.body, "héllo")
      assert.strictEqual(first.observed.stream.json.body, "abcd")
      assert.deepStrictEqual(Object.keys(first.observed.cookies.cookies), ["a", "b"])
      assert.deepStrictEqual(first.observed.urlParams, [["a", "1"], ["b", "two"]])
      assert.strictEqual(first.observed.bigText, big.length)
      assert.strictEqual(first.observed.bigBytes, big.length)
      assert.strictEqual(first.observed.bigStream, big.length)
      assert.isTrue(first.observed.twice)
    }))

  it.scopedLive("sends FormData as multipart (which NodeHttpClient.layerUndici fails to)", () =>
    Effect.gen(function*() {
      const s = yield* server
      const form = new FormData()
      form.append("field", "value")
      form.append("file", new Blob(["bytes"], { type: "text/plain" }), "a.txt")
      const json: any = yield* Effect.flatMap(
        HttpClient.HttpClient,
        (client) => Effect.flatMap(client.post(`${s.url}/echo`, { body: HttpBody.formData(form) }), (r) => r.json)
      ).pipe(Effect.provide(UndiciHttpClient.layer))
      assert.match(json.type, /^multipart\/form-data; boundary=/)
      assert.include(json.body, "name=\"field\"\r\n\r\nvalue")
      assert.include(json.body, "filename=\"a.txt\"")
      assert.include(json.body, "bytes")
      const platform = yield* Effect.flatMap(
        HttpClient.HttpClient,
        (client) => client.post(`${s.url}/echo`, { body: HttpBody.formData(form) })
      ).pipe(Effect.provide(NodeHttpClient.layerUndici), Effect.exit)
      // When the platform's client learns to send it, this comparison can join the one above.
      assert.isTrue(Exit.isFailure(platform))
    }))

  it.scopedLive("interrupting a request closes its connection", () =>
    Effect.gen(function*() {
      const s = yield* server
      const fiber = yield* Effect.fork(
        Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${s.url}/slow`)).pipe(
          Effect.provide(UndiciHttpClient.layer)
        )
      )
      yield* Effect.promise(() => new Promise((r) => setTimeout(r, 100)))
      yield* Fiber.interrupt(fiber)
      for (let i = 0; i < 50 && s.aborted() === 0; i++) {
        yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
      }
      assert.strictEqual(s.aborted(), 1)
    }))

  it.scopedLive("a refused connection is a RequestError of reason Transport", () =>
    Effect.gen(function*() {
      const s = yield* server
      yield* s.close
      const exit = yield* Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${s.url}/echo`)).pipe(
        Effect.provide(UndiciHttpClient.layer),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        assert.strictEqual(error?._tag, "RequestError")
        assert.strictEqual(error?._tag === "RequestError" ? error.reason : undefined, "Transport")
      }
    }))

  it.scopedLive("NodeHttpClient.UndiciRequestOptions apply to each request", () =>
    Effect.gen(function*() {
      const s = yield* server
      const json: any = yield* Effect.flatMap(
        HttpClient.HttpClient,
        (client) => Effect.flatMap(client.get(`${s.url}/echo`), (r) => r.json)
      ).pipe(
        // path and method are the request's own, as in layerUndici; the rest is passed on.
        Effect.provideService(NodeHttpClient.UndiciRequestOptions, {
          path: "/ignored",
          method: "PUT",
          query: { extra: "1" }
        }),
        Effect.provide(UndiciHttpClient.layer)
      )
      assert.strictEqual(json.url, "/echo?extra=1")
    }))

  it.scopedLive("the SDK's time limit aborts a silent long-poll through it", () =>
    Effect.gen(function*() {
      const s = yield* server
      const exit = yield* Effect.flatMap(HaiAgents.HaiAgents, (hai) => hai.sessions.status("s-1")).pipe(
        Effect.provide(NodeHai.layer({
          apiKey: "hk-test",
          baseUrl: `${s.url}/slow`,
          timeout: "200 millis",
          retrySchedule: RetryPolicy.none
        })),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit) && exit.cause._tag === "Fail") assert.strictEqual(exit.cause.error._tag, "TimeoutError")
      for (let i = 0; i < 50 && s.aborted() === 0; i++) {
        yield* Effect.promise(() => new Promise((r) => setTimeout(r, 10)))
      }
      assert.isAtLeast(s.aborted(), 1, "the timed-out request's connection was left open")
    }))

  it.scopedLive("tracing and its FiberRefs behave as in layerUndici (span, attributes, propagation, switches)", () =>
    Effect.gen(function*() {
      const s = yield* server
      const seen: Array<unknown> = []
      for (const [, layer] of clients) {
        const { spans, tracer } = recording()
        const from = s.received.length
        const get = Effect.flatMap(
          HttpClient.HttpClient,
          (client) =>
            Effect.flatMap(client.get(`${s.url}/echo`, { headers: { "x-private": "p-secret" } }), (r) => r.text)
        )
        const run = (label: string, effect: Effect.Effect<string, unknown, HttpClient.HttpClient>) =>
          effect.pipe(Effect.withSpan(label), Effect.withTracer(tracer), Effect.provide(layer))
        yield* run("caller", get)
        // Switched off by the FiberRefs the platform reads.
        yield* run("caller, no propagation", Effect.locally(get, HttpClient.currentTracerPropagation, false))
        yield* run("caller, no request span", Effect.locally(get, HttpClient.currentTracerDisabledWhen, () => true))
        yield* run("caller, redacted", Effect.locally(get, Headers.currentRedactedNames, ["x-private"]))
        const received = s.received.slice(from)
        const http = spans.filter((x) => x.name.startsWith("http.client"))
        const parentName = (span: Tracer.Span) =>
          span.parent._tag === "Some" ? spans.find((y) => y.span === (span.parent as any).value)?.name : undefined
        seen.push({
          names: spans.map((x) => x.name),
          kinds: http.map((x) => x.span.kind),
          parents: http.map((x) => parentName(x.span)),
          attributes: http.map((x) => [...x.attributes.keys()].filter((k) => !k.includes("user-agent")).sort()),
          traceparent: received.map((r) =>
            r.headers.traceparent === undefined
              ? "none"
              : /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/.test(String(r.headers.traceparent))
              ? "w3c"
              : String(r.headers.traceparent)
          ),
          sentSpan: received[0].headers.traceparent === `00-${http[0].span.traceId}-${http[0].span.spanId}-01`,
          privateHeader: http.map((x) => String(x.attributes.get("http.request.header.x-private")))
        })
      }
      assert.deepStrictEqual(seen[0], seen[1])
      const [first] = seen as Array<any>
      assert.deepStrictEqual(first.traceparent, ["w3c", "none", "none", "w3c"])
      assert.isTrue(first.sentSpan)
      assert.deepStrictEqual(first.parents, ["caller", "caller, no propagation", "caller, redacted"])
      assert.deepStrictEqual(first.privateHeader, ["p-secret", "p-secret", "<redacted>"])
    }))

  it.scopedLive("interruption aborts the request, in both clients alike", () =>
    Effect.gen(function*() {
      const s = yield* server
      const counts: Array<number> = []
      for (const [, layer] of clients) {
        const before = s.aborted()
        const fiber = yield* Effect.fork(
          Effect.flatMap(HttpClient.HttpClient, (client) => Effect.flatMap(client.get(`${s.url}/slow`), (r) => r.text))
            .pipe(Effect.provide(layer))
        )
        yield* Effect.sleep("100 millis")
        yield* Fiber.interrupt(fiber)
        for (let i = 0; i < 50 && s.aborted() === before; i++) yield* Effect.sleep("10 millis")
        counts.push(s.aborted() - before)
      }
      assert.deepStrictEqual(counts, [1, 1])
    }))
})

describe("a transport error says what failed, over real sockets (14.7)", () => {
  const transports: ReadonlyArray<readonly [string, Layer.Layer<HttpClient.HttpClient>]> = [
    ["UndiciHttpClient", UndiciHttpClient.layer],
    ["fetch", FetchHttpClient.layer]
  ]
  const failure = (baseUrl: string, layer: Layer.Layer<HttpClient.HttpClient>) =>
    Effect.flatMap(HaiAgents.HaiAgents, (hai) => hai.sessions.status("s-1")).pipe(
      Effect.provide(
        HaiAgents.layer({ apiKey: "hk-test", baseUrl, retrySchedule: RetryPolicy.none, timeout: "5 seconds" }).pipe(
          Layer.provide(layer)
        )
      ),
      Effect.flip
    )

  for (const [name, layer] of transports) {
    it.scopedLive(`${name}: nothing listening is "connection refused"`, () =>
      Effect.gen(function*() {
        const s = yield* server
        yield* s.close
        const error = yield* failure(s.url, layer)
        assert.strictEqual(error._tag, "TransportError")
        if (error._tag === "TransportError") {
          assert.strictEqual(error.kind, "ConnectionRefused")
          assert.include(error.message, "connection refused")
          assert.include(error.message, "base URL")
        }
      }))

    it.scopedLive(`${name}: https to a plain HTTP server is a TLS failure`, () =>
      Effect.gen(function*() {
        const s = yield* server
        const error = yield* failure(s.url.replace("http:", "https:"), layer)
        assert.strictEqual(error._tag, "TransportError")
        if (error._tag === "TransportError") {
          assert.strictEqual(error.kind, "Tls")
          assert.include(error.message, "TLS")
        }
      }))
  }

  it.scopedLive("UndiciHttpClient: a name that does not resolve is a DNS failure", () =>
    Effect.gen(function*() {
      // The lookup is answered here, as by a resolver that knows no such name: nothing leaves the machine.
      const dispatcher = new Undici.Agent({
        connect: {
          lookup: (hostname, _options, callback) =>
            callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: "ENOTFOUND" }), "", 4)
        }
      })
      yield* Effect.addFinalizer(() => Effect.promise(() => dispatcher.close()))
      const error = yield* failure(
        "http://no-such-host.invalid",
        Layer.succeed(HttpClient.HttpClient, UndiciHttpClient.make(dispatcher))
      )
      assert.strictEqual(error._tag, "TransportError")
      if (error._tag === "TransportError") {
        assert.strictEqual(error.kind, "DnsLookup")
        assert.include(error.message, "host name")
        assert.include(error.message, "ENOTFOUND")
      }
    }))
})

/** A tracer that records each span it makes. */
const recording = () => {
  const spans: Array<{ readonly name: string; readonly attributes: Map<string, unknown>; readonly span: Tracer.Span }> =
    []
  const tracer = Tracer.make({
    span: (name, parent, context, links, startTime, kind) => {
      const attributes = new Map<string, unknown>()
      let status: Tracer.SpanStatus = { _tag: "Started", startTime }
      const span: Tracer.Span = {
        _tag: "Span",
        name,
        spanId: String(spans.length + 1).padStart(16, "0"),
        traceId: parent._tag === "Some" ? parent.value.traceId : "1".repeat(32),
        parent,
        context,
        get status() {
          return status
        },
        attributes,
        links,
        sampled: true,
        kind,
        end: (endTime, exit) => {
          status = { _tag: "Ended", startTime, endTime, exit }
        },
        attribute: (key, value) => {
          attributes.set(key, value)
        },
        event: () => {},
        addLinks: () => {}
      }
      spans.push({ name, attributes, span })
      return span
    },
    context: (f) => f()
  })
  return { spans, tracer }
}
