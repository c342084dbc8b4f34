/**
 * Many sessions run at once by one process (`Session.run` with an `onEvent` consumer, over
 * `NodeHai.layer`), the emulator in its own process. Two phases, same process, one after the other:
 *
 * - burst: `sessions` runs started at the same instant on the default scripted agent (tick 500 ms,
 *   ~16 events each, all within ~2 s): every one settles, no event index lost or seen twice, peak
 *   RSS of the SDK process (target <= 300 MiB), delivery latency (emulator append -> `onEvent`).
 * - steady: `sessions` runs of a ticker agent (`steps` thinks of `ms` each, starts staggered over
 *   `ms`), i.e. ~2 x sessions / (ms / 1000) events per second once all are started; the delivery
 *   latency is measured over the events emitted while every session is watched: after `--warmup`
 *   ms (default 2 x ms + 3 s: the creation of every session and the backlog of their first events
 *   are the burst phase's subject) and before the first session settles (targets p50 <= 5 ms,
 *   p99 <= 25 ms). The settling that follows, every session ending within one step, and the whole
 *   run after the warm-up are printed beside it, as is the worst latency of each second.
 *
 * Each phase runs in its own process. Also printed, to tell which side saturates: the SDK's event-loop delay, and per second the events
 * delivered and the CPU used by the SDK process and by the emulator.
 *
 * Each phase runs compiled (bundled by esbuild, on bare node) unless `--tsx` is given.
 *
 * `--consumer stream` reads each session's events as a Stream (`Session.start` and `handle.events`)
 * instead of through `Session.run`'s `onEvent`; `--consumer start` through `Session.start`'s.
 *
 * `--node-flags "..."` passes flags to the measured process (e.g. `"--max-old-space-size=768"`, to see
 * how a heap cap trades RSS for collections).
 *
 *   npx tsx bench/fleet.ts [sessions=1000] [--steps 20] [--ms 1000] [--warmup ms] [--only burst|steady]
 *     [--consumer onEvent|start|stream] [--node-flags "..."] [--tsx]
 */
import { HttpClient } from "@effect/platform"
import { type ChangeFeed, Session } from "@hai-effect/core"
import { NodeHai } from "@hai-effect/platform-node"
import { Cause, Effect, Stream } from "effect"
import { spawn } from "node:child_process"
import { monitorEventLoopDelay } from "node:perf_hooks"
import { compile } from "./support/compiled.js"
import { childScript, cpuSecondsOf, percentile, rssOf, startEmulator } from "./support/emulator-process.js"

