/**
 * Durable sessions over three runners on PostgreSQL, side by side with plain `Session.run` in one
 * process, against one emulator (served on loopback by this process).
 *
 *   pnpm tsx bench/durable.ts [--sessions 1000] [--steady 600] [--rate 10] [--queued 10000] [--limit 400]
 *     [--explain N]
 *
 * Phase 1: the same N one-step sessions as N plain `Session.run` in one process (a child of this
 * one, so that neither side shares the emulator's thread), then as N
 * durable workflows (`DurableSession.run`) spread over three runner processes, woken by
 * webhooks. Prints: all settled, duplicates, wall time of each and their ratio (target <= 2x),
 * p50/p99 from the settling webhook to the workflow's next read of its session (target p99 <=
 * 250 ms), the runners' peak RSS, and database rows written per session (inserts + updates).
 * The wake-up latency of a burst is mostly queueing on this machine; phase 1b measures it again with
 * `--steady` sessions arriving at `--rate` per second, below the runners' throughput.
 * `--explain N` prints the stored messages of the N slowest wake-ups of the burst.
 * Phase 2: `--queued` more workflows queued at once through the same runners, each runner
 * keeping at most `--limit` sessions active (`SessionLimit`): all settled, most active at once,
 * wall time, rows per session.
 *
 * PostgreSQL: HAI_TEST_PG_URL, or a private server started here (Debian's `postgresql`).
 */
import { NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { HaiAgents, Session } from "@hai-effect/core"
import type * as Emulator from "@hai-effect/emulator/Emulator"
import { Effect, Fiber, Layer, Schema } from "effect"
import { execFile, execFileSync } from "node:child_process"
import { promisify } from "node:util"
import * as Harness from "../packages/workflow/test/support/harness.js"
import * as Postgres from "../packages/workflow/test/support/postgres.js"

const execFileAsync = promisify(execFile)

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`)
  return i === -1 ? fallback : Number(process.argv[i + 1])
}
const SESSIONS = arg("sessions", 1000)
const QUEUED = arg("queued", 10_000)
const LIMIT = arg("limit", 400)
const STEADY = arg("steady", 600)
const RATE = arg("rate", 10)
/** Print the stored messages of the N slowest wake-ups. */
const EXPLAIN = arg("explain", 0)

const Jobs = Schema.Struct({ jobs: Schema.Array(Schema.Struct({ title: Schema.String, company: Schema.String })) })

const quantile = (values: ReadonlyArray<number>, q: number) => {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]
}
const wakeLatencies = (
  h: Effect.Effect.Success<ReturnType<typeof Harness.make>>,
  sessions: ReadonlyArray<Emulator.SessionSnapshot>
) => {
  const latencies: Array<number> = []
  for (const s of sessions) {
    const settled = h.settledAt.get(s.id)
    const resumed = h.resumedAt.get(s.id)
    if (settled !== undefined && resumed !== undefined) latencies.push(resumed - settled)
  }
  return latencies
}

const describe = (latencies: ReadonlyArray<number>) =>
  `p50 ${quantile(latencies, 0.5).toFixed(0)} ms, p99 ${
    quantile(latencies, 0.99).toFixed(0)
  } ms over ${latencies.length}`
  + ` (target p99 <= 250 ms); p90 ${quantile(latencies, 0.9).toFixed(0)} ms, max ${
    Math.max(...latencies).toFixed(0)
  } ms, ${latencies.filter((ms) => ms > 10_000).length} over 10 s`

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`

const rowsWritten = (url: string): number => {
  const out = execFileSync(Postgres.psqlPath(), [
    url,
    "-At",
    "-c",
    "SELECT pg_stat_force_next_flush(); SELECT coalesce(sum(n_tup_ins + n_tup_upd), 0) FROM pg_stat_user_tables"
  ], { encoding: "utf8" })
  return Number(out.trim().split("\n").pop())
}

/**
 * The first failed workflow's stored result, if one failed (it will never report done). Read
 * without blocking this process, which serves the emulator.
 */
const failedWorkflow = (url: string) =>
  Effect.promise(() =>
    execFileAsync(Postgres.psqlPath(), [
      url,
      "-At",
      "-c",
      `SELECT r.payload FROM cluster_messages m JOIN cluster_replies r ON r.id = m.last_reply_id
       WHERE m.tag = 'run' AND r.payload LIKE '%"Complete","exit":{"_tag":"Failure"%' LIMIT 1`
    ], { encoding: "utf8" })
  ).pipe(Effect.map(({ stdout }) => stdout.trim() === "" ? undefined : stdout.trim()))

const waitUntil = (check: () => boolean, what: string, seconds: number, url: string) =>
  Effect.gen(function*() {
    const deadline = Date.now() + seconds * 1000
    let checked = Date.now()
    while (!check()) {
      if (Date.now() > deadline) return yield* Effect.dieMessage(`timed out waiting for ${what}`)
      if (Date.now() - checked > 5000) {
        checked = Date.now()
        const failed = yield* failedWorkflow(url)
        if (failed !== undefined) return yield* Effect.dieMessage(`a workflow failed: ${failed.slice(0, 600)}`)
      }
      yield* Effect.sleep("100 millis")
    }
  })

const main = Effect.gen(function*() {
  const runnerScript = yield* Effect.promise(() => Harness.bundleRunner())
  const pg = yield* Effect.acquireRelease(
    Effect.promise(() => Postgres.start()),
    (pg) => Effect.promise(() => pg.stop())
  )
  const url = yield* Effect.promise(() => pg.database("bench_durable"))
  const h = yield* Harness.make({ runners: 3, pgUrl: url, pollMs: 30_000, toolMs: 0, runnerScript, limit: LIMIT })
  const hai = yield* HaiAgents.HaiAgents

  // The bench's own webhook first, so its delivery marks the moment the session settled.
  yield* hai.webhooks.create({ url: `${h.url}/harness/hook`, enabled_events: ["session.status_updated"] })
  // The runners sit behind one URL, as the package's docs advise: each event reaches one runner,
  // which wakes the step wherever its workflow runs. With no load balancer here, that URL is the
  // first runner's handler.
  const front = h.runners[0]
  const hook = yield* hai.webhooks.create({
    url: `http://127.0.0.1:${front.webhookPort}/hai/webhooks`,
    enabled_events: ["session.status_updated"]
  })
  front.secret = hook.secret
  yield* h.spawnRunner(h.runners[0])
  yield* Effect.forEach(h.runners.slice(1), h.spawnRunner, { concurrency: "unbounded", discard: true })

  // ---- phase 1a: plain Session.run in one process of its own --------------------------------------
  // Not in this process: it serves the emulator, and the durable runners have the emulator's thread
  // to themselves too. Same loopback socket, same agent.
  const plainRun = yield* Effect.async<string, Error>((resume) => {
    const child = execFile(
      process.execPath,
      [...process.execArgv, import.meta.filename, "--plain", h.url, String(SESSIONS)],
      { encoding: "utf8", maxBuffer: 1 << 20 },
      (error, stdout) => resume(error === null ? Effect.succeed(stdout) : Effect.fail(error))
    )
    // Interrupted (Ctrl-C, SIGTERM): the plain side stops with the bench.
    return Effect.sync(() => child.kill("SIGKILL"))
  })
  const { ms: plainMs, ok: plainOk }: { ms: number; ok: number } = JSON.parse(plainRun.trim().split("\n").pop()!)

  // ---- phase 1b: the same as durable workflows over three runners -------------------------------
  const rowsBefore = rowsWritten(url)
  const durableStart = performance.now()
  for (let i = 0; i < SESSIONS; i++) {
    h.trials.push({ id: `durable-${i}`, agent: "bench", cancel: false, runner: String((i % 3) + 1) })
  }
  yield* waitUntil(() => h.done.size >= SESSIONS, "the durable workflows", 1800, url)
  const durableMs = performance.now() - durableStart
  const rowsDurable = rowsWritten(url) - rowsBefore
  const sessions = (yield* h.emulator.sessions).filter((s) => String(s.request.messages).startsWith("durable-"))
  const latencies = wakeLatencies(h, sessions)
  const rssPhase1 = h.runners.map((r) => mb(h.rss.get(r.id) ?? 0)).join(", ")
  if (EXPLAIN > 0) {
    // The slowest wake-ups, each with its workflow's stored messages.
    const slow = sessions.map((s) => ({ s, ms: (h.resumedAt.get(s.id) ?? 0) - (h.settledAt.get(s.id) ?? 0) }))
      .filter((x) => h.settledAt.has(x.s.id) && h.resumedAt.has(x.s.id))
      .sort((a, b) => b.ms - a.ms)
      .slice(0, EXPLAIN)
    for (const { ms, s } of slow) {
      const trial = String(s.request.messages).split(" ")[0]
      const settledWall = Date.now() - (performance.now() - h.settledAt.get(s.id)!)
      console.log(`\n  wake of ${trial} (${s.id}) took ${ms.toFixed(0)} ms; its messages (t = ms after settle):`)
      console.log(Postgres.workflowMessages(url, trial, settledWall))
    }
    for (const r of h.runners) console.log(`\n  runner ${r.id}, its latest output:\n${r.output.slice(-4000)}`)
  }

  console.log(`\n${SESSIONS} sessions, one step each, emulator on loopback, 3 runners on PostgreSQL`)
  console.log(`  plain Session.run, one process:   ${plainOk}/${SESSIONS} settled in ${(plainMs / 1000).toFixed(1)} s`)
  console.log(
    `  durable, three runners:           ${h.done.size}/${SESSIONS} settled in ${(durableMs / 1000).toFixed(1)} s`
      + `; sessions created ${sessions.length} (duplicates ${sessions.length - SESSIONS})`
  )
  console.log(`  wall time ratio durable/plain:    ${(durableMs / plainMs).toFixed(2)}x (target <= 2x)`)
  console.log(`  settle webhook -> workflow reads: ${describe(latencies)}`)
  console.log(`  runner peak RSS:                  ${rssPhase1}`)
  console.log(`  database rows written / session:  ${(rowsDurable / SESSIONS).toFixed(1)} (inserts + updates)`)
  const toRunners = (yield* h.emulator.deliveries).filter((d) => d.url.endsWith("/hai/webhooks"))
  console.log(
    `  webhook deliveries to the runners: ${toRunners.length} (of the latest kept), failed ${
      toRunners.filter((d) => d.error !== null).length
    }`
  )

  // ---- phase 1b: the same wake-up, sessions arriving at a steady rate -----------------------------
  if (STEADY > 0) {
    for (let i = 0; i < STEADY; i++) {
      h.trials.push({ id: `steady-${i}`, agent: "bench", cancel: false, runner: String((i % 3) + 1) })
      yield* Effect.sleep(`${1000 / RATE} millis`)
    }
    yield* waitUntil(() => h.done.size >= SESSIONS + STEADY, "the steady workflows", 600, url)
    const steady = (yield* h.emulator.sessions).filter((s) => String(s.request.messages).startsWith("steady-"))
    console.log(`\n${STEADY} more, arriving at ${RATE} per second (a new session every ${1000 / RATE} ms)`)
    console.log(`  settle webhook -> workflow reads: ${describe(wakeLatencies(h, steady))}`)
  }

  // ---- phase 2: many more queued through the same runners, each with its limit ------------------
  if (QUEUED > 0) {
    let most = 0
    const sampler = yield* Effect.fork(Effect.forever(Effect.zipRight(
      Effect.map(h.emulator.stats, (s) => {
        most = Math.max(most, s.sessionsUnsettled)
      }),
      Effect.sleep("200 millis")
    )))
    const before = rowsWritten(url)
    const start = performance.now()
    for (let i = 0; i < QUEUED; i++) {
      h.trials.push({ id: `queued-${i}`, agent: "bench", cancel: false, runner: String((i % 3) + 1) })
    }
    yield* waitUntil(() => h.done.size >= SESSIONS + STEADY + QUEUED, "the queued workflows", 3600, url)
    const ms = performance.now() - start
    yield* Fiber.interrupt(sampler)
    const created = (yield* h.emulator.sessions).filter((s) => String(s.request.messages).startsWith("queued-")).length
    console.log(`\n${QUEUED} more queued at once through the same runners, at most ${LIMIT} active per runner`)
    console.log(
      `  ${h.done.size - SESSIONS - STEADY}/${QUEUED} settled in ${
        (ms / 1000).toFixed(1)
      } s; sessions created ${created}`
        + ` (duplicates ${created - QUEUED}); most unsettled at once ${most} (limit ${3 * LIMIT})`
    )
    console.log(`  runner peak RSS:                  ${h.runners.map((r) => mb(h.rss.get(r.id) ?? 0)).join(", ")}`)
    console.log(`  database rows written / session:  ${((rowsWritten(url) - before) / QUEUED).toFixed(1)}`)
  }
}).pipe(
  Effect.provide(Harness.layer({ tick: 40 })),
  Effect.scoped
)

/** The plain side: N `Session.run` in this process against the emulator at `url`; prints its figures. */
const plainSide = (url: string, sessions: number) =>
  Effect.gen(function*() {
    const start = performance.now()
    const results = yield* Effect.forEach(
      Array.from({ length: sessions }, (_, i) => i),
      (i) => Effect.either(Session.run({ agent: "bench/finder", messages: `plain-${i} find`, answer: Jobs })),
      { concurrency: "unbounded" }
    )
    const ms = performance.now() - start
    console.log(JSON.stringify({ ms, ok: results.filter((r) => r._tag === "Right").length }))
  }).pipe(
    Effect.provide(
      HaiAgents.layer({ apiKey: "hk-emulator", baseUrl: url }).pipe(Layer.provide(NodeHttpClient.layerUndici))
    )
  )

const plainAt = process.argv.indexOf("--plain")

// runMain: Ctrl-C or a SIGTERM interrupts the bench, whose finalizers stop the runners and PostgreSQL.
NodeRuntime.runMain(Effect.zipRight(
  plainAt === -1 ? main : plainSide(process.argv[plainAt + 1], Number(process.argv[plainAt + 2])),
  Effect.sync(() => process.exit(0))
))
