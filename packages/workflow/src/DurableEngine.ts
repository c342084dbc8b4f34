/**
 * Where durable session workflows run: three layers, each providing `@effect/workflow`'s
 * `WorkflowEngine` and the {@link SessionRoutes} that webhooks need.
 *
 * - {@link layerMemory}: `WorkflowEngine.layerMemory`, for tests. Nothing survives the process.
 * - {@link layerSqlite}: one runner, its state in a SQLite file you name (`@effect/cluster`'s
 *   `SingleRunner` over `@effect/sql-sqlite-node`). Restart the process with the same file and its
 *   workflows carry on. One process per file.
 * - {@link layerPg}: several runners sharing a PostgreSQL database through `@effect/cluster`
 *   (shards spread over the runners, which talk over sockets); when a runner dies, the others take
 *   its shards over and its workflows carry on there. {@link layerPgClient} only submits and
 *   polls workflows, for processes that run none.
 *
 * Each runner is your own program: it registers the same workflow layers (and so the same tools
 * and answer Schemas) and one of these engines, then waits (`Layer.launch`).
 *
 * @example
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Layer } from "effect"
 * import { DurableEngine } from "@hai-effect/workflow"
 *
 * declare const MyWorkflowsLive: Layer.Layer<never, never, DurableEngine.Engine>
 *
 * // node runner.js  (HAI_WORKFLOW_SQLITE=./state.db)
 * MyWorkflowsLive.pipe(
 *   Layer.provide(DurableEngine.layerSqlite({ filename: process.env.HAI_WORKFLOW_SQLITE ?? "./hai-workflow.db" })),
 *   Layer.launch,
 *   NodeRuntime.runMain
 * )
 *
 * @since 0.1.0
 */
import * as ClusterWorkflowEngine from "@effect/cluster/ClusterWorkflowEngine"
import type * as MessageStorage from "@effect/cluster/MessageStorage"
import { RunnerAddress } from "@effect/cluster/RunnerAddress"
import type * as Runners from "@effect/cluster/Runners"
import type * as Sharding from "@effect/cluster/Sharding"
import type * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SingleRunner from "@effect/cluster/SingleRunner"
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import type * as SocketServer from "@effect/platform/SocketServer"
import * as PgClient from "@effect/sql-pg/PgClient"
import * as SqliteClient from "@effect/sql-sqlite-node/SqliteClient"
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import * as WorkflowEngine from "@effect/workflow/WorkflowEngine"
import type * as ConfigError from "effect/ConfigError"
import * as Duration from "effect/Duration"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
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

/**
 * One runner whose workflows live in a SQLite file: restart the process with the same file and
 * they carry on where they stopped. Only one process may use a file at a time.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerSqlite = (options: {
  /** The database file (created when missing). */
  readonly filename: string
  /** `@effect/cluster` settings (how often stored messages and clocks are read, ...). */
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
}): Layer.Layer<
  Engine | Sharding.Sharding | MessageStorage.MessageStorage | SqlClient.SqlClient,
  ConfigError.ConfigError | SqlError.SqlError
> =>
  ClusterWorkflowEngine.layer.pipe(
    // One process owns the file, so shard locks need no table: a restart takes every shard at once.
    Layer.provideMerge(SingleRunner.layer({
      runnerStorage: "memory",
      shardingConfig: { ...shardingDefaults, ...options.shardingConfig }
    })),
    Layer.provideMerge(SessionRoutes.layerSql()),
    Layer.provideMerge(SqliteClient.layer({ filename: options.filename }))
  )

/**
 * Options of the PostgreSQL layers.
 *
 * @since 0.1.0
 * @category Models
 */
export interface PgOptions {
  /** `postgres://user:password@host:port/database` */
  readonly url: Redacted.Redacted | string
  /** Most connections of this process's pool. Default 10. */
  readonly maxConnections?: number | undefined
  /** `@effect/cluster` settings (shards, lock expiry, poll intervals, ...); same shard count on every runner. */
  readonly shardingConfig?: Partial<ShardingConfig.ShardingConfig["Type"]> | undefined
}

const pgClient = (options: PgOptions) =>
  PgClient.layer({
    url: typeof options.url === "string" ? Redacted.make(options.url) : options.url,
    maxConnections: options.maxConnections ?? 10
  })

/**
 * A runner of a cluster that shares a PostgreSQL database: it takes a share of the shards, runs
 * their workflows, and listens for the other runners on `host:port` (every runner must reach
 * every other one there).
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerPg = (
  options: PgOptions & {
    /** The address other runners reach this one at. */
    readonly host: string
    readonly port: number
    /** Where to listen, when it differs from `host:port` (e.g. `0.0.0.0` in a container). */
    readonly listenHost?: string | undefined
  }
): Layer.Layer<
  Engine | Sharding.Sharding | Runners.Runners | MessageStorage.MessageStorage | SqlClient.SqlClient,
  ConfigError.ConfigError | SqlError.SqlError | SocketServer.SocketServerError
> =>
  ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(NodeClusterSocket.layer({
      storage: "sql",
      shardingConfig: {
        ...shardingDefaults,
        ...options.shardingConfig,
        runnerAddress: Option.some(RunnerAddress.make({ host: options.host, port: options.port })),
        runnerListenAddress: options.listenHost === undefined
          ? Option.none()
          : Option.some(RunnerAddress.make({ host: options.listenHost, port: options.port }))
      }
    })),
    Layer.provideMerge(SessionRoutes.layerSql()),
    Layer.provideMerge(pgClient(options))
  )

/**
 * A client of that cluster that runs no workflow: it starts, polls and interrupts them (and can
 * receive webhooks), for web processes in front of the runners.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerPgClient = (options: PgOptions): Layer.Layer<
  Engine | Sharding.Sharding | Runners.Runners | MessageStorage.MessageStorage | SqlClient.SqlClient,
  ConfigError.ConfigError | SqlError.SqlError
> =>
  ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(NodeClusterSocket.layer({
      storage: "sql",
      clientOnly: true,
      shardingConfig: { ...shardingDefaults, ...options.shardingConfig, runnerAddress: Option.none() }
    })),
    Layer.provideMerge(SessionRoutes.layerSql()),
    Layer.provideMerge(pgClient(options))
  )