const argv = process.argv.slice(2)
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`)
  return i === -1 ? fallback : argv[i + 1]
}
const sessions = Number(argv[0] !== undefined && !argv[0].startsWith("--") ? argv[0] : 1000)
const steps = Number(flag("steps", "20"))
const stepMs = Number(flag("ms", "1000"))
const only = flag("only", "all")
const warmupMs = Number(flag("warmup", String(2 * stepMs + 3000)))
// How events reach the consumer: `onEvent` of `Session.run` (default), or `stream`.
const consumer = flag("consumer", "onEvent")

const now = () => performance.timeOrigin + performance.now()

const phase = async (name: "burst" | "steady") => {
  const emulator = name === "burst"
    ? await startEmulator(["--tick-ms", "500", "--concurrency", String(sessions)])
    : await startEmulator(["--concurrency", String(sessions * 2)], { script: childScript })
  // [emitted at, latency] of the events emitted after the warm-up.
  const samples: Array<readonly [number, number]> = []
  // When the first session settled: from then on fewer than `sessions` are watched, and the
  // sessions of the steady phase, started a step apart, all settle within the same second.
  let firstSettledAt = Infinity
  // Requests the SDK made, by kind and answer, and the most in flight at once.
  const requests = new Map<string, number>()
  let inFlight = 0
  let maxInFlight = 0
  const kindOf = (url: string) =>
    url.replace(/^.*\/sessions\/?/, "").replace(/^[0-9a-f-]{36}\/?/, "").replace(/\?.*$/, "") || "create"
  const count = (key: string) => requests.set(key, (requests.get(key) ?? 0) + 1)
  const transformClient = (client: HttpClient.HttpClient) =>
    client.pipe(
      HttpClient.tapRequest(() => Effect.sync(() => (maxInFlight = Math.max(maxInFlight, ++inFlight)))),
      HttpClient.transformResponse((effect) =>
        Effect.onExit(effect, (exit) =>
          Effect.sync(() => {
            inFlight--
            if (exit._tag === "Success") count(`${kindOf(exit.value.request.url)} ${exit.value.status}`)
            else count(Cause.isInterruptedOnly(exit.cause) ? "interrupted" : "failed")
          }))
      )
    )
  let measureFrom = name === "burst" ? 0 : Infinity
  const rssBefore = process.memoryUsage().rss / 1024 / 1024
  const loopDelay = monitorEventLoopDelay({ resolution: 10 })
  let peakHeap = 0
  let peakRss = 0
  let peakEmulatorRss = 0
  const timeline: Array<string> = []
  let delivered = 0
  // The worst delivery latency in each second, to tell a start-up stall from a steady-state tail.
  let secondMax = 0
  let lastDelivered = 0
  let lastCpu = process.cpuUsage()
  let lastEmuCpu = await cpuSecondsOf(emulator.pid)
  const sampler = setInterval(() => {
    const m = process.memoryUsage()
    peakRss = Math.max(peakRss, m.rss / 1024 / 1024)
    peakHeap = Math.max(peakHeap, m.heapUsed / 1024 / 1024)
  }, 100)
  const ticker = setInterval(() => {
    const cpu = process.cpuUsage(lastCpu)
    lastCpu = process.cpuUsage()
    void Promise.all([cpuSecondsOf(emulator.pid), rssOf(emulator.pid)]).then(([emuCpu, emuRss]) => {
      peakEmulatorRss = Math.max(peakEmulatorRss, emuRss)
      timeline.push(
        `${delivered - lastDelivered}/${Math.round((cpu.user + cpu.system) / 10_000)}%/${
          Math.round((emuCpu - lastEmuCpu) * 100)
        }%/${Math.round(secondMax)}`
      )
      secondMax = 0
      lastEmuCpu = emuCpu
      lastDelivered = delivered
    }, () => undefined)
  }, 1000)
  const cpuStart = process.cpuUsage()
  try {
    const started = now()
    loopDelay.enable()
    // Steady phase: count only the events after every session started and made its first step.
    const ramp = name === "steady" ? setTimeout(() => (measureFrom = now()), warmupMs) : undefined
    const results = await Effect.runPromise(
      Effect.forEach(
        Array.from({ length: sessions }, (_, i) => i),
        (i) => {
          const agent = name === "burst" ? "h/web-surfer-holo3-1-35b" : "bench/ticker"
          const messages = name === "burst" ? `task ${i}` : `${steps}x${stepMs}`
          const onEvent = ({ event }: ChangeFeed.IndexedEvent) =>
            Effect.sync(() => {
              delivered++
              const at = now()
              const emitted = Date.parse(event.timestamp)
              const latency = at - emitted
              secondMax = Math.max(secondMax, latency)
              // Events emitted in the measured window, however late they arrive.
              if (emitted >= measureFrom) samples.push([emitted, latency])
            })
          // `stream`: a handle's `events` Stream read by a consumer fiber, while the turn is awaited.
          // `start`: a handle whose watcher hands each event to `onEvent`, while the turn is awaited.
          const watched = consumer === "stream"
            ? Effect.scoped(
              Effect.flatMap(Session.start({ agent, messages }), (handle) =>
                Effect.zipRight(
                  Effect.forkScoped(Stream.runForEach(handle.events, onEvent)),
                  handle.awaitSettled()
                ))
            )
            : consumer === "start"
            ? Effect.scoped(
              Effect.flatMap(Session.start({ agent, messages, onEvent }), (handle) => handle.awaitSettled())
            )
            : Session.run({ agent, messages, onEvent })
          const run = watched.pipe(
            Effect.tap(() => Effect.sync(() => (firstSettledAt = Math.min(firstSettledAt, now())))),
            Effect.either
          )
          return name === "burst" ? run : Effect.delay(run, `${(i * stepMs) / sessions} millis`)
        },
        { concurrency: "unbounded" }
      ).pipe(
        Effect.provide(NodeHai.layer({ apiKey: emulator.apiKey, baseUrl: emulator.url, transformClient }))
      )
    )
    clearTimeout(ramp)
    const elapsed = (now() - started) / 1000
    const cpu = process.cpuUsage(cpuStart)
    loopDelay.disable()
    let lost = 0
    let duplicated = 0
    const failures: Array<string> = []
    let settled = 0
    for (const r of results) {
      if (r._tag === "Left") {
        failures.push(r.left._tag)
        continue
      }
      settled++
      const indices = r.right.events.map((e) => e.index)
      duplicated += indices.length - new Set(indices).size
      lost += r.right.nextIndex - new Set(indices).size
    }
    const window = (from: number, to: number) =>
      samples.filter(([emitted]) => emitted >= from && emitted < to).map(([, latency]) => latency).sort((a, b) => a - b)
    const describe = (sorted: ReadonlyArray<number>) =>
      `n=${sorted.length} p50=${percentile(sorted, 50).toFixed(1)} ms p99=${percentile(sorted, 99).toFixed(1)} ms max=${
        sorted[sorted.length - 1]?.toFixed(0)
      } ms`
    // The burst phase is measured whole; the steady one while every session is watched, and the
    // settling that follows (1,000 sessions ending within a second) is printed on its own.
    const sorted = name === "burst" ? window(0, Infinity) : window(measureFrom, firstSettledAt)
    const emulatorRss = await rssOf(emulator.pid)
    const tag = `fleet ${name}`
    console.log(
      `${tag}: ${settled}/${sessions} settled in ${elapsed.toFixed(1)} s; failures: ${failures.length} ${
        [...new Set(failures)].join(",")
      }; events lost=${lost} duplicated=${duplicated} delivered=${delivered}`
    )
    console.log(
      `${tag}: delivery latency (emulator append -> ${consumer === "stream" ? "Stream consumer" : "onEvent"}${
        consumer === "start" ? " of Session.start" : ""
      })${name === "steady" ? `, all ${sessions} sessions watched` : ""}: ${describe(sorted)} (targets 5 / 25)`
    )
    if (name === "steady") {
      console.log(
        `${tag}: delivery latency while the sessions settle (all within ~${stepMs} ms): ${
          describe(window(firstSettledAt, Infinity))
        }; all events after the warm-up: ${describe(window(measureFrom, Infinity))}`
      )
    }
    console.log(
      `${tag}: SDK peak RSS=${peakRss.toFixed(0)} MiB (before the sessions ${
        rssBefore.toFixed(0)
      } MiB; target <= 300), peak heap used=${peakHeap.toFixed(0)} MiB; emulator RSS=${
        emulatorRss.toFixed(0)
      } MiB (peak ${peakEmulatorRss.toFixed(0)})`
    )
    console.log(
      `${tag}: SDK event-loop delay p50=${(loopDelay.percentile(50) / 1e6).toFixed(0)} ms p99=${
        (loopDelay.percentile(99) / 1e6).toFixed(0)
      } ms max=${(loopDelay.max / 1e6).toFixed(0)} ms`
    )
    console.log(
      `${tag}: SDK requests ${[...requests.values()].reduce((a, b) => a + b, 0)} (${
        [...requests.entries()].map(([k, v]) => `${k}: ${v}`).join(", ")
      }), at most ${maxInFlight} in flight; SDK CPU ${((cpu.user + cpu.system) / 1e6).toFixed(1)} s = ${
        ((cpu.user + cpu.system) / 1000 / [...requests.values()].reduce((a, b) => a + b, 0)).toFixed(2)
      } ms per request`
    )
    console.log(`${tag}: per second, events delivered/SDK CPU/emulator CPU/worst latency (ms): ${timeline.join(" ")}`)
    return failures.length === 0 && lost === 0 && duplicated === 0
  } finally {
    clearInterval(sampler)
    clearInterval(ticker)
    emulator.stop()
  }
}

// Each phase in its own process, so that one's heap does not weigh on the other's RSS; by default
// that process runs this file compiled (`--tsx`: under tsx instead, whose loader adds ~190 MiB).
// `--phase` (internal) tells such a process which phase to run.
const runPhaseProcess = (name: string, command: ReadonlyArray<string>) =>
  new Promise<number>((resolve) => {
    const own = ["--only", "--phase", "--node-flags"]
    const args = process.argv.slice(2).filter((a, i, all) => !own.includes(a) && !own.includes(all[i - 1]))
    const nodeFlags = flag("node-flags", "").split(" ").filter((f) => f !== "")
    spawn(process.execPath, [...nodeFlags, ...command, ...args, "--phase", name], { stdio: "inherit" })
      .on("exit", (code: number | null) => resolve(code ?? 1))
  })

const main = async () => {
  const inProcess = flag("phase", "")
  if (inProcess !== "") {
    const ok = await phase(inProcess === "steady" ? "steady" : "burst")
    if (!ok) process.exitCode = 1
    return
  }
  const command = argv.includes("--tsx")
    ? [...process.execArgv, import.meta.filename]
    : [await compile(import.meta.filename)]
  console.log(
    `fleet: ${sessions} sessions, each phase in its own process (${
      argv.includes("--tsx") ? "tsx" : "compiled bundle on node"
    }${flag("node-flags", "") !== "" ? `, node flags: ${flag("node-flags", "")}` : ""})`
  )
  const phases = only === "all" ? ["burst", "steady"] : [only]
  const codes: Array<number> = []
  for (const name of phases) codes.push(await runPhaseProcess(name, command))
  if (codes.some((c) => c !== 0)) process.exitCode = 1
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
