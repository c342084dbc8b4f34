/**
 * HTTP requests per watched session: the SDK's watcher (one request per round, /status only
 * after a 204) against a baseline that replays the official loop (/changes then /status every
 * round, drain on settle, answer fetch when no change carried one), on the same scenarios, in one
 * run, against one emulator process.
 *
 *   pnpm tsx bench/requests-per-session.ts [sessions=40]
 */
import { FetchHttpClient, HttpClient } from "@effect/platform"
import { ChangeFeed, HaiAgents, Session } from "@hai-effect/core"
import { Effect, Layer, Option } from "effect"
import { startEmulator } from "./support/emulator-process.js"

const sessions = Number(process.argv[2] ?? 40)
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
    const layer = HaiAgents.layer({
      apiKey: emulator.apiKey,
      baseUrl: emulator.url,
      transformClient: HttpClient.tapRequest(() => Effect.sync(() => counter++))
    }).pipe(Layer.provide(FetchHttpClient.layer))

    const measure = async (name: string, program: Effect.Effect<unknown, unknown, HaiAgents.HaiAgents>) => {
      counter = 0
      const started = performance.now()
      await Effect.runPromise(program.pipe(Effect.provide(layer)))
      const perSession = counter / sessions
      console.log(
        `${name}: ${counter} requests for ${sessions} sessions = ${perSession.toFixed(2)} per session (${
          ((performance.now() - started) / 1000).toFixed(1)
        } s)`
      )
      return perSession
    }

    const tasks = Array.from({ length: sessions }, (_, i) => `task ${i}`)
    const sdk = await measure(
      "hai-effect Session.run",
      Effect.forEach(tasks, (messages) => Session.run({ agent, messages }), { concurrency: "unbounded", discard: true })
    )
    const official = await measure(
      "official loop (baseline)",
      Effect.forEach(tasks, (messages) =>
        Effect.gen(function*() {
          const hai = yield* HaiAgents.HaiAgents
          const session = yield* hai.sessions.create({ agent, messages })
          yield* officialLoop(session.id)
        }), { concurrency: "unbounded", discard: true })
    )
    console.log(
      `requests-per-session: sdk=${sdk.toFixed(2)} official=${official.toFixed(2)} ratio=${
        (sdk / official).toFixed(2)
      }x (target <= 0.55x)`
    )
  } finally {
    emulator.stop()
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
