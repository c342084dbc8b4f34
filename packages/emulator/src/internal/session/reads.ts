/**
 * Reading sessions: one, its status, its changes (the long-poll), its event history, the list,
 * and the quota.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { Operations } from "../operations.js"
import type { Reply } from "../reply.js"
import { empty, json, page } from "../reply.js"
import type { SessionRecord, SessionState } from "./model.js"
import { TERMINAL } from "./model.js"
import type { Quota } from "./quota.js"
import type { Store } from "./store.js"
import { changesOf, toSession, toStatus, toSummary } from "./views.js"

type In<K extends keyof Operations> = Operations[K]

/** @internal */
export const make = (deps: {
  readonly store: Store
  readonly quota: Quota
  readonly withSession: (id: string, f: (r: SessionRecord) => Effect.Effect<Reply>) => Effect.Effect<Reply>
  readonly earlyChanges: () => boolean
}) => {
  const { quota, store, withSession } = deps
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
      limit: quota.limit,
      active: quota.active(),
      available: Math.max(0, quota.limit - quota.active())
    })
  )

  return { get, status, changes, events, list, quotaStatus }
}
