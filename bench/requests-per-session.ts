/**
 * HTTP requests per watched session: the SDK's watcher (one request per round, /status only
 * after a 204) against a baseline that replays the official loop (/changes then /status every
 * round, drain on settle, answer fetch when no change carried one), on the same scenarios, in one
 * run, against one emulator process.
 *
 * Repeated `repeats` times, the order alternating; the ratio printed last is the median of the
 * repeats' ratios (round counts depend on how the emulator's events batch, so single runs vary).
 *
 *   pnpm tsx bench/requests-per-session.ts [sessions=40] [repeats=5]
 */
import { FetchHttpClient, HttpClient, UrlParams } from "@effect/platform"
import { ChangeFeed, HaiAgents, Session } from "@hai-effect/core"
import { Effect, Layer, Option } from "effect"
import { startEmulator } from "./support/emulator-process.js"

const sessions = Number(process.argv[2] ?? 40)
const repeats = Number(process.argv[3] ?? 5)
const agent = "h/web-surfer-holo3-1-35b"

const officialLoop = (id: string) =>
  Effect.gen(function*() {
    const hai = yield* HaiAgents.HaiAgents
    let cursor = 0
    let answered = false
    while (true) {
      const changes = yield* hai.sessions.changes(id, { from_index: cursor, wait_for_seconds: 20 })
      if (Option.isSome(changes)) {
        cursor += changes.value.new_events?.length ?? 0
        if (changes.value.answer !== null && changes.value.answer !== undefined) answered = true
      }
      const status = yield* hai.sessions.status(id)
      if (ChangeFeed.isSettled(status.status)) break
    }
    while (true) {
      const more = yield* hai.sessions.changes(id, { from_index: cursor, wait_for_seconds: 0 })
      if (Option.isNone(more) || (more.value.new_events ?? []).length === 0) break
      cursor += more.value.new_events?.length ?? 0
      if (more.value.answer !== null && more.value.answer !== undefined) answered = true
    }
    if (!answered) yield* hai.sessions.changes(id, { from_index: 0, include_events: false })
  })

const main = async () => {
  const emulator = await startEmulator(["--tick-ms", "150", "--concurrency", String(sessions * 2)])
  try {
    let counter = 0
    // Requests by kind and answer: "changes 200", "changes 204", "status 200", "create 201", ...
    const byKind = new Map<string, number>()
    const kindOf = (url: string) =>
      url.replace(/^.*\/sessions\/?/, "").replace(/^[0-9a-f-]{36}\/?/, "").replace(/\?.*$/, "") || "create"
    const wait0 = (params: UrlParams.UrlParams) => {
      const wait = UrlParams.getFirst(params, "wait_for_seconds")
      return wait._tag === "None" || wait.value === "0"
    }
    const layer = HaiAgents.layer({
      apiKey: emulator.apiKey,
      baseUrl: emulator.url,
      transformClient: (client) =>
        client.pipe(
          HttpClient.tapRequest(() => Effect.sync(() => counter++)),
          HttpClient.tap((res) =>
            Effect.sync(() => {
              const kind = kindOf(res.request.url)
              const key = `${kind}${
                kind === "changes" ? (wait0(res.request.urlParams) ? "(wait 0)" : "(long-poll)") : ""
              } ${res.status}`
              byKind.set(key, (byKind.get(key) ?? 0) + 1)
            })
          )
        )
    }).pipe(Layer.provide(FetchHttpClient.layer))

    const measure = async (name: string, program: Effect.Effect<unknown, unknown, HaiAgents.HaiAgents>) => {
      counter = 0
      byKind.clear()
      const started = performance.now()
      await Effect.runPromise(program.pipe(Effect.provide(layer)))
      const perSession = counter / sessions
      console.log(
        `${name}: ${counter} requests for ${sessions} sessions = ${perSession.toFixed(2)} per session (${
          ((performance.now() - started) / 1000).toFixed(1)
        } s)`
      )
      console.log(
        `  per session (answered; the rest were interrupted when the run returned): ${
          [...byKind.entries()].sort().map(([k, v]) => `${k}: ${(v / sessions).toFixed(2)}`).join(", ")
        }`
      )
      return perSession
    }

    const tasks = Array.from({ length: sessions }, (_, i) => `task ${i}`)
    const runSdk = () =>
      measure(
        "hai-effect Session.run",
        Effect.forEach(tasks, (messages) => Session.run({ agent, messages }), {
          concurrency: "unbounded",
          discard: true
        })
      )
    const runOfficial = () =>
      measure(
        "official loop (baseline)",
        Effect.forEach(tasks, (messages) =>
          Effect.gen(function*() {
            const hai = yield* HaiAgents.HaiAgents
            const session = yield* hai.sessions.create({ agent, messages })
            yield* officialLoop(session.id)
          }), { concurrency: "unbounded", discard: true })
      )
    const rows: Array<{ sdk: number; official: number; ratio: number }> = []
    for (let r = 0; r < repeats; r++) {
      let sdk: number
      let official: number
      if (r % 2 === 0) {
        sdk = await runSdk()
        official = await runOfficial()
      } else {
        official = await runOfficial()
        sdk = await runSdk()
      }
      rows.push({ sdk, official, ratio: sdk / official })
    }
    const mid = [...rows].sort((a, b) => a.ratio - b.ratio)[Math.floor(rows.length / 2)]
    console.log(
      `requests-per-session (median of ${repeats}; ratios ${rows.map((r) => r.ratio.toFixed(2)).join(", ")}): sdk=${
        mid.sdk.toFixed(2)
      } official=${mid.official.toFixed(2)} ratio=${mid.ratio.toFixed(2)}x (target <= 0.55x)`
    )
  } finally {
    emulator.stop()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
