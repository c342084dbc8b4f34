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
    const messages = sql(`${options.prefix ?? "cluster"}_messages`)
    const replies = sql(`${options.prefix ?? "cluster"}_replies`)
    const seconds = Math.max(1, Math.ceil(Duration.toSeconds(options.olderThan)))
    const olderThan = sql.literal(`NOW() - INTERVAL '${seconds} seconds'`)
    // Only messages nobody answered: a suspended workflow's request has its reply and is left be,
    // so a quiet cluster writes nothing here.
    const clear = sql`
      UPDATE ${messages} m SET last_read = NULL
      WHERE m.processed = FALSE AND m.last_read IS NOT NULL AND m.last_read < ${olderThan}
      AND NOT EXISTS (SELECT 1 FROM ${replies} r WHERE r.request_id = m.request_id)
    `
    yield* clear.pipe(
      // a busy or restarting database only delays the next pass
      Effect.catchAllCause((cause) => Effect.logDebug("clearing stale message reads failed", cause)),
      Effect.repeat(Schedule.spaced(options.every)),
      Effect.delay(options.every),
      Effect.forkScoped
    )
  }))
