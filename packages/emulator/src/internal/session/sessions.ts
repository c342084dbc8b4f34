/**
 * The session operations of the API (create, read, watch, steer, cancel), over the store, the
 * quota and the agent runner.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import type * as Scenario from "../../Scenario.js"
import type { Operations } from "../operations.js"
import type { Reply } from "../reply.js"
import { detail, empty, json, notFound, page } from "../reply.js"
import type { FileContent, Inbound, SessionRecord, SessionState, Status } from "./model.js"
import { ACTIVE, canonical, isPlainObject, isSettled, TERMINAL } from "./model.js"
import * as Overrides from "./overrides.js"
import * as Quota from "./quota.js"
import * as Replay from "./replay.js"
import * as Store from "./store.js"
import { append } from "./store.js"
import * as Tools from "./tools.js"
import * as Turn from "./turn.js"
import { changesOf, toSession, toStatus, toSummary } from "./views.js"

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

const IDEMPOTENCY_WINDOW = 24 * 3600 * 1000

const inboundOf = (messages: unknown): Array<Inbound & { readonly raw: Record<string, unknown> }> => {
  const list: Array<unknown> = messages === undefined || messages === null
    ? []
    : typeof messages === "string"
    ? [{ type: "user_message", message: messages }]
    : Array.isArray(messages)
    ? messages
    : [messages]
  return list.filter(isPlainObject).map((m) => ({
    raw: m,
    message: String(m.message ?? ""),
    files: Array.isArray(m.files) ? m.files as ReadonlyArray<FileContent> : []
  }))
}

/** @internal */
export const make = (deps: Deps) => {
  let created = 0
  const idempotency = new Map<string, { readonly bodyKey: string; readonly id: string; readonly at: number }>()

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

  const reused = (key: string, bodyKey: string, now: number): Reply | undefined => {
    const seen = idempotency.get(key)
    if (seen === undefined || now - seen.at >= IDEMPOTENCY_WINDOW) return undefined
    if (seen.bodyKey !== bodyKey) {
      return json(422, {
        detail: [{
          loc: ["header", "Idempotency-Key"],
          msg: "Idempotency-Key was already used with a different request body",
          type: "idempotency_key_reused",
          input: key
        }]
      })
    }
    const existing = store.find(seen.id)
    return existing === undefined ? undefined : json(201, toSession(existing, existing.state))
  }

  const create = (input: In<"create_session_api_v2_sessions_post">, scheduleId?: string): Effect.Effect<Reply> =>
    quota.exclusive(Effect.gen(function*() {
      const body = input.body as unknown as Record<string, unknown>
      const key = input.headers["Idempotency-Key"] ?? undefined
      const now = yield* Clock.currentTimeMillis
      const bodyKey = canonical(body)
      if (key !== undefined) {
        const reply = reused(key, bodyKey, now)
        if (reply !== undefined) return reply
      }
      const agentName = typeof input.body.agent === "string" ? input.body.agent : input.body.agent.name
      let agent: Record<string, unknown>
      if (typeof input.body.agent === "string") {
        const found = yield* deps.resolveAgent(input.body.agent)
        if (found === undefined) return notFound(`Agent '${input.body.agent}'`)
        agent = structuredClone(found)
      } else agent = structuredClone(input.body.agent) as unknown as Record<string, unknown>
      const resolved = Overrides.apply({ ...structuredClone(body), agent }, input.body.overrides ?? {})
      const resolvedAgent = isPlainObject(resolved.agent) ? resolved.agent : {}
      if (quota.isFull() && input.body.queue === false) {
        return detail(429, "Concurrent session limit reached", { "retry-after": "5" })
      }
      const messages = inboundOf(input.body.messages)
      const scenario = deps.scenarioFor(agentName)
      const replay = scenario !== undefined && !Array.isArray(scenario) && typeof scenario !== "function"
        ? scenario as Scenario.Replay
        : undefined
      const id = deps.nextId()
      const first = replay?.recording.events[0]
      const initial: SessionState = {
        status: "queued",
        events: [
          replay === undefined
            ? { timestamp: new Date(now).toISOString(), type: "RequestStartEvent", data: {} }
            : {
              timestamp: new Date(now).toISOString(),
              type: first?.type ?? "RequestStartEvent",
              data: first?.data ?? {}
            }
        ],
        startedAt: null,
        finishedAt: null,
        lastActivityAt: now,
        error: null,
        errorCode: null,
        outcome: null,
        answer: null,
        steps: 0,
        pausedFrom: null,
        forceAnswer: false,
        inbox: messages.map(({ files, message }) => ({ message, files })),
        pendingCalls: [],
        answeredCalls: []
      }
      const record: SessionRecord = {
        id,
        createdAt: now,
        request: body,
        agentName,
        answerFormat: isPlainObject(resolvedAgent.answer_format) ? resolvedAgent.answer_format : undefined,
        tools: Array.isArray(resolvedAgent.tools) ? resolvedAgent.tools : [],
        environments: Array.isArray(resolvedAgent.environments) ? resolvedAgent.environments.filter(isPlainObject) : [],
        maxSteps: typeof resolved.max_steps === "number" ? resolved.max_steps : null,
        maxTimeS: typeof resolved.max_time_s === "number" ? resolved.max_time_s : null,
        idleTimeoutS: typeof resolved.idle_timeout_s === "number" ? resolved.idle_timeout_s : null,
        firstMessage: messages[0]?.raw ?? null,
        scheduleId: scheduleId ?? null,
        replay,
        state: initial,
        listeners: new Set(),
        runner: undefined,
        extras: { shareUrl: null, files: new Map(), feedback: [], resources: new Map(), recordedResults: new Map() }
      }
      store.records.set(id, record)
      created++
      if (key !== undefined) idempotency.set(key, { bodyKey, id, at: now })
      yield* deps.onStatusChange(record, "queued", "queued")
      if (quota.isFull()) quota.enqueue(record)
      else yield* start(record)
      return json(201, toSession(record, record.state))
    }))

  const get = ({ path }: In<"get_session_api_v2_sessions__id__get">) =>
    withSession(path.id, (r) => Effect.sync(() => json(200, toSession(r, r.state))))

  const status = ({ path }: In<"get_session_status_api_v2_sessions__id__status_get">) =>
    withSession(path.id, (r) => Effect.sync(() => json(200, toStatus(r.state))))

  const changes = ({ path, query }: In<"get_session_changes_api_v2_sessions__id__changes_get">) =>
    withSession(path.id, (r) =>
      Effect.gen(function*() {
        const from = query.from_index
        const limit = query.limit ?? null
        const ready = (s: SessionState) => s.events.length > Math.max(0, from)
        const s = r.state
        if (ready(s)) return json(200, changesOf(s, from, limit, query.include_events))
        if (TERMINAL.has(s.status) || query.wait_for_seconds <= 0 || deps.earlyChanges()) return empty(204)
        const next = yield* Effect.interruptible(store.waitWithin(r, ready, query.wait_for_seconds * 1000))
        return next === undefined
          ? empty(204)
          : json(200, changesOf(next.state, from, limit, query.include_events, next.length))
      }))

  const events = ({ path, query }: In<"list_session_events_api_v2_sessions__id__events_get">) =>
    withSession(path.id, (r) =>
      Effect.sync(() => {
        let items = r.state.events.slice()
        if (typeof query.type === "string") items = items.filter((e) => e.type === query.type)
        if ((query.sort ?? [])[0] === "-timestamp") items.reverse()
        return json(200, page(items, query.page, query.size))
      }))

  const matches = (q: In<"list_sessions_api_v2_sessions_get">["query"], r: SessionRecord, s: SessionState) => {
    const time = (v: string) => Date.parse(v)
    if (q.status != null && !q.status.includes(s.status)) return false
    if (q.agent != null && !q.agent.includes(r.agentName)) return false
    if (q.group_id != null && r.request.group_id !== q.group_id) return false
    if (q.parent_session_id != null && r.request.parent_session_id !== q.parent_session_id) return false
    if (q.schedule_id != null && r.scheduleId !== q.schedule_id) return false
    if (q.search != null) {
      const hay = `${r.agentName} ${String(r.firstMessage?.message ?? "")}`.toLowerCase()
      if (!hay.includes(q.search.toLowerCase())) return false
    }
    if (q.created_before != null && !(r.createdAt < time(q.created_before))) return false
    if (q.created_after != null && !(r.createdAt > time(q.created_after))) return false
    if (q.finished_before != null && !(s.finishedAt !== null && s.finishedAt < time(q.finished_before))) return false
    if (q.finished_after != null && !(s.finishedAt !== null && s.finishedAt > time(q.finished_after))) return false
    return true
  }

  const list = ({ query }: In<"list_sessions_api_v2_sessions_get">) =>
    Effect.sync(() => {
      const rows = store.all().map((r) => ({ r, s: r.state })).filter(({ r, s }) => matches(query, r, s))
      const asc = (query.sort ?? ["-created_at"])[0] === "created_at"
      rows.sort((a, b) => asc ? a.r.createdAt - b.r.createdAt : b.r.createdAt - a.r.createdAt)
      return json(200, page(rows.map(({ r, s }) => toSummary(r, s)), query.page, query.size))
    })

  const quotaStatus = Effect.sync(() =>
    json(200, {
      scope: "org",
      limit: deps.concurrency,
      active: quota.active(),
      available: Math.max(0, deps.concurrency - quota.active())
    })
  )

  const ended = (what: string) => detail(409, `Session has already ended; cannot ${what}`)

  /** A message to an idle session wakes it; during a turn it redirects the agent at its next step. */
  const messages = ({ body, path }: In<"send_session_messages_api_v2_sessions__id__messages_post">) =>
    withSession(path.id, (r) =>
      store.modify(r, (s, now) => {
        if (TERMINAL.has(s.status)) return [ended("send messages"), s] as const
        const batch = "messages" in body ? body.messages : [body as typeof body & { message: string }]
        const inbox = [...s.inbox, ...inboundOf(batch).map(({ files, message }) => ({ message, files }))]
        const next: SessionState = { ...s, inbox, lastActivityAt: now }
        // A replayed session plays the recorded wake-up itself.
        return [
          empty(202),
          s.status === "idle" && r.replay === undefined
            ? append({ ...next, status: "running" }, now, [{
              type: "ActiveStateChangeEvent",
              data: { state: "running" }
            }])
            : next
        ] as const
      }))

  const toolResults = ({ body, path }: In<"send_session_tool_results_api_v2_sessions__id__tool_results_post">) =>
    withSession(path.id, (r) =>
      store.modify(r, (s, now) => {
        if (isSettled(s.status)) return [ended("accept tool results"), s] as const
        const batch = "type" in body && body.type === "batch"
        const results = (batch ? (body as { results: ReadonlyArray<unknown> }).results : [body]) as ReadonlyArray<
          Tools.PostedResult
        >
        return Tools.post(s, now, results, batch, r.replay === undefined ? undefined : r.extras.recordedResults)
      }))

  const pause = ({ path }: In<"pause_session_api_v2_sessions__id__pause_post">) =>
    withSession(path.id, (r) =>
      store.modify(r, (s, now) => {
        if (s.status === "paused") return [empty(202), s] as const
        if (!ACTIVE.has(s.status)) return [detail(409, `Cannot pause a session that is ${s.status}`), s] as const
        return [
          empty(202),
          append({ ...s, status: "paused", pausedFrom: s.status }, now, [{
            type: "AgentRunStatusChangeEvent",
            data: { status: "paused" }
          }])
        ] as const
      }))

  const resume = ({ path }: In<"resume_session_api_v2_sessions__id__resume_post">) =>
    withSession(path.id, (r) =>
      store.modify(r, (s, now) => {
        if (TERMINAL.has(s.status)) return [ended("resume"), s] as const
        if (s.status !== "paused") return [empty(202), s] as const
        return [
          empty(202),
          append({ ...s, status: s.pausedFrom ?? "running", pausedFrom: null }, now, [{
            type: "AgentRunStatusChangeEvent",
            data: { status: "running" }
          }])
        ] as const
      }))

  const forceAnswer = ({ path }: In<"force_session_answer_api_v2_sessions__id__force_answer_post">) =>
    withSession(path.id, (r) =>
      store.modify(r, (s) => {
        if (TERMINAL.has(s.status)) return [ended("force an answer"), s] as const
        if (s.status === "idle") return [empty(202), s] as const
        return [empty(202), { ...s, forceAnswer: true }] as const
      }))

  const interrupt = (r: SessionRecord) =>
    Effect.gen(function*() {
      yield* Effect.sleep(deps.cancelDelay)
      if (r.runner !== undefined) yield* Fiber.interrupt(r.runner)
      yield* runner.finish(r, "interrupted", {}, [{ type: "AgentCompletionEvent", data: { reason: "stopped" } }])
    })

  const cancel = ({ path }: In<"cancel_session_api_v2_sessions__id__delete">) =>
    withSession(path.id, (r) =>
      Effect.gen(function*() {
        if (!TERMINAL.has(r.state.status)) yield* Effect.forkIn(Effect.interruptible(interrupt(r)), deps.scope)
        return empty(204)
      }))

  return {
    store,
    created: () => created,
    withSession,
    handlers: {
      create_session_api_v2_sessions_post: (input: In<"create_session_api_v2_sessions_post">) => create(input),
      list_sessions_api_v2_sessions_get: list,
      get_session_quota_api_v2_sessions_quota_get: () => quotaStatus,
      get_session_api_v2_sessions__id__get: get,
      cancel_session_api_v2_sessions__id__delete: cancel,
      get_session_status_api_v2_sessions__id__status_get: status,
      send_session_messages_api_v2_sessions__id__messages_post: messages,
      send_session_tool_results_api_v2_sessions__id__tool_results_post: toolResults,
      pause_session_api_v2_sessions__id__pause_post: pause,
      resume_session_api_v2_sessions__id__resume_post: resume,
      force_session_answer_api_v2_sessions__id__force_answer_post: forceAnswer,
      get_session_changes_api_v2_sessions__id__changes_get: changes,
      list_session_events_api_v2_sessions__id__events_get: events
    },
    /** A scheduled run's create (no idempotency key). */
    createFor: (request: In<"create_session_api_v2_sessions_post">["body"], scheduleId: string) =>
      create({ path: {}, query: {}, headers: {}, body: request }, scheduleId)
  }
}

/** @internal */
export type Sessions = ReturnType<typeof make>
