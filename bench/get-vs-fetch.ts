/**
 * The SDK's cost over a bare client for one small GET, `sessions.status(id)`, against one local
 * server, every side in one process, the order of the sides rotating every round so that drift
 * (JIT, GC, CPU frequency) hits all alike. Sides:
 *
 * - `fetch`, `undici`: bare loops with the same URL and headers that parse the JSON body (fetch in
 *   Node is itself built on undici);
 * - `platform-undici`: `HttpClient.get` of @effect/platform over `UndiciHttpClient`, with the
 *   request span off as the SDK runs it: the platform's own cost, without the SDK's;
 * - `platform-undici-span`: the same with the platform's `http.client` span, its default;
 * - `sdk-undici`: the SDK over `UndiciHttpClient`, as `NodeHai.layer` builds it;
 * - `sdk-layerUndici`: the SDK over @effect/platform-node's own `NodeHttpClient.layerUndici`, which
 *   `UndiciHttpClient` replaces;
 * - `sdk-fetch`: `HaiAgents.layer` + `FetchHttpClient.layer`.
 *
 * Each side is timed per call (wall p50) and by the CPU the process spent per call (user + system,
 * which a machine shared with other work disturbs less than wall time).
 *
 *   npx tsx bench/get-vs-fetch.ts [calls=2000] [rounds=5] [warmup=200]
 *
 * Targets: sdk-undici <= 0.9x a bare fetch call (the official TypeScript SDK sends every call
 * through fetch); every SDK side <= 1.3x its own bare client.
 */
import { FetchHttpClient, HttpClient } from "@effect/platform"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as Undici from "@effect/platform-node/Undici"
import { HaiAgents } from "@hai-effect/core"
import { UndiciHttpClient } from "@hai-effect/platform-node"
import { Effect, Layer, ManagedRuntime } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { performance } from "node:perf_hooks"
import { runtimeHeaders } from "../packages/core/src/internal/version.js"

const calls = Number(process.argv[2] ?? 2000)
const rounds = Number(process.argv[3] ?? 5)
const warmup = Number(process.argv[4] ?? 200)

const apiKey = "hk-bench-key"
const sessionId = "3fa85f64-5717-4562-b3fc-2c963f66afa6"
const statusBody = JSON.stringify({
  status: "running",
  error: null,
  error_code: null,
  outcome: null,
  steps: 12,
  usage_per_model: [{ name: "holo3", input_tokens: 1200, output_tokens: 340, reasoning_tokens: 0 }],
  subagent_session_ids: []
})
const statusPath = `/api/v2/sessions/${sessionId}/status`

const startServer = () =>
  new Promise<{ readonly server: http.Server; readonly url: string }>((resolve) => {
    const server = http.createServer((req, res) => {
      if (req.method === "GET" && req.url === statusPath) {
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(statusBody) })
        res.end(statusBody)
      } else {
        res.writeHead(404, { "content-type": "application/json" })
        res.end("{\"detail\":\"Not Found\"}")
      }
    })
    server.keepAliveTimeout = 60_000
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({ server, url: `http://127.0.0.1:${port}` })
    })
  })

const quantile = (sorted: ReadonlyArray<number>, q: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]

const median = (samples: ReadonlyArray<number>) => quantile([...samples].sort((a, b) => a - b), 0.5)

const us = (ms: number) => `${(ms * 1000).toFixed(1)}µs`

type Loop = (n: number, out?: Array<number>) => Promise<unknown>

