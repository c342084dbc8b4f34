/**
 * Where a webhook for a session must go: the token of the durable wait its workflow is parked on.
 *
 * A durable session step writes its session's route before each wait, and the webhook handler
 * (`DurableWebhooks`) reads it to wake that workflow, on whichever runner it lives. Rows are keyed
 * by session id and overwritten as the step moves from one wait to the next, so the table holds
 * one row per session, not one per event.
 *
 * @example
 * import { Effect } from "effect"
 * import { SessionRoutes } from "@hai-effect/workflow"
 *
 * const program = Effect.gen(function*() {
 *   const routes = yield* SessionRoutes.SessionRoutes
 *   yield* routes.set("sess_1", "token")
 *   return yield* routes.get("sess_1")
 * }).pipe(Effect.provide(SessionRoutes.layerMemory))
 *
 * @since 0.1.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import { PersistenceError } from "@hai-effect/core/HaiError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"

/**
 * @since 0.1.0
 * @category Models
 */
export interface Service {
  /** Points the session's webhooks at this wait token (replacing the previous one). */
  readonly set: (sessionId: string, token: string) => Effect.Effect<void, PersistenceError>
  /** The token of the wait the session's workflow is parked on, if any. */
  readonly get: (sessionId: string) => Effect.Effect<Option.Option<string>, PersistenceError>
  /** Forgets the session once its step is done. */
  readonly remove: (sessionId: string) => Effect.Effect<void, PersistenceError>
}

/**
 * @since 0.1.0
 * @category Tags
 */
export class SessionRoutes extends Context.Tag("@hai-effect/workflow/SessionRoutes")<SessionRoutes, Service>() {}

/**
 * Routes in memory: for `WorkflowEngine.layerMemory` (tests, one process).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const makeMemory: Effect.Effect<Service> = Effect.sync(() => {
  const routes = new Map<string, string>()
  return {
    set: (sessionId, token) => Effect.sync(() => void routes.set(sessionId, token)),
    get: (sessionId) => Effect.sync(() => Option.fromNullable(routes.get(sessionId))),
    remove: (sessionId) => Effect.sync(() => void routes.delete(sessionId))
  }
})

/**
 * @since 0.1.0
 * @category Layers
 */
export const layerMemory: Layer.Layer<SessionRoutes> = Layer.effect(SessionRoutes, makeMemory)

const persistence = (operation: string) => (error: SqlError.SqlError) =>
  new PersistenceError({ operation, reason: error.message })

/**
 * Routes in the SQL database the cluster already uses (SQLite or PostgreSQL): one table,
 * `hai_workflow_session_routes`, created when missing.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const makeSql = (options?: {
  /** Table name (default `hai_workflow_session_routes`). */
  readonly table?: string | undefined
}): Effect.Effect<Service, SqlError.SqlError, SqlClient.SqlClient> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const table = sql(options?.table ?? "hai_workflow_session_routes")
    // Several runners may start at once: PostgreSQL can refuse the second concurrent
    // `CREATE TABLE IF NOT EXISTS` (a duplicate type), which a retry sees as done.
    yield* sql`CREATE TABLE IF NOT EXISTS ${table} (
      session_id VARCHAR(255) PRIMARY KEY,
      token TEXT NOT NULL
    )`.pipe(Effect.retry({ times: 3 }))
    return {
      // `INSERT ... ON CONFLICT DO UPDATE` is understood by both PostgreSQL and SQLite (3.24+).
      set: (sessionId, token) =>
        sql`INSERT INTO ${table} (session_id, token) VALUES (${sessionId}, ${token})
            ON CONFLICT (session_id) DO UPDATE SET token = ${token}`.pipe(
          Effect.asVoid,
          Effect.mapError(persistence("write a session route"))
        ),
      get: (sessionId) =>
        sql<{ readonly token: string }>`SELECT token FROM ${table} WHERE session_id = ${sessionId}`.pipe(
          Effect.map((rows) => Option.fromNullable(rows[0]?.token)),
          Effect.mapError(persistence("read a session route"))
        ),
      remove: (sessionId) =>
        sql`DELETE FROM ${table} WHERE session_id = ${sessionId}`.pipe(
          Effect.asVoid,
          Effect.mapError(persistence("delete a session route"))
        )
    }
  })

/**
 * @since 0.1.0
 * @category Layers
 */
export const layerSql = (options?: {
  readonly table?: string | undefined
}): Layer.Layer<SessionRoutes, SqlError.SqlError, SqlClient.SqlClient> => Layer.effect(SessionRoutes, makeSql(options))
