/**
 * The SDK's own replacements of Effect and platform machinery, each side by side with what it
 * replaces, in one process, rounds alternating:
 *
 * - `internal/retrying.ts` against `Effect.retry`, on the path nearly every call takes (success);
 * - `internal/fastDecode.ts` against `Schema.decodeUnknownEither`, on a `/changes` answer with two
 *   events and on a `/status` answer;
 * - `UndiciHttpClient` against `NodeHttpClient.layerUndici`: CPU per request, and heap kept per
 *   request in flight (what a process watching many sessions holds while its long-polls wait).
 *
 * CPU is process time per operation (user + system); allocation is the growth of the young heap
 * over a batch small enough to need no collection (the largest of several batches, as a
 * collection can only make it smaller).
 *
 *   npx tsx bench/primitives.ts [rounds=7]
 */
import { HttpClient } from "@effect/platform"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { UndiciHttpClient } from "@hai-effect/platform-node"
import type { Layer } from "effect"
import { Effect, ManagedRuntime, Schema } from "effect"
import { spawnSync } from "node:child_process"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as FastDecode from "../packages/core/src/internal/fastDecode.js"
import * as Retrying from "../packages/core/src/internal/retrying.js"
import * as RetryPolicy from "../packages/core/src/RetryPolicy.js"
import * as Wire from "../packages/core/src/Wire.js"

// Allocation is read off the young heap: it must be large, and collections must be callable.
if (typeof globalThis.gc !== "function") {
  const child = spawnSync(
    process.execPath,
    ["--expose-gc", "--max-semi-space-size=64", ...process.execArgv, ...process.argv.slice(1)],
    { stdio: "inherit" }
  )
  process.exit(child.status ?? 1)
}
const gc = globalThis.gc as () => void
const rounds = Number(process.argv[2] ?? 7)

const median = (xs: ReadonlyArray<number>) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

/** CPU µs per op over `n` ops, and bytes allocated per op over a batch of `batch` ops. */
const measure = async (op: (n: number) => Promise<void> | void, n: number, batch: number) => {
  const cpu0 = process.cpuUsage()
  await op(n)
  const cpu = process.cpuUsage(cpu0)
  let allocated = 0
  for (let i = 0; i < 3; i++) {
    gc()
    const before = process.memoryUsage().heapUsed
    await op(batch)
    allocated = Math.max(allocated, process.memoryUsage().heapUsed - before)
  }
  return { cpu: (cpu.user + cpu.system) / n, bytes: allocated / batch }
}

const compare = async (
  title: string,
  sides: Record<string, (n: number) => Promise<void> | void>,
  n: number,
  batch: number
) => {
  const names = Object.keys(sides)
  for (const name of names) await sides[name](n)
  const cpu: Record<string, Array<number>> = {}
  const bytes: Record<string, Array<number>> = {}
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < names.length; i++) {
      const name = names[(i + round) % names.length]
      const m = await measure(sides[name], n, batch)
      ;(cpu[name] ??= []).push(m.cpu)
      ;(bytes[name] ??= []).push(m.bytes)
    }
  }
  console.log(title)
  for (const name of names) {
    console.log(
      `  ${name.padEnd(32)} cpu ${median(cpu[name]).toFixed(2).padStart(8)} µs/op  allocated ${
        Math.round(median(bytes[name])).toString().padStart(7)
      } B/op`
    )
  }
  const [ours, theirs] = names
  console.log(
    `  ${ours} / ${theirs}: cpu ${(median(cpu[ours]) / median(cpu[theirs])).toFixed(2)}x, allocated ${
      (median(bytes[ours]) / Math.max(1, median(bytes[theirs]))).toFixed(2)
    }x`
  )
}

const retries = async () => {
  const schedule = RetryPolicy.honourRetryAfter(RetryPolicy.defaultSchedule)
  const retryable = (error: unknown) => RetryPolicy.isTransient(error as never)
  const attempt = Effect.succeed(1)
  const loop = (wrap: (e: typeof attempt) => Effect.Effect<number, unknown>) => (n: number) =>
    Effect.runPromise(Effect.gen(function*() {
      for (let i = 0; i < n; i++) yield* wrap(attempt)
    }))
  await compare(
    "retrying a call that succeeds",
    {
      "Retrying.retryWhen": loop((e) => Retrying.retryWhen(e, schedule, retryable)),
      "Effect.retry": loop((e) => Effect.retry(e, { schedule, while: retryable }))
    },
    20_000,
    2_000
  )
}

