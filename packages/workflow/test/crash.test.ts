/**
 * The promises of durable sessions, checked with real crashes: runner processes are SIGKILLed at
 * seeded points (right after a create reached the service and before its answer; while a tool
 * call runs; while the workflow waits for its session to settle; between its two steps; right
 * after it was cancelled), 20 trials each. One runner on SQLite is restarted after each kill;
 * of three runners on PostgreSQL, the survivors carry on. Then every workflow has completed, the
 * emulator counts exactly one session per step, each tool's side effect (recorded here, outside
 * the killed processes) was applied once, and no cancelled workflow left its session running.
 */
import { assert, describe, it } from "@effect/vitest"
import { HaiAgents } from "@hai-effect/core"
import { Deferred, Effect, Schedule } from "effect"
import { mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll } from "vitest"
import * as Harness from "./support/harness.js"
import * as Postgres from "./support/postgres.js"

const TRIALS = 20
const POINTS: ReadonlyArray<Harness.KillPoint> = ["create", "tool", "wait", "between", "cancel"]
const TOOL_MS = 400

let runnerScript = ""
let pg: Postgres.Postgres | undefined
const tmp = mkdtempSync(join(tmpdir(), "hai-crash-"))

beforeAll(async () => {
  runnerScript = await Harness.bundleRunner()
}, 120_000)

afterAll(async () => {
  await pg?.stop()
  rmSync(tmp, { recursive: true, force: true })
}, 60_000)

const waitUntil = <E>(what: string, check: Effect.Effect<boolean, E>, seconds = 60, debug?: () => string) =>
  check.pipe(
    Effect.flatMap((ok) => (ok ? Effect.void : Effect.fail("not yet" as const))),
    Effect.retry(Schedule.spaced("50 millis")),
    Effect.timeoutFail({
      duration: `${seconds} seconds`,
      onTimeout: () => new Error(`timed out waiting for ${what}${debug ? `\n${debug()}` : ""}`)
    })
  )

const clusterState = (url: string, trial: string) =>
  [Postgres.workflowMessages(url, trial), Postgres.dump(url, "SELECT * FROM cluster_runners")].join("\n")

