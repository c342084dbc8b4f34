/**
 * 1,000 sessions run at once by one process: every one settles, no event index is lost or seen
 * twice, the event delivery latency (emulator append -> Stream consumer) and the peak RSS of the
 * SDK process. The emulator runs in its own process.
 *
 *   pnpm tsx bench/fleet.ts [sessions=1000]
 */
import { Session } from "@hai-effect/core"
import { NodeHai } from "@hai-effect/platform-node"
import { Effect } from "effect"
import { percentile, rssOf, startEmulator } from "./support/emulator-process.js"

const sessions = Number(process.argv[2] ?? 1000)

const main = async () => {
  const emulator = await startEmulator(["--tick-ms", "500", "--concurrency", String(sessions)])
  const latencies: Array<number> = []
  let peakRss = 0
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss / 1024 / 1024)
  }, 100)
  try {
    const started = performance.now()
    const results = await Effect.runPromise(
      Effect.forEach(
        Array.from({ length: sessions }, (_, i) => i),
        (i) => {
          const seen: Array<number> = []
          return Session.run({
            agent: "h/web-surfer-holo3-1-35b",
            messages: `task ${i}`,
            onEvent: ({ event, index }) =>
              Effect.sync(() => {
                seen.push(index)
                latencies.push(Date.now() - Date.parse(event.timestamp))
              })
          }).pipe(
            Effect.map((result) => ({ result, seen })),
            Effect.either
          )
        },
        { concurrency: "unbounded" }
      ).pipe(Effect.provide(NodeHai.layer({ apiKey: emulator.apiKey, baseUrl: emulator.url })))
    )
    const elapsed = (performance.now() - started) / 1000
    const settled = results.filter((r) => r._tag === "Right")
    let lost = 0
    let duplicated = 0
    for (const r of settled) {
      const { result } = r.right
      const indices = result.events.map((e) => e.index)
      duplicated += indices.length - new Set(indices).size
      lost += result.nextIndex - new Set(indices).size
    }
    const failures = results.filter((r) => r._tag === "Left").map((r) => (r as any).left?._tag)
    const sorted = [...latencies].sort((a, b) => a - b)
    const emulatorRss = await rssOf(emulator.pid)
    console.log(
      `fleet: ${settled.length}/${sessions} settled in ${elapsed.toFixed(1)} s; failures: ${failures.length} ${
        [...new Set(failures)].join(",")
      }`
    )
    console.log(`fleet: events lost=${lost} duplicated=${duplicated} delivered=${latencies.length}`)
    console.log(
      `fleet: delivery latency p50=${percentile(sorted, 50)} ms p99=${percentile(sorted, 99)} ms (targets 5 / 25)`
    )
    console.log(
      `fleet: SDK peak RSS=${peakRss.toFixed(0)} MiB (target <= 300), emulator RSS=${emulatorRss.toFixed(0)} MiB`
    )
  } finally {
    clearInterval(sampler)
    emulator.stop()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
