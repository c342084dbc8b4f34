/**
 * Where the session runtime keeps what it must not forget: the event cursor of each watched
 * session and the ledger of tool calls already run. In memory by default; backed by any
 * `KeyValueStore` (a file on Node, Redis, ...) so that a watcher restarted after a crash resumes
 * where it stopped and runs no tool call twice.
 *
 * @example
 * import { KeyValueStore } from "@effect/platform"
 * import { Layer } from "effect"
 * import { SessionStore } from "@hai-effect/core"
 *
 * const Persistent = SessionStore.layerKeyValueStore.pipe(Layer.provide(KeyValueStore.layerMemory))
 *
 * @since 0.1.0
 */
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as HaiError from "./HaiError.js"

/**
 * A tool call as the agent announced it.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const PendingCall = Schema.Struct({
  tool_name: Schema.String,
  args: Schema.optional(Schema.Record({ key: Schema.String, value: Schema.Unknown })),
  id: Schema.optional(Schema.NullOr(Schema.String))
})

/**
 * @since 0.1.0
 * @category Schemas
 */
export type PendingCall = typeof PendingCall.Type

/**
 * The cursor of a watched session, with the latest list of pending tool calls (which may have
 * been announced before the cursor).
 *
 * @since 0.1.0
 * @category Schemas
 */
export const Checkpoint = Schema.Struct({
  cursor: Schema.Number,
  pending: Schema.Array(PendingCall)
})

/**
 * @since 0.1.0
 * @category Schemas
 */
export type Checkpoint = typeof Checkpoint.Type

/**
 * A tool call's state in the ledger: `started` once its handler began, then its outcome once the
 * handler finished (saved before it is posted), then `posted` once the outcome reached the
 * service. After a restart a call with a saved outcome has it posted again without running; a
 * call found `started` is run again only if its tool is idempotent, else the agent is told its
 * outcome is unknown.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const CallState = Schema.Union(
  Schema.Literal("started", "posted"),
  Schema.Struct({
    state: Schema.Literal("ran"),
    outcome: Schema.Union(
      Schema.Struct({ _tag: Schema.Literal("Result"), result: Schema.Unknown }),
      Schema.Struct({ _tag: Schema.Literal("Error"), error: Schema.String })
    )
  })
)

/**
 * @since 0.1.0
 * @category Schemas
 */
export type CallState = typeof CallState.Type

/**
 * @since 0.1.0
 * @category Models
 */
export interface Service {
  readonly loadCheckpoint: (sessionId: string) => Effect.Effect<Option.Option<Checkpoint>, HaiError.PersistenceError>
  readonly saveCheckpoint: (sessionId: string, checkpoint: Checkpoint) => Effect.Effect<void, HaiError.PersistenceError>
  readonly getCall: (
    sessionId: string,
    callKey: string
  ) => Effect.Effect<Option.Option<CallState>, HaiError.PersistenceError>
  readonly setCall: (
    sessionId: string,
    callKey: string,
    state: CallState
  ) => Effect.Effect<void, HaiError.PersistenceError>
}

/**
 * @since 0.1.0
 * @category Tags
 */
export class SessionStore extends Context.Tag("@hai-effect/core/SessionStore")<SessionStore, Service>() {}

/**
 * The key of a tool call in the ledger: its id, or its name and arguments when it has none.
 *
 * @since 0.1.0
 * @category Utils
 */
export const callKey = (call: PendingCall): string =>
  call.id !== undefined && call.id !== null && call.id !== ""
    ? `id:${call.id}`
    : `args:${call.tool_name}:${stableJson(call.args ?? {})}`

const stableJson = (value: unknown): string => {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`
  if (value !== null && typeof value === "object") {
    return `{${
      Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
        .join(",")
    }}`
  }
  return JSON.stringify(value) ?? "null"
}

/**
 * A store over a `KeyValueStore`; keys live under `hai/sessions/`.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const makeKeyValueStore: Effect.Effect<Service, never, KeyValueStore.KeyValueStore> = Effect.gen(function*() {
  const kv = yield* KeyValueStore.KeyValueStore
  const checkpoints = kv.forSchema(Schema.parseJson(Checkpoint))
  const calls = kv.forSchema(CallState)
  const fail = (operation: string) => (cause: unknown) =>
    new HaiError.PersistenceError({ operation, reason: cause instanceof Error ? cause.message : String(cause) })
  const checkpointKey = (id: string) => `hai/sessions/${id}/checkpoint`
  const ledgerKey = (id: string, key: string) => `hai/sessions/${id}/calls/${encodeURIComponent(key)}`
  return {
    loadCheckpoint: (id) => Effect.mapError(checkpoints.get(checkpointKey(id)), fail("load checkpoint")),
    saveCheckpoint: (id, checkpoint) =>
      Effect.mapError(checkpoints.set(checkpointKey(id), checkpoint), fail("save checkpoint")),
    getCall: (id, key) => Effect.mapError(calls.get(ledgerKey(id, key)), fail("read tool ledger")),
    setCall: (id, key, state) => Effect.mapError(calls.set(ledgerKey(id, key), state), fail("write tool ledger"))
  }
})

/**
 * A store over the `KeyValueStore` in context.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerKeyValueStore: Layer.Layer<SessionStore, never, KeyValueStore.KeyValueStore> = Layer.effect(
  SessionStore,
  makeKeyValueStore
)

/**
 * An in-memory store: plain maps, nothing serialised (the watcher writes its checkpoint every
 * round, so the default should cost nothing).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const makeMemory: Effect.Effect<Service> = Effect.sync(() => {
  const checkpoints = new Map<string, Checkpoint>()
  const calls = new Map<string, CallState>()
  return {
    loadCheckpoint: (id) => Effect.sync(() => Option.fromNullable(checkpoints.get(id))),
    saveCheckpoint: (id, checkpoint) => Effect.sync(() => void checkpoints.set(id, checkpoint)),
    getCall: (id, key) => Effect.sync(() => Option.fromNullable(calls.get(`${id}/${key}`))),
    setCall: (id, key, state) => Effect.sync(() => void calls.set(`${id}/${key}`, state))
  }
})

/**
 * An in-memory store (the default when none is provided): survives a reconnect, not a restart.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerMemory: Layer.Layer<SessionStore> = Layer.effect(SessionStore, makeMemory)
