/**
 * One runner whose durable session workflows live in a SQLite file (`@effect/cluster`'s
 * `SingleRunner` over `@effect/sql-sqlite-node`, which needs better-sqlite3): restart the process
 * with the same file and they carry on where they stopped.
 *
 * @example
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Layer } from "effect"
 * import type { DurableEngine } from "@hai-effect/workflow"
 * import * as SqliteEngine from "@hai-effect/workflow/SqliteEngine"
 *
 * declare const MyWorkflowsLive: Layer.Layer<never, never, DurableEngine.Engine>
 *
 * // node runner.js  (HAI_WORKFLOW_SQLITE=./state.db)
 * MyWorkflowsLive.pipe(
 *   Layer.provide(SqliteEngine.layer({ filename: process.env.HAI_WORKFLOW_SQLITE ?? "./hai-workflow.db" })),
 *   Layer.launch,
 *   NodeRuntime.runMain
 * )
 *
 * @since 0.1.0
 */
import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import type * as MessageStorage from "@effect/cluster/MessageStorage"
import type * as Sharding from "@effect/cluster/Sharding"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SingleRunner from "@effect/cluster/SingleRunner"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"
import * as DurableEngine from "./DurableEngine.js"
import * as SessionRoutes from "./SessionRoutes.js"

/**
 * One runner whose workflows live in a SQLite file: restart the process with the same file and
 * they carry on where they stopped. Only one process may use a file at a time.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (options: {
  /** The database file (created when missing). */
  readonly filename: string
  /** `@effect/cluster` settings (how often stored messages and clocks are read, ...). */
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
}): Layer.Layer<
  DurableEngine.Engine | Sharding.Sharding | MessageStorage.MessageStorage | SqlClient.SqlClient,
  ConfigError.ConfigError | SqlError.SqlError
> =>
  ClusterWorkflowEngine.layer.pipe(
    // One process owns the file, so shard locks need no table: a restart takes every shard at once.
    Layer.provideMerge(SingleRunner.layer({
      runnerStorage: "memory",
      shardingConfig: { ...DurableEngine.shardingDefaults, ...options.shardingConfig }
    })),
    Layer.provideMerge(SessionRoutes.layerSql()),
    Layer.provideMerge(SqliteClient.layer({ filename: options.filename }))
  )