const campaign = (options: {
  readonly point: Harness.KillPoint
  readonly runners: number
  readonly seed: number
  readonly sqliteFile?: string
  readonly pgUrl?: string
}) =>
  Effect.gen(function*() {
    const h = yield* Harness.make({
      runners: options.runners,
      sqliteFile: options.sqliteFile,
      pgUrl: options.pgUrl,
      pollMs: 1500,
      toolMs: TOOL_MS,
      runnerScript
    })
    // One webhook per runner, as a load balancer would spread them: a dead runner's deliveries
    // are lost (the fallback status check covers them), the others still get theirs.
    const hai = yield* HaiAgents.HaiAgents
    for (const r of h.runners) {
      const hook = yield* hai.webhooks.create({
        url: `http://127.0.0.1:${r.webhookPort}/hai/webhooks`,
        enabled_events: ["session.status_updated"]
      })
      r.secret = hook.secret
    }
    // The first runner creates the cluster's tables; the others join once they exist.
    yield* h.spawnRunner(h.runners[0])
    yield* Effect.forEach(h.runners.slice(1), h.spawnRunner, { concurrency: "unbounded", discard: true })
    const logs = () => h.runners.map((r) => `--- runner ${r.id}\n${r.output.slice(-3000)}`).join("\n")
    /**
     * Where each of these trials stands: its sessions' statuses, whether its workflow is done, and
     * on PostgreSQL the cluster's messages for its workflow and its runners.
     */
    const standing = (ids: ReadonlyArray<string>) =>
      ids.map((id) =>
        `${id}: ${
          Effect.runSync(h.sessionsOf(id)).map((s) => `${String(s.request.messages).split(" ")[1]} ${s.status}`).join(
            ", "
          ) || "no session"
        }${h.done.has(id) ? " (done)" : ""}${options.pgUrl === undefined ? "" : `\n${clusterState(options.pgUrl, id)}`}`
      ).join("\n")

    const rand = Harness.prng(options.seed)
    const point = options.point
    // Each round starts a few trials, holds each at the kill point, kills the runner holding
    // most of them after a seeded delay, then releases the holds; a trial counts when its runner
    // was the one killed there. Rounds go on until TRIALS trials were killed at the point.
    let counted = 0
    let n = 0
    for (let roundNo = 0; counted < TRIALS; roundNo++) {
      if (roundNo > 40) throw new Error(`${point}: only ${counted} trials killed after 40 rounds`)
      const size = options.runners === 1 ? Math.min(4, TRIALS - counted) : 9
      const ids = Array.from({ length: size }, () => `${point}${options.runners}-${n++}`)
      const steps = new Map(ids.map((id) => [id, rand() < 0.5 ? "enrich" as const : "find" as const]))
      const t0 = Date.now()
      const r = yield* h.startRound(point, ids, steps)
      const round = ids.map((id): Harness.Trial => ({ id, agent: point, cancel: false }))
      h.trials.push(...round)
      if (point === "cancel") {
        yield* waitUntil(
          "the sessions to run",
          Effect.map(
            Effect.forEach(ids, h.sessionsOf),
            (all) => all.every((s) => s.some((s) => s.status === "running"))
          ),
          60,
          () => `${standing(ids)}\n${logs()}`
        )
        for (const trial of round) trial.cancel = true
      }
      if (point === "wait") {
        // A wait holds nothing up: a trial whose session settled before its step parked is just
        // not killed there. Kill once every trial parked, or after a while with those that did.
        yield* Effect.ignore(Effect.timeout(Deferred.await(r.allHeld), "10 seconds"))
      } else {
        yield* Deferred.await(r.allHeld).pipe(
          Effect.timeoutFail({
            duration: "180 seconds",
            onTimeout: () =>
              new Error(
                `round ${roundNo}: held ${[...r.held.keys()]} of ${ids} at ${point}\n${
                  standing(ids.filter((id) => !r.held.has(id)))
                }\n${logs()}`
              )
          })
        )
      }
      yield* Effect.sleep(Math.floor(rand() * (point === "wait" ? 300 : 100)))
      const t1 = Date.now()
      const { trials, victim } = yield* h.killRound(
        r,
        point === "wait"
          ? (trial) =>
            Effect.map(
              h.sessionsOf(trial),
              (s) => s.some((s) => s.status === "running" || s.status === "pending")
            )
          : undefined
      )
      counted += trials.length
      const killedRunner = victim === undefined ? undefined : h.runners.find((x) => x.id === victim)
      if (options.runners === 1 && killedRunner !== undefined) yield* h.spawnRunner(killedRunner)
      const t2 = Date.now()
      for (const id of ids) {
        if (point === "cancel") {
          yield* waitUntil(
            `${id}'s session to be cancelled`,
            Effect.map(h.sessionsOf(id), (s) => s.length === 1 && s[0].status === "interrupted"),
            90,
            logs
          )
        } else {
          const sessions = yield* h.sessionsOf(id)
          yield* waitUntil(
            `${id} to complete`,
            Effect.sync(() => h.done.has(id)),
            120,
            () =>
              `${
                sessions.map((s) => `${s.id} ${String(s.request.messages).slice(0, 20)} ${s.status}`).join("\n")
              }\n${logs()}`
          )
        }
      }
      const t3 = Date.now()
      if (options.runners > 1 && killedRunner !== undefined) yield* h.spawnRunner(killedRunner)
      if (process.env.HAI_CRASH_DEBUG) {
        console.info(
          `round ${roundNo}: held ${t1 - t0} ms, restart ${t2 - t1} ms, done ${t3 - t2} ms, respawn ${
            Date.now() - t3
          } ms`
        )
      }
    }

    // ---- the promises ------------------------------------------------------------------------
    assert.isAtLeast(counted, TRIALS)
    assert.isTrue(h.kills.every((k) => k.point === point && k.trials.length > 0))
    for (const trial of h.trials) {
      const sessions = yield* h.sessionsOf(trial.id)
      if (point === "cancel") {
        assert.strictEqual(sessions.length, 1, `${trial.id}: one session`)
        assert.strictEqual(sessions[0].status, "interrupted", `${trial.id}: its session was cancelled`)
        continue
      }
      assert.isTrue(h.done.has(trial.id), `${trial.id} completed`)
      const find = sessions.filter((s) => String(s.request.messages).startsWith(`${trial.id} find`))
      const enrich = sessions.filter((s) => String(s.request.messages).startsWith(`${trial.id} enrich`))
      assert.strictEqual(find.length, 1, `${trial.id}: one session for step find`)
      assert.strictEqual(enrich.length, 1, `${trial.id}: one session for step enrich`)
      assert.deepStrictEqual(h.done.get(trial.id)!.ids, [find[0].id, enrich[0].id])
      assert.isTrue(sessions.every((s) => s.status === "idle"), `${trial.id}: its sessions settled`)
      const applied = [...h.effects.applied.values()].filter((e) => e.sessionId === enrich[0].id)
      assert.deepStrictEqual(applied.map((e) => e.company).sort(), ["Acme", "Globex"], `${trial.id}: each tool once`)
    }
    const reruns = [...h.effects.attempts.values()].filter((n) => n > 1).length
    const stats = yield* h.emulator.stats
    console.info(
      `[crash] ${
        options.runners === 1 ? "1 runner (SQLite, restarted)" : `${options.runners} runners (PostgreSQL, survivors)`
      }`
        + ` kill point ${point}: ${counted} trials killed there by ${h.kills.length} SIGKILLs`
        + ` (${h.trials.length} workflows in all); every workflow done; `
        + `${stats.sessionsCreated} sessions for ${point === "cancel" ? h.trials.length : h.trials.length * 2} steps; `
        + `tool calls re-run after a kill: ${reruns} (side effect applied once each)`
    )
  }).pipe(
    Effect.provide(Harness.layer({ tick: 40 })),
    Effect.scoped
  )

describe("crash trials: one runner on SQLite, restarted after each SIGKILL", () => {
  POINTS.forEach((point, n) => {
    it.live(
      `SIGKILL at ${point}`,
      () =>
        Effect.suspend(() =>
          campaign({ point, runners: 1, seed: 1000 + n, sqliteFile: join(tmp, `single-${point}.db`) })
        ),
      600_000
    )
  })
})

describe("crash trials: three runners on PostgreSQL, the survivors carry on", () => {
  POINTS.forEach((point, n) => {
    it.live(`SIGKILL at ${point}`, () =>
      Effect.gen(function*() {
        pg ??= yield* Effect.promise(() => Postgres.start())
        const url = yield* Effect.promise(() => pg!.database(`crash_${point}`))
        yield* campaign({ point, runners: 3, seed: 2000 + n, pgUrl: url })
      }), 900_000)
  })
})
