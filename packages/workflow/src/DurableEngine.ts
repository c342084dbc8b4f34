/**
 * Where durable session workflows run. Each engine is a layer providing `@effect/workflow`'s
 * `WorkflowEngine` and the {@link SessionRoutes} that webhooks need:
 *
 * - {@link layerMemory} (here): `WorkflowEngine.layerMemory`, for tests. Nothing survives the process.
 * - `SqliteEngine.layer` (`@hai-effect/workflow/SqliteEngine`, needs `@effect/sql-sqlite-node`):
 *   one runner, its state in a SQLite file you name (`@effect/cluster`'s `SingleRunner`). Restart
 *   the process with the same file and its workflows carry on. One process per file.
 * - `PgEngine.layer` (`@hai-effect/workflow/PgEngine`, needs `@effect/sql-pg`): several runners
 *   sharing a PostgreSQL database through `@effect/cluster`; when a runner dies, the others take
 *   its shards over and its workflows carry on there. `PgEngine.layerClient` only submits and
 *   polls workflows, for processes that run none.
 *
 * The SQL engines live in their own modules, not in the package's index, so a program loads only
 * the database driver it chose (both drivers are optional peer dependencies).
 *
 * Each runner is your own program: it registers the same workflow layers (and so the same tools
 * and answer Schemas) and one of these engines, then waits (`Layer.launch`).
 *
 * @example
 * import { Effect, Layer } from "effect"
 * import { DurableEngine } from "@hai-effect/workflow"
 *
 * declare const MyWorkflowsLive: Layer.Layer<never, never, DurableEngine.Engine>
 *
 * // in a test: everything in memory
 * const program = Effect.void.pipe(Effect.provide(MyWorkflowsLive.pipe(Layer.provideMerge(DurableEngine.layerMemory))))
 *
 * @since 0.1.0
 */
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as SessionRoutes from "./SessionRoutes.js"

/**
 * What every engine layer provides.
 *
 * @since 0.1.0
 * @category Models
 */
export type Engine = WorkflowEngine.WorkflowEngine | SessionRoutes.SessionRoutes

/**
 * What these layers change in `@effect/cluster`'s defaults: stored messages are read every second
 * (not every ten), since a step's fallback status check is a `DurableClock`, delivered by that
 * read; a check asked for every 30 seconds otherwise fires up to 10 seconds late.
 *
 * @since 0.1.0
 * @category Defaults
 */
export const shardingDefaults: Partial<ShardingConfig.ShardingConfig["Type"]> = {
  entityMessagePollInterval: Duration.seconds(1)
}

/**
 * The in-memory engine, for tests and demos: `WorkflowEngine.layerMemory` with in-memory routes.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerMemory: Layer.Layer<Engine> = Layer.merge(WorkflowEngine.layerMemory, SessionRoutes.layerMemory)
