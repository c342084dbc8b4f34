import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import * as HaiAgents from "@hai-effect/core/HaiAgents"
import * as Emulator from "@hai-effect/emulator/Emulator"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Effect, Layer, Redacted } from "effect"
import * as Http from "node:http"
import { createServer } from "node:http"
import { HaiMcp } from "../src/index.js"

const served = (options?: Parameters<typeof HaiMcp.layerHttp>[0]) =>
  HaiMcp.layerHttp({ path: "/mcp", ...options }).pipe(
    Layer.provide(HaiAgents.layer({ apiKey: "hk-emulator", baseUrl: "http://emulator.local" })),
    Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
    Layer.provideMerge(
      Emulator.layerClient.pipe(
        Layer.provideMerge(Emulator.layer({ region: "us", tick: "20 millis", cancelDelay: "20 millis" }))
      )
    )
  )

const port = Effect.map(HttpServer.HttpServer, (server) => (server.address as HttpServer.TcpAddress).port)

interface Reply {
  readonly status: number
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
}

/** A raw HTTP/1.1 request on loopback, with whatever headers an attacker likes (Host included). */
const request = (options: {
  readonly port: number
  readonly method?: string
  readonly path?: string
  readonly headers?: Record<string, string>
  readonly body?: string
}) =>
  Effect.promise(() =>
    new Promise<Reply>((resolve, reject) => {
      const req = Http.request({
        host: "127.0.0.1",
        port: options.port,
        method: options.method ?? "POST",
        path: options.path ?? "/mcp",
        headers: { host: `127.0.0.1:${options.port}`, ...options.headers }
      }, (res) => {
        const chunks: Array<Buffer> = []
        res.on("data", (chunk: Buffer) => chunks.push(chunk))
        res.on(
          "end",
          () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() })
        )
      })
      req.on("error", reject)
      req.end(options.body)
    })
  )

const initialize = JSON.stringify({
  jsonrpc: "2.0",
  id: 1,
  method: "initialize",
  params: { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "evil", version: "1" } }
})

const runAgent = JSON.stringify({
  jsonrpc: "2.0",
  id: 2,
  method: "tools/call",
  params: { name: "run_agent", arguments: { task: "spend the user's credit" } }
})

const json = { "content-type": "application/json", accept: "application/json, text/event-stream" }

const sessionsCreated = Effect.map(
  Effect.flatMap(Emulator.Emulator, (emulator) => emulator.stats),
  (stats) => stats.requestsByRoute["POST /api/v2/sessions"] ?? 0
)

const connect = (port: number, headers?: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const client = new Client({ name: "test", version: "1.0.0" })
      await client.connect(
        new StreamableHTTPClientTransport(
          new URL(`http://127.0.0.1:${port}/mcp`),
          headers === undefined ? undefined : { requestInit: { headers } }
        )
      )
      return client
    }),
    (client) => Effect.promise(() => client.close())
  )

