import { assert, describe, layer } from "@effect/vitest"
import * as Emulator from "@hai-effect/emulator/Emulator"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Effect, Layer } from "effect"
import * as ChildProcess from "node:child_process"
import * as Http from "node:http"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"
import { tempDir } from "./support/Harness.js"

const root = Path.resolve(Path.dirname(fileURLToPath(import.meta.url)), "../../..")
const bin = Path.join(root, "packages/cli/src/bin.ts")

const childEnv = (extra: Record<string, string>) => {
  const env: Record<string, string> = {}
  for (const [k, v] of Object.entries(process.env)) {
    if (v !== undefined && !k.startsWith("HAI_") && k !== "H_API_KEY") env[k] = v
  }
  return { ...env, HOME: tempDir(), NO_COLOR: "1", ...extra }
}

/** `hai mcp serve --http 0 ...` in a child process; resolves with its port once it listens. */
const serveHttp = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.acquireRelease(
    Effect.promise(() =>
      new Promise<{ port: number; stderr: () => string; child: ChildProcess.ChildProcess }>((resolve, reject) => {
        const child = ChildProcess.spawn(
          process.execPath,
          ["--import", "tsx", bin, "mcp", "serve", "--http", "0", ...args],
          { cwd: root, env: childEnv(env), stdio: ["ignore", "ignore", "pipe"] }
        )
        let stderr = ""
        child.stderr!.on("data", (chunk) => {
          stderr += String(chunk)
          const match = /hai MCP server on http:\/\/127\.0\.0\.1:(\d+)\/mcp/.exec(stderr)
          if (match !== null) resolve({ port: Number(match[1]), stderr: () => stderr, child })
        })
        child.once("error", reject)
        child.once("exit", (code) => reject(new Error(`hai mcp serve exited (${code}): ${stderr}`)))
      })
    ),
    ({ child }) => Effect.sync(() => child.kill("SIGTERM"))
  )

/** The exit code and stderr of a `hai` run that is expected to stop by itself. */
const runHai = (args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.promise(() =>
    new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const child = ChildProcess.spawn(process.execPath, ["--import", "tsx", bin, ...args], {
        cwd: root,
        env: childEnv(env),
        stdio: ["ignore", "ignore", "pipe"]
      })
      let stderr = ""
      child.stderr.on("data", (chunk) => void (stderr += String(chunk)))
      child.once("exit", (code) => resolve({ code, stderr }))
    })
  )

const post = (port: number, headers: Record<string, string>, body: string) =>
  Effect.promise(() =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = Http.request({
        host: "127.0.0.1",
        port,
        method: "POST",
        path: "/mcp",
        headers: { host: `127.0.0.1:${port}`, ...headers }
      }, (res) => {
        let text = ""
        res.on("data", (chunk) => void (text += String(chunk)))
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: text }))
      })
      req.on("error", reject)
      req.end(body)
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

const Served = Emulator.layerServer({ port: 0 }).pipe(
  Layer.provideMerge(Emulator.layer({ region: "us", tick: "20 millis" }))
)

const sessionsCreated = Effect.map(
  Effect.flatMap(Emulator.Emulator, (emulator) => emulator.stats),
  (stats) => stats.requestsByRoute["POST /api/v2/sessions"] ?? 0
)

describe("hai mcp serve --http", () => {
  layer(Served, { excludeTestServices: true })((it) => {
    it.scoped(
      "refuses DNS rebinding, cross-site text/plain and uninitialised calls; serves a real client",
      () =>
        Effect.gen(function*() {
          const api = yield* Emulator.EmulatorServer
          const server = yield* serveHttp([], { HAI_API_KEY: "hk-emulator", HAI_API_BASE_URL: api.url })
          const p = server.port
          const json = { "content-type": "application/json", accept: "application/json, text/event-stream" }

          const rebound = yield* post(
            p,
            { ...json, host: `evil.example:${p}`, origin: "http://evil.example" },
            runAgent
          )
          assert.strictEqual(rebound.status, 403, rebound.body)
          const reboundInit = yield* post(
            p,
            { ...json, host: `evil.example:${p}`, origin: "http://evil.example" },
            initialize
          )
          assert.strictEqual(reboundInit.status, 403, reboundInit.body)
          const plain = yield* post(p, { "content-type": "text/plain" }, runAgent)
          assert.strictEqual(plain.status, 415, plain.body)
          const uninitialised = yield* post(p, json, runAgent)
          assert.strictEqual(uninitialised.status, 400, uninitialised.body)
          assert.strictEqual(yield* sessionsCreated, 0, "no hostile request created a session")

          const client = new Client({ name: "test", version: "1.0.0" })
          yield* Effect.acquireRelease(
            Effect.promise(() =>
              client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${p}/mcp`)))
            ),
            () => Effect.promise(() => client.close())
          )
          const { tools } = yield* Effect.promise(() => client.listTools())
          assert.strictEqual(tools.length, 7, server.stderr())
        }),
      60_000
    )

    it.scoped(
      "listening beyond loopback needs a token; with one, requests without it are refused",
      () =>
        Effect.gen(function*() {
          const api = yield* Emulator.EmulatorServer
          const env = { HAI_API_KEY: "hk-emulator", HAI_API_BASE_URL: api.url }
          const refused = yield* runHai(["mcp", "serve", "--http", "0", "--host", "0.0.0.0"], env)
          assert.notStrictEqual(refused.code, 0)
          assert.include(refused.stderr, "--token")

          const server = yield* serveHttp(["--host", "127.0.0.1"], { ...env, HAI_MCP_TOKEN: "s3cret-token" })
          const json = { "content-type": "application/json", accept: "application/json, text/event-stream" }
          const missing = yield* post(server.port, json, initialize)
          assert.strictEqual(missing.status, 401, missing.body)
          const ok = yield* post(server.port, { ...json, authorization: "Bearer s3cret-token" }, initialize)
          assert.strictEqual(ok.status, 200, ok.body)
          assert.notInclude(server.stderr(), "s3cret-token")
        }),
      60_000
    )
  })
})
