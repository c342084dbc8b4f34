import { assert, describe, it, layer } from "@effect/vitest"
import * as Emulator from "@hai-effect/emulator/Emulator"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js"
import { Effect, Layer } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
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
  return { ...env, HOME: tempDir(), ...extra }
}

const connect = (env: Record<string, string>, stderr: Array<string>) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const transport = new StdioClientTransport({
        command: process.execPath,
        args: ["--import", "tsx", bin, "mcp", "serve"],
        cwd: root,
        env: childEnv(env),
        stderr: "pipe"
      })
      transport.stderr?.on("data", (chunk) => stderr.push(String(chunk)))
      const client = new Client({ name: "test", version: "1.0.0" })
      await client.connect(transport)
      return client
    }),
    (client) => Effect.promise(() => client.close())
  )

/** An API whose sessions never settle; records every call. */
const endlessApi = () =>
  new Promise<{ url: string; calls: Array<string>; close: () => Promise<void> }>((resolve) => {
    const calls: Array<string> = []
    const server = Http.createServer((req, res) => {
      const path = new URL(req.url ?? "/", "http://x").pathname
      calls.push(`${req.method} ${path}`)
      const send = (status: number, body?: unknown) =>
        res.writeHead(status, body === undefined ? {} : { "content-type": "application/json" }).end(
          body === undefined ? undefined : JSON.stringify(body)
        )
      if (req.method === "POST" && path === "/api/v2/sessions") {
        return send(201, {
          id: "0b9e3b2a-3c1e-4a55-9d7e-6f2b0c1d2e3f",
          request: { agent: "h/web-surfer-holo3-1-35b", messages: "x" },
          status: { status: "running" },
          created_at: new Date().toISOString()
        })
      }
      if (path.endsWith("/changes")) return void setTimeout(() => send(204), 50)
      if (path.endsWith("/status")) return send(200, { status: "running" })
      if (req.method === "DELETE") return send(204)
      send(404, { detail: "not found" })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        calls,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          })
      })
    })
  })

const Served = Emulator.layerServer({ port: 0 }).pipe(
  Layer.provideMerge(Emulator.layer({ region: "us", tick: "20 millis" }))
)

describe("hai mcp serve (stdio)", () => {
  layer(Served, { excludeTestServices: true })((it) => {
    it.scoped("a real MCP client lists the tools and runs an agent, with progress", () =>
      Effect.gen(function*() {
        const server = yield* Emulator.EmulatorServer
        const stderr: Array<string> = []
        const client = yield* connect({ HAI_API_KEY: "hk-emulator", HAI_API_BASE_URL: server.url }, stderr)
        const { tools } = yield* Effect.promise(() => client.listTools())
        assert.strictEqual(tools.length, 7, stderr.join(""))
        assert.isTrue(tools.some((t) => t.name === "run_agent"))

        const progress: Array<string> = []
        const steps: Array<number> = []
        const result = yield* Effect.promise(() =>
          client.callTool(
            { name: "run_agent", arguments: { task: "What is the top story on Hacker News?" } },
            undefined,
            {
              onprogress: (p) => {
                progress.push(p.message ?? String(p.progress))
                steps.push(p.progress)
              }
            }
          )
        )
        assert.isFalse(result.isError, JSON.stringify(result))
        const outcome = JSON.parse((result.content as Array<any>)[0].text)
        assert.strictEqual(outcome.status, "completed")
        assert.isNotNull(outcome.answer)
        assert.match(outcome.session_id, /^[0-9a-f-]{36}$/)
        assert.isAbove(progress.length, 1)
        assert.match(progress[0]!, /^session [0-9a-f-]{36} started$/)
        const emulator = yield* Emulator.Emulator
        const session = yield* emulator.session(outcome.session_id)
        assert.strictEqual(session._tag, "Some")
        // Every event the run knew of when it settled is relayed once, in order, after the start
        // line (steps 1..n are event indices 0..n-1), however far the relay got before the answer.
        assert.deepStrictEqual(steps, steps.map((_, i) => i))
        assert.isTrue(progress.some((line) => line.startsWith("AgentEvent/")), progress.join("\n"))
      }), 60_000)
  })
})

describe("hai mcp serve (stdio) cancellation", () => {
  it.scoped("cancelling run_agent (notifications/cancelled) cancels the remote session", () =>
    Effect.gen(function*() {
      const api = yield* Effect.acquireRelease(Effect.promise(endlessApi), (api) => Effect.promise(api.close))
      const stderr: Array<string> = []
      const client = yield* connect({ HAI_API_KEY: "hk-test", HAI_API_BASE_URL: api.url }, stderr)
      const controller = new AbortController()
      const pending = client.callTool({ name: "run_agent", arguments: { task: "forever" } }, undefined, {
        signal: controller.signal
      }).catch((e) => e)
      while (!api.calls.some((c) => c.endsWith("/changes"))) yield* Effect.sleep("10 millis")
      controller.abort()
      yield* Effect.promise(() => pending)
      const deleted = "DELETE /api/v2/sessions/0b9e3b2a-3c1e-4a55-9d7e-6f2b0c1d2e3f"
      for (let i = 0; i < 150 && !api.calls.includes(deleted); i++) yield* Effect.sleep("20 millis")
      assert.include(api.calls, deleted, stderr.join(""))
    }), 60_000)
})
