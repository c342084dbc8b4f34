/**
 * Un-hides messages that a runner read and never processed, on PostgreSQL.
 *
 * `@effect/cluster`'s SQL storage stamps each message a runner reads (`last_read`) and skips it for
 * ten minutes, so that no runner reads it twice; a runner clears the stamps of a shard's messages
 * once, when it acquires that shard. A stamp written after that clear (by the previous owner still
 * polling a shard it is handing over, or when the clear itself timed out on a busy database)
 * hides the message from its new owner for ten minutes: the workflow it would start, wake or
 * interrupt stalls that long. Clearing the stamps of unprocessed messages read a while ago bounds
 * that stall; a runner that still holds such a message in memory knows it and skips it.
 *
 * @internal
 */
import * as SqlClient from "@effect/sql/SqlClient"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Schedule from "effect/Schedule"

/** @internal */
export interface Options {
  /** The storage's table prefix (`@effect/cluster`'s default is `cluster`). */
  readonly prefix?: string | undefined
  /** A stamp older than this is cleared. */
  readonly olderThan: Duration.DurationInput
  /** How often to look. */
  readonly every: Duration.DurationInput
}

/** @internal */
export const layer = (options: Options): Layer.Layer<never, never, SqlClient.SqlClient> =>
  Layer.scopedDiscard(Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const table = sql(`${options.prefix ?? "cluster"}_messages`)
    const seconds = Math.max(1, Math.ceil(Duration.toSeconds(options.olderThan)))
    const olderThan = sql.literal(`NOW() - INTERVAL '${seconds} seconds'`)
    const clear = sql`
      UPDATE ${table} SET last_read = NULL
      WHERE processed = FALSE AND last_read IS NOT NULL AND last_read < ${olderThan}
    `
    yield* clear.pipe(
      // a busy or restarting database only delays the next pass
      Effect.catchAllCause((cause) => Effect.logDebug("clearing stale message reads failed", cause)),
      Effect.repeat(Schedule.spaced(options.every)),
      Effect.delay(options.every),
      Effect.forkScoped
    )
  }))
