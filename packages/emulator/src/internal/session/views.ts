/**
 * A session as the wire shows it: `Session`, `SessionSummary`, the status and `SessionChanges`.
 *
 * @internal
 */
import type { SessionRecord, SessionState } from "./model.js"
import { iso } from "./model.js"

const MODEL = "holo3-1-35b"

/** Tokens a step costs (input + output + reasoning), also what the token quota counts. @internal */
export const TOKENS_PER_STEP = 1320

const usage = (steps: number) => ({
  name: MODEL,
  input_tokens: steps * 1200,
  output_tokens: steps * 80,
  reasoning_tokens: steps * 40,
  cached_tokens: 0
})

/** @internal */
export const metrics = (s: SessionState) => ({
  steps: s.steps,
  cost_per_model: [{ ...usage(s.steps), total_cost: s.steps * 0.001 }],
  total_cost: s.steps * 0.001
})

const liveView = (r: SessionRecord, s: SessionState) =>
  s.startedAt === null ? null : `https://live.emulator.local/sessions/${r.id}`

const isoOrNull = (ms: number | null) => (ms === null ? null : iso(ms))

/** @internal */
export const toStatus = (s: SessionState) => ({
  status: s.status,
  error: s.error,
  error_code: s.errorCode,
  outcome: s.outcome,
  steps: s.steps,
  usage_per_model: s.steps === 0 ? [] : [usage(s.steps)],
  subagent_session_ids: []
})

/** @internal */
export const toSession = (r: SessionRecord, s: SessionState) => ({
  id: r.id,
  request: r.request,
  status: toStatus(s),
  agent_view_url: liveView(r, s),
  latest_answer: s.answer,
  created_at: iso(r.createdAt),
  started_at: isoOrNull(s.startedAt),
  finished_at: isoOrNull(s.finishedAt)
})

/** @internal */
export const toSummary = (r: SessionRecord, s: SessionState) => ({
  id: r.id,
  agent: r.agentName,
  status: s.status,
  agent_view_url: liveView(r, s),
  first_message: r.firstMessage,
  created_at: iso(r.createdAt),
  started_at: isoOrNull(s.startedAt),
  finished_at: isoOrNull(s.finishedAt),
  last_activity_at: iso(s.lastActivityAt),
  anonymized_at: null
})

/**
 * `SessionChanges` from `from`. `end`: the log's length when `s` was current (the log is shared
 * with the later states).
 *
 * @internal
 */
export const changesOf = (
  s: SessionState,
  from: number,
  limit: number | null,
  includeEvents: boolean,
  end = s.events.length
) => {
  const start = Math.max(0, from)
  return {
    status: s.status,
    started_at: isoOrNull(s.startedAt),
    finished_at: isoOrNull(s.finishedAt),
    error: s.error,
    error_code: s.errorCode,
    new_events: includeEvents ? s.events.slice(start, limit === null ? end : Math.min(end, start + limit)) : [],
    answer: s.answer,
    outcome: s.outcome,
    metrics: metrics(s)
  }
}
