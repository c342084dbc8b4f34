/**
 * `POST /sessions`: resolve the agent and its overrides, honour the idempotency key, then start
 * the session or queue it behind the quota.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Scenario from "../../Scenario.js"
import type { Operations } from "../operations.js"
import type { Reply } from "../reply.js"
import { detail, json, notFound } from "../reply.js"
import type { FileContent, Inbound, SessionRecord, SessionState, Status } from "./model.js"
import { canonical, isPlainObject } from "./model.js"
import * as Overrides from "./overrides.js"
import type { Quota } from "./quota.js"
import type { Store } from "./store.js"
import { toSession } from "./views.js"

type In<K extends keyof Operations> = Operations[K]

const IDEMPOTENCY_WINDOW = 24 * 3600 * 1000

/** The messages of a request, as the agent's inbox holds them. @internal */
export const inboundOf = (messages: unknown): Array<Inbound & { readonly raw: Record<string, unknown> }> => {
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
export const make = (deps: {
  readonly store: Store
  readonly quota: Quota
  readonly start: (record: SessionRecord) => Effect.Effect<void>
  readonly nextId: () => string
  readonly scenarioFor: (agentName: string) => Scenario.Scenario | undefined
  readonly resolveAgent: (name: string) => Effect.Effect<Record<string, unknown> | undefined>
  readonly onStatusChange: (record: SessionRecord, previous: Status, next: Status) => Effect.Effect<void>
}) => {
  const { quota, store } = deps
  let created = 0
  const idempotency = new Map<string, { readonly bodyKey: string; readonly id: string; readonly at: number }>()

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
      else yield* deps.start(record)
      return json(201, toSession(record, record.state))
    }))

  return { create, created: () => created }
}
