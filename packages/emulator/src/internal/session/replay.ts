/**
 * A recorded session played back: its events in order at the recorded pace (divided by `speed`),
 * the session's status following them as it did. At a recorded tool call the replay waits for the
 * client's results (checked against the recorded results' shape); at a recorded idle phase with
 * more to come, for the client's next message.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Recording from "../../Recording.js"
import type * as Scenario from "../../Scenario.js"
import type { PendingCall, SessionRecord, SessionState, Status } from "./model.js"
import { isPlainObject, TERMINAL } from "./model.js"
import type { Store } from "./store.js"
import { append } from "./store.js"
import type { Runner } from "./turn.js"

type Event = Recording.RecordedEvent

const dataOf = (e: Event): Record<string, any> => (isPlainObject(e.data) ? e.data : {})

const isToolOutcome = (e: Event, ids: ReadonlySet<string>) =>
  e.type === "AgentEvent" && (dataOf(e).kind === "tool_result" || dataOf(e).kind === "error_event")
  && ids.has(String(dataOf(e).tool_req?.id))

/** The state after a recorded event, as the hosted API's state machine moved it. */
const follow = (s: SessionState, e: Event, now: number): SessionState => {
  const d = dataOf(e)
  switch (e.type) {
    case "AgentStartedEvent":
      return { ...s, status: s.status === "pending" || s.status === "queued" ? "running" : s.status, startedAt: now }
    case "ActiveStateChangeEvent":
      return d.state === "idle" || d.state === "running" ? { ...s, status: d.state as Status } : s
    case "MetricsUpdateEvent":
      return typeof d.metrics?.steps === "number" ? { ...s, steps: d.metrics.steps } : s
    case "AgentEvent":
      return d.kind === "answer_event" ? { ...s, answer: d.answer ?? null, outcome: d.outcome ?? null } : s
    default:
      return s
  }
}

/** @internal */
export const make = (store: Store, runner: Runner) => {
  const run = (record: SessionRecord, replay: Scenario.Replay): Effect.Effect<void> =>
    Effect.gen(function*() {
      const events = replay.recording.events
      const at = Recording.offsets(replay.recording)
      let i = record.state.events.length
      let last = at[i - 1] ?? 0
      while (i < events.length) {
        yield* Effect.sleep(Recording.durationOf(at[i] - last, replay.speed))
        yield* runner.gate(record)
        if (TERMINAL.has(record.state.status)) return
        last = at[i]
        // Events stamped alike were appended together.
        let j = i
        while (
          j < events.length && at[j] === at[i] && !isCall(events[j]) && events[j].type !== "AgentCompletionEvent"
        ) j++
        if (j === i) j = i + 1
        const batch = events.slice(i, j)
        i = j
        const e = batch[batch.length - 1]
        const head = batch.slice(0, -1)
        const status = replay.recording.status as Status
        if (e.type === "AgentCompletionEvent" && TERMINAL.has(status)) {
          yield* store.update(record, (s, now) => append(head.reduce((s2, x) => follow(s2, x, now), s), now, head))
          return yield* ending(record, replay, [e])
        }
        if (isCall(e)) {
          yield* store.update(record, (s, now) => append(head.reduce((s2, x) => follow(s2, x, now), s), now, head))
          i = yield* call(record, events, i - 1)
          last = at[i - 1] ?? last
          continue
        }
        yield* store.update(record, (s, now) => append(batch.reduce((s2, x) => follow(s2, x, now), s), now, batch))
        if (e.type === "ActiveStateChangeEvent" && dataOf(e).state === "idle" && i < events.length) {
          // The user's next message starts the next recorded turn, whenever it comes.
          yield* store.waitFor(record, (s) => s.inbox.length > 0 || TERMINAL.has(s.status))
          yield* store.update(record, (s) => ({ ...s, inbox: [] }))
          last = at[i]
        }
      }
      if (TERMINAL.has(replay.recording.status as Status)) yield* ending(record, replay, [])
    })

  const ending = (record: SessionRecord, replay: Scenario.Replay, events: ReadonlyArray<Event>) =>
    runner.finish(record, replay.recording.status as Status, {
      error: replay.recording.error,
      errorCode: replay.recording.error_code as SessionState["errorCode"]
    }, events)

  const isCall = (e: Event) => e.type === "ActiveStateChangeEvent" && dataOf(e).state === "awaiting_tool_results"

  /** Announce the recorded calls, wait for the client's results, and skip what they replaced. */
  const call = (record: SessionRecord, events: ReadonlyArray<Event>, index: number) =>
    Effect.gen(function*() {
      const e = events[index]
      const calls: ReadonlyArray<PendingCall> = Array.isArray(dataOf(e).pending_tool_calls)
        ? dataOf(e).pending_tool_calls
        : []
      const ids = new Set(calls.map((c) => c.id))
      for (const x of events.slice(index + 1)) {
        if (isToolOutcome(x, ids) && dataOf(x).kind === "tool_result") {
          record.extras.recordedResults.set(String(dataOf(x).tool_req.id), dataOf(x).result)
        }
      }
      yield* store.update(record, (s, now) =>
        append(
          {
            ...s,
            pendingCalls: calls,
            ...(s.status === "paused"
              ? { pausedFrom: "awaiting_tool_results" as Status }
              : { status: "awaiting_tool_results" as Status })
          },
          now,
          [e]
        ))
      yield* store.waitFor(record, (s) => s.pendingCalls.length === 0 || TERMINAL.has(s.status))
      // The results the client posted stand in for the recorded ones, and so does the switch back
      // to running that followed them.
      let next = index + 1
      while (next < events.length) {
        const x = events[next]
        if (isToolOutcome(x, ids)) next++
        else if (isCall(x) && (dataOf(x).pending_tool_calls ?? []).every((c: PendingCall) => ids.has(c.id))) next++
        else if (x.type === "ActiveStateChangeEvent" && dataOf(x).state === "running") {
          next++
          break
        } else break
      }
      return next
    })

  return { run }
}