const main = async () => {
  const { server, url } = await startServer()
  const sdkRuntime = (client: Layer.Layer<HttpClient.HttpClient>) =>
    ManagedRuntime.make(Layer.provideMerge(HaiAgents.layer({ apiKey, baseUrl: url }), client))
  const runtimes = {
    fetch: sdkRuntime(FetchHttpClient.layer),
    // What `NodeHai.layer` is, with the HttpClient kept reachable for the platform's side.
    undici: sdkRuntime(UndiciHttpClient.layer),
    layerUndici: sdkRuntime(NodeHttpClient.layerUndici)
  }
  const dispatcher = new Undici.Agent()
  try {
    // The same headers the SDK sends (identification, key, accept).
    const headers: Record<string, string> = {
      ...runtimeHeaders(),
      authorization: `Bearer ${apiKey}`,
      accept: "application/json"
    }
    const target = `${url}${statusPath}`

    const sdkLoop = (runtime: ManagedRuntime.ManagedRuntime<HaiAgents.HaiAgents, never>): Loop => (n, out) =>
      runtime.runPromise(Effect.gen(function*() {
        const hai = yield* HaiAgents.HaiAgents
        for (let i = 0; i < n; i++) {
          const start = performance.now()
          const status = yield* hai.sessions.status(sessionId)
          const elapsed = performance.now() - start
          if (status.status !== "running") throw new Error("unexpected status")
          out?.push(elapsed)
        }
      }))

    const platformLoop = (requestSpans: boolean): Loop => (n, out) =>
      runtimes.undici.runPromise(Effect.gen(function*() {
        const base = yield* HttpClient.HttpClient
        const client = requestSpans ? base : HttpClient.withTracerDisabledWhen(base, () => true)
        for (let i = 0; i < n; i++) {
          const start = performance.now()
          const res = yield* client.get(target, { headers })
          const body = JSON.parse(yield* res.text) as { status: string }
          const elapsed = performance.now() - start
          if (body.status !== "running") throw new Error("unexpected status")
          out?.push(elapsed)
        }
      }))

    const fetchLoop: Loop = async (n, out) => {
      for (let i = 0; i < n; i++) {
        const start = performance.now()
        const res = await fetch(target, { headers })
        if (!res.ok) throw new Error(`status ${res.status}`)
        const body = (await res.json()) as { status: string }
        const elapsed = performance.now() - start
        if (body.status !== "running") throw new Error("unexpected status")
        out?.push(elapsed)
      }
    }

    const undiciLoop: Loop = async (n, out) => {
      for (let i = 0; i < n; i++) {
        const start = performance.now()
        const res = await Undici.request(target, { headers, dispatcher })
        if (res.statusCode !== 200) throw new Error(`status ${res.statusCode}`)
        const body = (await res.body.json()) as { status: string }
        const elapsed = performance.now() - start
        if (body.status !== "running") throw new Error("unexpected status")
        out?.push(elapsed)
      }
    }

    const sides = {
      fetch: fetchLoop,
      undici: undiciLoop,
      "platform-undici": platformLoop(false),
      "platform-undici-span": platformLoop(true),
      "sdk-undici": sdkLoop(runtimes.undici),
      "sdk-layerUndici": sdkLoop(runtimes.layerUndici),
      "sdk-fetch": sdkLoop(runtimes.fetch)
    } satisfies Record<string, Loop>
    type Side = keyof typeof sides
    const names = Object.keys(sides) as Array<Side>

    // Warm-up: JIT, connection pools, the SDK's lazy structures.
    for (const name of names) await sides[name](warmup)

    const wall = Object.fromEntries(names.map((n) => [n, [] as Array<number>])) as Record<Side, Array<number>>
    const cpu = Object.fromEntries(names.map((n) => [n, [] as Array<number>])) as Record<Side, Array<number>>
    console.log(`get-vs-fetch: ${rounds} rounds x ${calls} sequential calls each side, warm-up ${warmup}`)
    for (let round = 0; round < rounds; round++) {
      const order = names.map((_, i) => names[(i + round) % names.length])
      const line: Array<string> = []
      for (const name of order) {
        const samples: Array<number> = []
        const before = process.cpuUsage()
        await sides[name](calls, samples)
        const spent = process.cpuUsage(before)
        wall[name].push(median(samples))
        cpu[name].push((spent.user + spent.system) / 1000 / calls)
        line.push(`${name} ${us(median(samples))}`)
      }
      console.log(`  round ${round + 1}: ${line.join(" | ")}`)
    }

    // Per side: the median over rounds of each round's p50 (wall) and of its CPU per call.
    const w = (name: Side) => median(wall[name])
    const c = (name: Side) => median(cpu[name])
    const ratio = (a: Side, b: Side) => `${(w(a) / w(b)).toFixed(2)}x wall, ${(c(a) / c(b)).toFixed(2)}x cpu`
    for (const name of names) {
      console.log(`  ${name.padEnd(20)} p50 ${us(w(name)).padStart(9)}  cpu/call ${us(c(name)).padStart(9)}`)
    }
    console.log(
      `  cost over bare undici, per call: platform ${us(w("platform-undici") - w("undici"))} (its request span ${
        us(w("platform-undici-span") - w("platform-undici"))
      } more); the SDK's own on top of the platform ${us(w("sdk-undici") - w("platform-undici"))}`
    )
    console.log(
      `  UndiciHttpClient vs NodeHttpClient.layerUndici under the SDK: ${ratio("sdk-undici", "sdk-layerUndici")}`
    )
    const target09 = w("sdk-undici") / w("fetch")
    console.log(
      `get-vs-fetch (medians of per-round p50): sdk-undici/fetch=${ratio("sdk-undici", "fetch")} (target <= 0.9x: ${
        target09 <= 0.9 ? "met" : "NOT met"
      }); sdk-undici/undici=${ratio("sdk-undici", "undici")}; sdk-fetch/fetch=${ratio("sdk-fetch", "fetch")}`
    )
  } finally {
    for (const runtime of Object.values(runtimes)) await runtime.dispose()
    await dispatcher.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