const decoding = async () => {
  const changes = JSON.parse(JSON.stringify({
    status: "running",
    metrics: {
      steps: 1,
      cost_per_model: [{ name: "m", input_tokens: 1, output_tokens: 2, reasoning_tokens: 0, total_cost: 0.1 }],
      total_cost: 0.1
    },
    new_events: [
      {
        type: "AgentEvent",
        timestamp: "2026-11-30T12:00:00Z",
        data: { kind: "policy_event", thought: "Looking at the page", actions: [{ type: "click", x: 1 }] }
      },
      {
        type: "ActiveStateChangeEvent",
        timestamp: "2026-11-30T12:00:01Z",
        data: { state: "running", pending_tool_calls: [] }
      }
    ]
  }))
  const status = { status: "running", steps: 12, usage_per_model: [] }
  for (
    const [name, schema, body] of [["a /changes answer with two events", Wire.SessionChanges, changes], [
      "a /status answer",
      Wire.SessionStatus,
      status
    ]] as const
  ) {
    const fast = FastDecode.make(schema as Schema.Schema<any, any>)
    const full = Schema.decodeUnknownEither(schema as Schema.Schema<any, any>)
    if (fast(body) === undefined) throw new Error(`the fast decoder does not accept ${name}`)
    await compare(
      `decoding ${name}`,
      {
        "FastDecode": (n) => {
          for (let i = 0; i < n; i++) fast(body)
        },
        "Schema.decodeUnknownEither": (n) => {
          for (let i = 0; i < n; i++) full(body)
        }
      },
      20_000,
      1_000
    )
  }
}

const clients = async () => {
  const held: Array<http.ServerResponse> = []
  const server = http.createServer((req, res) => {
    if (req.url === "/hold") return void held.push(res)
    res.writeHead(200, { "content-type": "application/json" })
    res.end("{\"status\":\"running\"}")
  })
  server.keepAliveTimeout = 60_000
  server.maxConnections = 10_000
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const layers: Record<string, Layer.Layer<HttpClient.HttpClient>> = {
    UndiciHttpClient: UndiciHttpClient.layer,
    "NodeHttpClient.layerUndici": NodeHttpClient.layerUndici
  }
  const runtimes = Object.fromEntries(
    Object.entries(layers).map(([name, layer]) => [name, ManagedRuntime.make(layer)])
  )
  try {
    const sides = Object.fromEntries(
      Object.entries(runtimes).map(([name, runtime]) => [
        name,
        (n: number) =>
          runtime.runPromise(Effect.gen(function*() {
            const client = HttpClient.withTracerDisabledWhen(yield* HttpClient.HttpClient, () => true)
            for (let i = 0; i < n; i++) yield* Effect.flatMap(client.get(`${url}/status`), (r) => r.text)
          }))
      ])
    )
    await compare("a GET and its body read, request span off as the SDK runs it", sides, 2_000, 200)

    // Heap kept by requests that wait: 500 requests held by the server, as long-polls are.
    const inFlight = 500
    console.log(`heap kept per request in flight (${inFlight} held at once)`)
    for (const [name, runtime] of Object.entries(runtimes)) {
      const kept: Array<number> = []
      for (let round = 0; round < 3; round++) {
        gc()
        const before = process.memoryUsage().heapUsed
        const fibers = await runtime.runPromise(Effect.forEach(
          Array.from({ length: inFlight }),
          () => Effect.forkDaemon(Effect.flatMap(HttpClient.HttpClient, (client) => client.get(`${url}/hold`))),
          { concurrency: "unbounded" }
        ))
        while (held.length < inFlight) await new Promise((resolve) => setTimeout(resolve, 5))
        gc()
        kept.push((process.memoryUsage().heapUsed - before) / inFlight)
        for (const res of held.splice(0)) {
          res.writeHead(204)
          res.end()
        }
        await runtime.runPromise(Effect.forEach(fibers, (fiber) => fiber.await, { discard: true }))
      }
      console.log(`  ${name.padEnd(32)} ${Math.round(median(kept))} B`)
    }
  } finally {
    for (const runtime of Object.values(runtimes)) await runtime.dispose()
    server.closeAllConnections()
    await new Promise<void>((resolve) => server.close(() => resolve()))
  }
}

const main = async () => {
  const only = process.env.PRIMITIVES_ONLY
  if (only === undefined || only === "retries") await retries()
  if (only === undefined || only === "decoding") await decoding()
  if (only === undefined || only === "clients") await clients()
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
