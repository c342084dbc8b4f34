/**
 * Runners of a cluster that share a PostgreSQL database (`@effect/cluster` over `@effect/sql-pg`):
 * shards spread over the runners, which talk over sockets; when a runner dies, the others take
 * its shards over and its workflows carry on there.
 *
 * @example
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Layer } from "effect"
 * import type { DurableEngine } from "@hai-effect/workflow"
 * import * as PgEngine from "@hai-effect/workflow/PgEngine"
 *
 * declare const MyWorkflowsLive: Layer.Layer<never, never, DurableEngine.Engine>
 *
 * // RUNNER_PORT=34431 node runner.js   (one per process, each on its own port)
 * MyWorkflowsLive.pipe(
 *   Layer.provide(PgEngine.layer({
 *     url: process.env.HAI_WORKFLOW_PG_URL ?? "postgres://localhost/hai",
 *     host: "127.0.0.1",
 *     port: Number(process.env.RUNNER_PORT ?? 34431)
 *   })),
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
import * as NodeClusterSocket from "@effect/platform-node/NodeClusterSocket"
import type * as SocketServer from "@effect/platform/SocketServer"
import * as PgClient from "@effect/sql-pg/PgClient"
import type * as SqlClient from "@effect/sql/SqlClient"
import type * as SqlError from "@effect/sql/SqlError"
import type * as ConfigError from "effect/ConfigError"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as DurableEngine from "./DurableEngine.js"
import * as StaleReads from "./internal/staleReads.js"
import * as SessionRoutes from "./SessionRoutes.js"

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
export const layer = (
  options: PgOptions & {
    /** The address other runners reach this one at. */
    readonly host: string
    readonly port: number
    /** Where to listen, when it differs from `host:port` (e.g. `0.0.0.0` in a container). */
    readonly listenHost?: string | undefined
  }
): Layer.Layer<
  DurableEngine.Engine | Sharding.Sharding | Runners.Runners | MessageStorage.MessageStorage | SqlClient.SqlClient,
  ConfigError.ConfigError | SqlError.SqlError | SocketServer.SocketServerError
> =>
  ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(NodeClusterSocket.layer({
      storage: "sql",
      shardingConfig: {
        ...DurableEngine.shardingDefaults,
        ...options.shardingConfig,
        runnerAddress: Option.some(RunnerAddress.make({ host: options.host, port: options.port })),
        runnerListenAddress: options.listenHost === undefined
          ? Option.none()
          : Option.some(RunnerAddress.make({ host: options.listenHost, port: options.port }))
      }
    })),
    Layer.provideMerge(
      Layer.merge(SessionRoutes.layerSql(), StaleReads.layer({ olderThan: "30 seconds", every: "10 seconds" }))
    ),
    Layer.provideMerge(pgClient(options))
  )

/**
 * A client of that cluster that runs no workflow: it starts, polls and interrupts them (and can
 * receive webhooks), for web processes in front of the runners.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerClient = (options: PgOptions): Layer.Layer<
  DurableEngine.Engine | Sharding.Sharding | Runners.Runners | MessageStorage.MessageStorage | SqlClient.SqlClient,
  ConfigError.ConfigError | SqlError.SqlError
> =>
  ClusterWorkflowEngine.layer.pipe(
    Layer.provideMerge(NodeClusterSocket.layer({
      storage: "sql",
      clientOnly: true,
      shardingConfig: { ...DurableEngine.shardingDefaults, ...options.shardingConfig, runnerAddress: Option.none() }
    })),
    Layer.provideMerge(SessionRoutes.layerSql()),
    Layer.provideMerge(pgClient(options))
  )