describe("HaiMcp.layerHttp against hostile requests", () => {
  it.scopedLive("DNS rebinding: Host evil.example with Origin http://evil.example is refused, no session made", () =>
    Effect.gen(function*() {
      const p = yield* port
      const hostile = { ...json, host: `evil.example:${p}`, origin: "http://evil.example" }
      for (const body of [initialize, runAgent]) {
        const reply = yield* request({ port: p, headers: hostile, body })
        assert.strictEqual(reply.status, 403, reply.body)
        assert.include(reply.body, "Host")
      }
      // a loopback Host with a foreign Origin (a page on evil.example posting to localhost) is refused too
      const crossSite = yield* request({ port: p, headers: { ...json, origin: "http://evil.example" }, body: runAgent })
      assert.strictEqual(crossSite.status, 403, crossSite.body)
      assert.include(crossSite.body, "Origin")
      const nullOrigin = yield* request({ port: p, headers: { ...json, origin: "null" }, body: initialize })
      assert.strictEqual(nullOrigin.status, 403, nullOrigin.body)
      assert.strictEqual(yield* sessionsCreated, 0)
    }).pipe(Effect.provide(served())))

  it.scopedLive("a text/plain POST (no preflight) and a call without initialize are refused, no session made", () =>
    Effect.gen(function*() {
      const p = yield* port
      const plain = yield* request({ port: p, headers: { "content-type": "text/plain" }, body: runAgent })
      assert.strictEqual(plain.status, 415, plain.body)
      const form = yield* request({
        port: p,
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: initialize
      })
      assert.strictEqual(form.status, 415, form.body)
      const uninitialised = yield* request({ port: p, headers: json, body: runAgent })
      assert.strictEqual(uninitialised.status, 400, uninitialised.body)
      assert.include(uninitialised.body, "initialize")
      const unknown = yield* request({
        port: p,
        headers: { ...json, "mcp-session-id": "made-up" },
        body: runAgent
      })
      assert.strictEqual(unknown.status, 404, unknown.body)
      const garbage = yield* request({ port: p, headers: json, body: "{not json" })
      assert.strictEqual(garbage.status, 400, garbage.body)
      assert.strictEqual(yield* sessionsCreated, 0)
    }).pipe(Effect.provide(served())))

  it.scopedLive("initialize opens a session (Mcp-Session-Id); calls need it; DELETE ends it", () =>
    Effect.gen(function*() {
      const p = yield* port
      const init = yield* request({ port: p, headers: { ...json, origin: `http://localhost:${p}` }, body: initialize })
      assert.strictEqual(init.status, 200, init.body)
      const session = init.headers["mcp-session-id"]
      assert.isString(session)
      assert.match(session as string, /^[0-9a-f-]{36}$/)
      const list = yield* request({
        port: p,
        headers: { ...json, "mcp-session-id": session as string },
        body: JSON.stringify({ jsonrpc: "2.0", id: 3, method: "tools/list" })
      })
      assert.strictEqual(list.status, 200, list.body)
      assert.include(list.body, "run_agent")
      const get = yield* request({ port: p, method: "GET", headers: { "mcp-session-id": session as string } })
      assert.strictEqual(get.status, 405)
      const ended = yield* request({ port: p, method: "DELETE", headers: { "mcp-session-id": session as string } })
      assert.strictEqual(ended.status, 204)
      const after = yield* request({
        port: p,
        headers: { ...json, "mcp-session-id": session as string },
        body: JSON.stringify({ jsonrpc: "2.0", id: 4, method: "tools/list" })
      })
      assert.strictEqual(after.status, 404)

      // the official MCP client does all of this by itself
      const client = yield* connect(p)
      const { tools } = yield* Effect.promise(() => client.listTools())
      assert.strictEqual(tools.length, 7)
    }).pipe(Effect.provide(served())))

  it.scopedLive("a bearer token: refused without it or with another, served with it", () =>
    Effect.gen(function*() {
      const p = yield* port
      const missing = yield* request({ port: p, headers: json, body: initialize })
      assert.strictEqual(missing.status, 401, missing.body)
      assert.strictEqual(missing.headers["www-authenticate"], "Bearer")
      const wrong = yield* request({ port: p, headers: { ...json, authorization: "Bearer nope" }, body: initialize })
      assert.strictEqual(wrong.status, 401, wrong.body)
      const client = yield* connect(p, { authorization: "Bearer s3cret-token" })
      const { tools } = yield* Effect.promise(() => client.listTools())
      assert.strictEqual(tools.length, 7)
    }).pipe(Effect.provide(served({ token: Redacted.make("s3cret-token") }))))

  it.scopedLive("more hosts and origins can be allowed", () =>
    Effect.gen(function*() {
      const p = yield* port
      const ok = yield* request({
        port: p,
        headers: { ...json, host: `mcp.internal:${p}`, origin: "https://app.internal" },
        body: initialize
      })
      assert.strictEqual(ok.status, 200, ok.body)
      const still = yield* request({ port: p, headers: { ...json, host: `evil.example:${p}` }, body: initialize })
      assert.strictEqual(still.status, 403)
    }).pipe(Effect.provide(served({ allowedHosts: ["mcp.internal"], allowedOrigins: ["https://app.internal"] }))))
})
