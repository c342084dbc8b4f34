/**
 * The session operations of the API (create, read, watch, steer, cancel), over the store, the
 * quota and the agent runner.
 *
 * @internal
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import type * as Scenario from "../../Scenario.js"
import type { Operations } from "../operations.js"
import type { Reply } from "../reply.js"
import { notFound } from "../reply.js"
import * as Create from "./create.js"
import type { SessionRecord, Status } from "./model.js"
import * as Quota from "./quota.js"
import * as Reads from "./reads.js"
import * as Replay from "./replay.js"
import * as Steer from "./steer.js"
import * as Store from "./store.js"
import { append } from "./store.js"
import * as Turn from "./turn.js"

type In<K extends keyof Operations> = Operations[K]

/** @internal */
export interface Deps {
  readonly scope: Scope.Scope
  readonly concurrency: number
  readonly region: "eu" | "us"
  readonly stepDuration: () => Duration.Duration
  readonly cancelDelay: Duration.Duration
  readonly nextId: () => string
  readonly baseUrl: string
  readonly spend: (tokens: number) => boolean
  readonly scenarioFor: (agentName: string) => Scenario.Scenario | undefined
  readonly resolveAgent: (name: string) => Effect.Effect<Record<string, unknown> | undefined>
  readonly onStatusChange: (record: SessionRecord, previous: Status, next: Status) => Effect.Effect<void>
  readonly earlyChanges: () => boolean
}

/** @internal */
export const make = (deps: Deps) => {
  // The store calls the quota, which starts queued sessions through the runner: tied up here.
  const quota: Quota.Quota = Quota.make(deps.concurrency, (record) => start(record))
  const store = Store.make({
    scope: deps.scope,
    onStatus: (record, previous, next) =>
      Effect.zipRight(deps.onStatusChange(record, previous, next), quota.onStatus(record, previous, next))
  })
  const resourceUrl = (record: SessionRecord, bucket: string, key: string) =>
    `${deps.baseUrl}/api/v2/sessions/${record.id}/resources/${bucket}/${encodeURIComponent(key)}`
  const runner = Turn.make({
    store,
    region: deps.region,
    stepDuration: deps.stepDuration,
    nextId: deps.nextId,
    resourceUrl,
    spend: deps.spend
  })
  const replayer = Replay.make(store, runner)

  const start = (record: SessionRecord): Effect.Effect<void> =>
    Effect.gen(function*() {
      yield* store.update(record, (s, now) =>
        record.replay !== undefined
          ? { ...s, status: "pending" }
          : append({ ...s, status: "pending" }, now, [{
            type: "RequestStartDispatchedEvent",
            data: { status: "dispatched" }
          }]))
      const agent = record.replay !== undefined
        ? replayer.run(record, record.replay)
        : runner.run(record, deps.scenarioFor(record.agentName) as Exclude<Scenario.Scenario, Scenario.Replay>)
      record.runner = yield* Effect.forkIn(Effect.interruptible(agent), deps.scope)
    })

  const withSession = (id: string, f: (r: SessionRecord) => Effect.Effect<Reply>): Effect.Effect<Reply> =>
    Effect.suspend(() => {
      const r = store.find(id)
      return r === undefined ? Effect.succeed(notFound("Session")) : f(r)
    })

  const creating = Create.make({
    store,
    quota,
    start,
    nextId: deps.nextId,
    scenarioFor: deps.scenarioFor,
    resolveAgent: deps.resolveAgent,
    onStatusChange: deps.onStatusChange
  })
  const reads = Reads.make({ store, quota, withSession, earlyChanges: deps.earlyChanges })
  const steer = Steer.make({ scope: deps.scope, store, runner, cancelDelay: deps.cancelDelay, withSession })

  return {
    store,
    created: creating.created,
    withSession,
    handlers: {
      create_session_api_v2_sessions_post: (input: In<"create_session_api_v2_sessions_post">) => creating.create(input),
      list_sessions_api_v2_sessions_get: reads.list,
      get_session_quota_api_v2_sessions_quota_get: () => reads.quotaStatus,
      get_session_api_v2_sessions__id__get: reads.get,
      cancel_session_api_v2_sessions__id__delete: steer.cancel,
      get_session_status_api_v2_sessions__id__status_get: reads.status,
      send_session_messages_api_v2_sessions__id__messages_post: steer.messages,
      send_session_tool_results_api_v2_sessions__id__tool_results_post: steer.toolResults,
      pause_session_api_v2_sessions__id__pause_post: steer.pause,
      resume_session_api_v2_sessions__id__resume_post: steer.resume,
      force_session_answer_api_v2_sessions__id__force_answer_post: steer.forceAnswer,
      get_session_changes_api_v2_sessions__id__changes_get: reads.changes,
      list_session_events_api_v2_sessions__id__events_get: reads.events
    },
    /** A scheduled run's create (no idempotency key). */
    createFor: (request: In<"create_session_api_v2_sessions_post">["body"], scheduleId: string) =>
      creating.create({ path: {}, query: {}, headers: {}, body: request }, scheduleId)
  }
}

/** @internal */
export type Sessions = ReturnType<typeof make>
