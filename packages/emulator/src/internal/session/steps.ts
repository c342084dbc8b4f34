/**
 * What one scripted step does to a session: think (a model step), observe (a screenshot),
 * attach a file, call tools, read the user's messages, answer, fail; and the gate a paused
 * session waits at between steps.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Scenario from "../../Scenario.js"
import * as Answer from "./answer.js"
import type { Inbound, NewEvent, PendingCall, SessionRecord, SessionState, Status } from "./model.js"
import { TERMINAL } from "./model.js"
import { append } from "./store.js"
import * as Tools from "./tools.js"
import type { Deps } from "./turn.js"
import { metrics, TOKENS_PER_STEP } from "./views.js"

// A 1x1 PNG: what the emulator serves for every screenshot.
const PNG = Uint8Array.from(
  atob("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="),
  (c) => c.charCodeAt(0)
)

/** @internal */
export const make = (deps: Deps) => {
  const { store } = deps

  const notPaused = (s: SessionState) => s.status !== "paused"
  const gate = (record: SessionRecord) =>
    Effect.suspend(() => notPaused(record.state) ? Effect.void : Effect.asVoid(store.waitFor(record, notPaused)))

  const finish = (
    record: SessionRecord,
    status: Status,
    fields: Partial<SessionState>,
    events: ReadonlyArray<NewEvent>
  ) =>
    store.update(record, (s, now) =>
      TERMINAL.has(s.status)
        ? s
        : append({ ...s, ...fields, status, finishedAt: now, pendingCalls: [], pausedFrom: null }, now, events))

  const fail = (record: SessionRecord, errorCode: Scenario.ErrorCode, error: string) =>
    finish(record, "failed", { error, errorCode }, [
      { type: "AgentErrorEvent", data: { error, trace: "" } },
      { type: "AgentCompletionEvent", data: { reason: "stopped" } }
    ])

  const outOfCredit = (record: SessionRecord) =>
    fail(record, "insufficient_credit", "The organization has no credit left; add credit to run sessions")

  const complete = (record: SessionRecord) =>
    finish(record, "completed", {}, [{ type: "AgentCompletionEvent", data: { reason: "finished" } }])

  const answer = (record: SessionRecord, task: string, value: unknown, outcome: Scenario.Outcome | undefined) =>
    Effect.suspend(() => {
      const checked = Answer.check(record, value === undefined ? Answer.synthesise(record, task) : value)
      if (checked._tag === "Invalid") return Effect.as(fail(record, "answer_validation", checked.error), false)
      const out = outcome ?? "success"
      return Effect.as(
        store.update(record, (s, now) => {
          const next = { ...s, answer: checked.answer, outcome: out, forceAnswer: false }
          return append(next, now, [
            { type: "AgentEvent", data: { kind: "answer_event", answer: checked.answer, outcome: out } },
            { type: "MetricsUpdateEvent", data: { metrics: metrics(next) } }
          ])
        }),
        true
      )
    })

  const think = (record: SessionRecord, step: Extract<Scenario.Step, { _tag: "Think" }>) =>
    Effect.gen(function*() {
      yield* Effect.sleep(step.duration === "tick" ? deps.stepDuration() : step.duration)
      yield* gate(record)
      if (!deps.spend(TOKENS_PER_STEP)) return false
      yield* store.update(record, (s, now) => {
        const next = { ...s, steps: s.steps + 1 }
        return append(next, now, [{
          type: "AgentEvent",
          data: {
            kind: "policy_event",
            reasoning_content: step.content ?? "Thinking about the next action",
            content: step.content ?? "click(640, 360)",
            tool_reqs: []
          }
        }, { type: "MetricsUpdateEvent", data: { metrics: metrics(next) } }])
      })
      return true
    })

  const observe = (record: SessionRecord, step: Extract<Scenario.Step, { _tag: "Observe" }>) =>
    store.update(record, (s, now) => {
      const key = `step-${s.events.length}.png`
      record.extras.resources.set(`screenshots/${key}`, { content: PNG, mediaType: "image/png" })
      return append(s, now, [{
        type: "AgentEvent",
        data: {
          kind: "observation_event",
          type: "web",
          text: step.text,
          image: { type: "url", source: deps.resourceUrl(record, "screenshots", key), media_type: "image/png" },
          metadata: { url: step.url }
        }
      }])
    })

  const attach = (record: SessionRecord, step: Extract<Scenario.Step, { _tag: "Attach" }>) =>
    store.update(record, (s, now) => {
      record.extras.resources.set(`attachments/${step.name}`, { content: step.content, mediaType: step.mediaType })
      return append(s, now, [{
        type: "AttachmentEvent",
        data: {
          origin: "agent",
          name: step.name,
          path: step.path,
          media_type: step.mediaType,
          size_bytes: step.content.length,
          url: deps.resourceUrl(record, "attachments", step.name)
        }
      }])
    })

  const callTools = (record: SessionRecord, step: Extract<Scenario.Step, { _tag: "CallTools" }>, turn: number) =>
    Effect.gen(function*() {
      const calls: Array<PendingCall> = step.calls.map((c, i) => Tools.makeCall(record, c, turn, i, deps.nextId()))
      yield* store.update(record, (s, now) => Tools.announce(s, now, calls))
      yield* store.waitFor(record, (s) => s.pendingCalls.length === 0 || TERMINAL.has(s.status))
    })

  const takeInbox = (record: SessionRecord) =>
    store.modify(record, (s, now) => {
      const events: Array<NewEvent> = []
      for (const m of s.inbox) events.push(...messageEvents(record, m))
      return [s.inbox.map((m) => m.message), append({ ...s, inbox: [] }, now, events)] as const
    })

  const messageEvents = (record: SessionRecord, m: Inbound): Array<NewEvent> => {
    const events: Array<NewEvent> = [{
      type: "AgentEvent",
      data: { kind: "message_event", caller_id: "user", content: [m.message] }
    }]
    for (const file of m.files) {
      const content = file.type === "url"
        ? new Uint8Array()
        : Uint8Array.from(atob(file.source), (c) => c.charCodeAt(0))
      const mediaType = file.media_type ?? "application/octet-stream"
      const url = file.type === "url" ? file.source : deps.resourceUrl(record, "attachments", file.name)
      if (file.type !== "url") record.extras.resources.set(`attachments/${file.name}`, { content, mediaType })
      events.push({
        type: "AttachmentEvent",
        data: {
          origin: "user",
          name: file.name,
          path: `~/Uploads/${file.name}`,
          media_type: mediaType,
          size_bytes: file.size_bytes ?? content.length,
          url
        }
      })
    }
    return events
  }

  return {
    gate,
    finish,
    fail,
    outOfCredit,
    complete,
    answer,
    think,
    observe,
    attach,
    callTools,
    takeInbox,
    messageEvents
  }
}

/** @internal */
export type Steps = ReturnType<typeof make>
