/**
 * Custom tool calls: the agent announces them (`awaiting_tool_results` with the pending list), the
 * client posts results by call id, and the agent resumes once none is left pending.
 *
 * @internal
 */
import * as Scenario from "../../Scenario.js"
import type { Reply } from "../reply.js"
import { empty, json } from "../reply.js"
import type { NewEvent, PendingCall, SessionRecord, SessionState, Status } from "./model.js"
import { canonical, isPlainObject } from "./model.js"
import { append } from "./store.js"

/** A call of the scenario, with arguments synthesised from the tool's `input_schema` when it gives none. @internal */
export const makeCall = (
  record: SessionRecord,
  call: { readonly name: string; readonly args?: unknown },
  turn: number,
  index: number,
  id: string
): PendingCall => {
  const def = record.tools.find((t) => t.name === call.name)
  const args = call.args !== undefined
    ? call.args
    : def?.input_schema !== undefined
    ? Scenario.example(def.input_schema, { seed: turn * 31 + index })
    : {}
  return {
    tool_name: call.name,
    args: isPlainObject(args) ? args : { value: args },
    id: `call_${turn}_${index + 1}_${id.slice(0, 8)}`
  }
}

/** The agent asks for `calls`: the session waits for their results. @internal */
export const announce = (s: SessionState, now: number, calls: ReadonlyArray<PendingCall>): SessionState => {
  const pending = [...s.pendingCalls, ...calls]
  const base = s.status === "paused"
    ? { ...s, pendingCalls: pending, pausedFrom: "awaiting_tool_results" as Status }
    : { ...s, pendingCalls: pending, status: "awaiting_tool_results" as Status }
  return append(base, now, [{
    type: "AgentEvent",
    data: { kind: "policy_event", content: `Calling ${calls.map((c) => c.tool_name).join(", ")}`, tool_reqs: calls }
  }, {
    type: "ActiveStateChangeEvent",
    data: { state: "awaiting_tool_results", pending_tool_calls: pending }
  }])
}

/** `ToolResultEvent` or `ErrorEvent` (with `kind`), as the client posts them. @internal */
export interface PostedResult {
  readonly kind?: string
  readonly tool_req?: { readonly id?: string | null; readonly tool_name?: string; readonly args?: unknown }
  readonly result?: unknown
  readonly error?: string
  readonly origin?: string
}

const callKey = (req: PostedResult["tool_req"]) =>
  typeof req?.id === "string" ? `id:${req.id}` : `na:${String(req?.tool_name)}:${canonical(req?.args ?? {})}`

/** The JSON kinds of a value, for comparing a replayed result with the recorded one. @internal */
export const shapeOf = (u: unknown): unknown => {
  if (Array.isArray(u)) return u.length === 0 ? ["any"] : [shapeOf(u[0])]
  if (isPlainObject(u)) return Object.fromEntries(Object.keys(u).sort().map((k) => [k, shapeOf(u[k])]))
  return u === null ? "null" : typeof u
}

const shapeMismatch = (expected: unknown, actual: unknown): string | undefined => {
  const want = canonical(shapeOf(expected))
  const got = canonical(shapeOf(actual))
  return want === got ? undefined : `expected a result shaped ${want}, got ${got}`
}

/**
 * Apply posted results: the reply, and the next state (unchanged when nothing applied).
 * `expected`: recorded results by call id, whose shape a replayed client's results must have.
 *
 * @internal
 */
export const post = (
  s: SessionState,
  now: number,
  results: ReadonlyArray<PostedResult>,
  batch: boolean,
  expected: ReadonlyMap<string, unknown> | undefined
): readonly [Reply, SessionState] => {
  let pending = s.pendingCalls
  const answered = [...s.answeredCalls]
  const events: Array<NewEvent> = []
  for (const [i, result] of results.entries()) {
    const key = callKey(result.tool_req)
    const idx = pending.findIndex((c) =>
      key.startsWith("id:") ? `id:${c.id}` === key : callKey({ tool_name: c.tool_name, args: c.args }) === key
    )
    const loc = batch ? ["body", "results", i, "tool_req", "id"] : ["body", "tool_req", "id"]
    if (idx === -1) {
      if (key.startsWith("id:") && answered.includes(key.slice(3))) continue
      return [
        json(422, {
          detail: [{ loc, msg: "Unknown tool call id", type: "value_error", input: result.tool_req?.id ?? null }]
        }),
        s
      ]
    }
    const call = pending[idx]
    const recorded = expected?.get(call.id)
    const mismatch = recorded !== undefined && result.kind !== "error_event"
      ? shapeMismatch(recorded, result.result ?? null)
      : undefined
    if (mismatch !== undefined) {
      return [
        json(422, {
          detail: [{
            loc: batch ? ["body", "results", i, "result"] : ["body", "result"],
            msg: `The result does not match the recording: ${mismatch}`,
            type: "value_error",
            input: result.result ?? null
          }]
        }),
        s
      ]
    }
    pending = pending.filter((_, j) => j !== idx)
    answered.push(call.id)
    events.push({
      type: "AgentEvent",
      data: result.kind === "error_event"
        ? { kind: "error_event", error: result.error, origin: result.origin ?? "client", tool_req: call }
        : { kind: "tool_result", tool_req: call, result: result.result ?? null, truncated: false }
    })
  }
  if (events.length === 0) return [empty(202), s]
  const done = pending.length === 0
  events.push({
    type: "ActiveStateChangeEvent",
    data: done ? { state: "running" } : { state: "awaiting_tool_results", pending_tool_calls: pending }
  })
  const base: SessionState = { ...s, pendingCalls: pending, answeredCalls: answered }
  const next: SessionState = !done
    ? base
    : s.status === "paused"
    ? { ...base, pausedFrom: "running" }
    : { ...base, status: "running" }
  return [empty(202), append(next, now, events)]
}
