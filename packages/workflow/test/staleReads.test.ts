/**
 * A stored message stamped as read by a runner that never processed it (the stamp a runner
 * handing its shard over leaves when its last poll lands after the new owner cleared the shard's
 * stamps) still reaches its workflow: within a minute, not after the storage's ten minutes.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Schedule } from "effect"
import { afterAll, beforeAll } from "vitest"
import * as Harness from "./support/harness.js"
import * as Postgres from "./support/postgres.js"

let runnerScript = ""
let pg: Postgres.Postgres | undefined

beforeAll(async () => {
  runnerScript = await Harness.bundleRunner()
}, 120_000)

afterAll(async () => {
  await pg?.stop()
}, 60_000)

const CLOCK = "Workflow/-/DurableClock"

describe("stale read stamps on PostgreSQL", () => {
  it.live("a wake-up hidden by a stale read stamp still reaches its workflow", () =>
    Effect.gen(function*() {
      pg ??= yield* Effect.promise(() => Postgres.start())
      const url = yield* Effect.promise(() => pg!.database("stale_reads"))
      // No webhooks, and a long poll interval: the step can only wake by its durable clock.
      const h = yield* Harness.make({ runners: 1, pgUrl: url, pollMs: 8_000, toolMs: 50, runnerScript })
      yield* h.spawnRunner(h.runners[0])
      h.trials.push({ id: "stale-1", agent: "wait", cancel: false })

      const pendingClocks = () =>
        Number(
          Postgres.dump(
            url,
            `SELECT count(*) FROM cluster_messages WHERE entity_type = '${CLOCK}' AND processed = FALSE AND deliver_at > ${Date.now()}`
          ).split("\n")[1]
        )
      yield* Effect.sync(pendingClocks).pipe(
        Effect.filterOrFail((n) => n > 0),
        Effect.retry(Schedule.spaced("200 millis")),
        Effect.timeout("60 seconds")
      )
      // What a late poll of the previous owner leaves behind: the clock's message, stamped read.
      Postgres.dump(
        url,
        `UPDATE cluster_messages SET last_read = NOW() WHERE entity_type = '${CLOCK}' AND processed = FALSE`
      )
      yield* Effect.sync(() => h.done.has("stale-1")).pipe(
        Effect.filterOrFail((done) => done),
        Effect.retry(Schedule.spaced("200 millis")),
        // The clock is due within 8 s; the stamp costs up to 40 s more (a stamp is cleared once
        // 30 s old, on a pass every 10 s), the second step two more rounds; the storage alone
        // would hide the message for ten minutes.
        Effect.timeoutFail({
          duration: "100 seconds",
          onTimeout: () => new Error(`the workflow stalled:\n${h.runners[0].output.slice(-2000)}`)
        })
      )
      const [find, enrich] = yield* h.sessionsOf("stale-1")
      assert.strictEqual(find?.status, "idle")
      assert.strictEqual(enrich?.status, "idle")
    }).pipe(
      Effect.provide(Harness.layer({ tick: 40 })),
      Effect.scoped
    ), 240_000)
})
