/**
 * The SDK's cost over a bare client for one small GET: `sessions.status(id)` through
 * `HaiAgents.layer` + `FetchHttpClient.layer` (sdk-fetch) and through `NodeHai.layer`, which uses
 * `UndiciHttpClient` (sdk-undici), against a `fetch` loop and an `undici.request` loop
 * (fetch in Node is itself built on undici) with the same URL and headers that parse the JSON
 * body. One local server, one process, the order of the sides rotating every round so that drift
 * (JIT, GC, CPU frequency) hits all alike.
 *
 *   npx tsx bench/get-vs-fetch.ts [calls=2000] [rounds=5] [warmup=200]
 *
 * Target: SDK median per call <= 1.3x the bare loop's (sdk-fetch/fetch, sdk-undici/undici). A
 * fifth column, a bare `HttpClient.get` of @effect/platform over the same fetch (no schema, retry,
 * timeout or span of the SDK), is printed for diagnosis: it splits the gap between the
 * platform's share and the SDK's own.
 */
import { FetchHttpClient, HttpClient } from "@effect/platform"
import * as Undici from "@effect/platform-node/Undici"
import { HaiAgents } from "@hai-effect/core"
import { NodeHai } from "@hai-effect/platform-node"
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
  const undiciRuntime = ManagedRuntime.make(NodeHai.layer({ apiKey, baseUrl: url }))
  const dispatcher = new Undici.Agent()
  try {
    const hai = await runtime.runPromise(HaiAgents.HaiAgents)
    const haiUndici = await undiciRuntime.runPromise(HaiAgents.HaiAgents)

    // The same headers the SDK sends (identification, key, accept).
    const headers: Record<string, string> = {
      ...runtimeHeaders(),
      authorization: `Bearer ${apiKey}`,
      accept: "application/json"
    }
    const target = `${url}${statusPath}`

    const sdkLoop = (n: number, out?: Array<number>, client = hai) =>
      Effect.gen(function*() {
        for (let i = 0; i < n; i++) {
          const start = performance.now()
          const status = yield* client.sessions.status(sessionId)
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

    const undiciLoop = async (n: number, out?: Array<number>) => {
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
      "sdk-fetch": (n: number, out?: Array<number>) => runtime.runPromise(sdkLoop(n, out)),
      fetch: fetchLoop,
      "sdk-undici": (n: number, out?: Array<number>) => undiciRuntime.runPromise(sdkLoop(n, out, haiUndici)),
      undici: undiciLoop,
      "platform-fetch": (n: number, out?: Array<number>) => runtime.runPromise(platformLoop(n, out))
    } as const
    type Side = keyof typeof sides
    const names = Object.keys(sides) as Array<Side>

    // Warm-up: JIT, connection pools, the SDK's lazy structures.
    for (const name of names) await sides[name](warmup)

    const all = Object.fromEntries(names.map((n) => [n, [] as Array<number>])) as Record<Side, Array<number>>
    const roundP50 = Object.fromEntries(names.map((n) => [n, [] as Array<number>])) as Record<Side, Array<number>>
    const roundRatios = {
      sdkFetch: [] as Array<number>,
      sdkUndiciFetch: [] as Array<number>,
      sdkUndici: [] as Array<number>
    }
    console.log(`get-vs-fetch: ${rounds} rounds x ${calls} sequential calls each side, warm-up ${warmup}`)
    for (let round = 0; round < rounds; round++) {
      // Rotate the order of the sides.
      const order = names.map((_, i) => names[(i + round) % names.length])
      const samples = {} as Record<Side, Array<number>>
      for (const name of order) {
        samples[name] = []
        await sides[name](calls, samples[name])
        all[name].push(...samples[name])
        roundP50[name].push(summary(samples[name]).p50)
      }
      const p50 = (n: Side) => summary(samples[n]).p50
      roundRatios.sdkFetch.push(p50("sdk-fetch") / p50("fetch"))
      roundRatios.sdkUndiciFetch.push(p50("sdk-undici") / p50("fetch"))
      roundRatios.sdkUndici.push(p50("sdk-undici") / p50("undici"))
      console.log(
        `  round ${round + 1}: ${names.map((n) => `${n} p50=${us(p50(n))}`).join(" | ")} | sdk-fetch/fetch=${
          roundRatios.sdkFetch[round].toFixed(2)
        }x sdk-undici/undici=${roundRatios.sdkUndici[round].toFixed(2)}x`
      )
    }

    const med = (xs: ReadonlyArray<number>) => summary(xs).p50
    for (const name of names) {
      const s = summary(all[name])
      console.log(
        `  ${name.padEnd(14)} all samples n=${s.n} p50=${us(s.p50)} p99=${us(s.p99)}; median of round p50s=${
          us(med(roundP50[name]))
        }`
      )
    }
    const ratio = med(roundRatios.sdkFetch)
    const ratioUndici = med(roundRatios.sdkUndici)
    const p = summary(all["platform-fetch"])
    const f = summary(all.fetch)
    const s = summary(all["sdk-fetch"])
    console.log(
      `  diagnosis: bare @effect/platform HttpClient.get over fetch p50=${us(p.p50)} (${
        (p.p50 / f.p50).toFixed(2)
      }x fetch); the SDK adds ${(s.p50 / p.p50).toFixed(2)}x on top; fetch/undici=${
        (f.p50 / summary(all.undici).p50).toFixed(2)
      }x`
    )
    console.log(
      `get-vs-fetch (median of per-round p50 ratios): sdk-fetch/fetch=${ratio.toFixed(2)}x sdk-undici/fetch=${
        med(roundRatios.sdkUndiciFetch).toFixed(2)
      }x sdk-undici/undici=${ratioUndici.toFixed(2)}x (target <= 1.3x: sdk-fetch ${
        ratio <= 1.3 ? "met" : "NOT met"
      }, sdk-undici ${ratioUndici <= 1.3 ? "met" : "NOT met"})`
    )
  } finally {
    await runtime.dispose()
    await undiciRuntime.dispose()
    await dispatcher.close()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
