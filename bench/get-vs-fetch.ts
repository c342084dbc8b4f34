/**
 * The SDK's cost over a bare `fetch` for one small GET: `sessions.status(id)` through
 * `HaiAgents.layer` + `FetchHttpClient.layer`, against a `fetch` loop with the same URL and
 * headers that reads the body with `res.json()`. One local server, one process, rounds
 * alternating between the two so that drift (JIT, GC, CPU frequency) hits both alike.
 *
 *   npx tsx bench/get-vs-fetch.ts [calls=2000] [rounds=5] [warmup=200]
 *
 * Target: SDK median per call <= 1.3x fetch's. A third column, a bare `HttpClient.get` of
 * @effect/platform over the same fetch (no schema, retry, timeout or span of the SDK), is printed
 * for diagnosis: it splits the gap between the platform's share and the SDK's own.
 */
import { FetchHttpClient, HttpClient } from "@effect/platform"
import { HaiAgents } from "@hai-effect/core"
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

const summary = (samples: ReadonlyArray<number>) => {
  const sorted = [...samples].sort((a, b) => a - b)
  return { p50: quantile(sorted, 0.5), p99: quantile(sorted, 0.99), n: sorted.length }
}

const us = (ms: number) => `${(ms * 1000).toFixed(1)}µs`

const main = async () => {
  const { server, url } = await startServer()
  const runtime = ManagedRuntime.make(
    HaiAgents.layer({ apiKey, baseUrl: url }).pipe(Layer.provideMerge(FetchHttpClient.layer))
  )
  try {
    const hai = await runtime.runPromise(HaiAgents.HaiAgents)

    // The same headers the SDK sends (identification, key, accept).
    const headers: Record<string, string> = {
      ...runtimeHeaders(),
      authorization: `Bearer ${apiKey}`,
      accept: "application/json"
    }
    const target = `${url}${statusPath}`

    const sdkLoop = (n: number, out?: Array<number>) =>
      Effect.gen(function*() {
        for (let i = 0; i < n; i++) {
          const start = performance.now()
          const status = yield* hai.sessions.status(sessionId)
          const elapsed = performance.now() - start
          if (status.status !== "running") throw new Error("unexpected status")
          out?.push(elapsed)
        }
      })

    const client = await runtime.runPromise(HttpClient.HttpClient)
    const platformLoop = (n: number, out?: Array<number>) =>
      Effect.gen(function*() {
        for (let i = 0; i < n; i++) {
          const start = performance.now()
          const res = yield* client.get(target, { headers })
          const body = (yield* res.json) as { status: string }
          const elapsed = performance.now() - start
          if (body.status !== "running") throw new Error("unexpected status")
          out?.push(elapsed)
        }
      })

    const fetchLoop = async (n: number, out?: Array<number>) => {
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

    // Warm-up: JIT, connection pool, the SDK's lazy structures.
    await runtime.runPromise(sdkLoop(warmup))
    await fetchLoop(warmup)
    await runtime.runPromise(platformLoop(warmup))

    const sdk: Array<number> = []
    const bare: Array<number> = []
    const platform: Array<number> = []
    console.log(`get-vs-fetch: ${rounds} rounds x ${calls} sequential calls each side, warm-up ${warmup}`)
    for (let round = 0; round < rounds; round++) {
      const sdkRound: Array<number> = []
      const fetchRound: Array<number> = []
      // Alternate which side goes first.
      if (round % 2 === 0) {
        await runtime.runPromise(sdkLoop(calls, sdkRound))
        await fetchLoop(calls, fetchRound)
      } else {
        await fetchLoop(calls, fetchRound)
        await runtime.runPromise(sdkLoop(calls, sdkRound))
      }
      const platformRound: Array<number> = []
      await runtime.runPromise(platformLoop(calls, platformRound))
      platform.push(...platformRound)
      sdk.push(...sdkRound)
      bare.push(...fetchRound)
      const s = summary(sdkRound)
      const f = summary(fetchRound)
      console.log(
        `  round ${round + 1}: sdk p50=${us(s.p50)} p99=${us(s.p99)} | fetch p50=${us(f.p50)} p99=${
          us(f.p99)
        } | ratio=${(s.p50 / f.p50).toFixed(2)}x`
      )
    }

    const s = summary(sdk)
    const f = summary(bare)
    const ratio = s.p50 / f.p50
    const p = summary(platform)
    console.log(`  all samples: sdk n=${s.n} p99=${us(s.p99)} | fetch n=${f.n} p99=${us(f.p99)}`)
    console.log(
      `  diagnosis: bare @effect/platform HttpClient.get p50=${us(p.p50)} p99=${us(p.p99)} (${
        (p.p50 / f.p50).toFixed(2)
      }x fetch); the SDK adds ${(s.p50 / p.p50).toFixed(2)}x on top`
    )
    console.log(
      `  p99 ratio=${(s.p99 / f.p99).toFixed(2)}x; target p50 ratio <= 1.3x: ${ratio <= 1.3 ? "met" : "NOT met"}`
    )
    console.log(`get-vs-fetch: sdk p50=${us(s.p50)} fetch p50=${us(f.p50)} ratio=${ratio.toFixed(2)}x`)
  } finally {
    await runtime.dispose()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
