/**
 * The emulated agent: from dispatch to the end of the session, turn by turn. A turn plays the
 * scenario's steps; a message that arrives during a turn redirects the agent at its next step
 * (a new turn on the new message), as `send_message` does on the hosted API.
 *
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scenario from "../../Scenario.js"
import type { SessionRecord } from "./model.js"
import { TERMINAL } from "./model.js"
import * as Steps from "./steps.js"
import type { Store } from "./store.js"
import { append } from "./store.js"

/** @internal */
export interface Deps {
  readonly store: Store
  readonly region: "eu" | "us"
  /** The time one "tick" step takes (fixed, or jittered around a realistic pace). */
  readonly stepDuration: () => Duration.Duration
  readonly nextId: () => string
  /** Where the session's resources are served (screenshots, attachments). */
  readonly resourceUrl: (record: SessionRecord, bucket: string, key: string) => string
  /** Spend tokens of the org's credit; `false` when there is none left. */
  readonly spend: (tokens: number) => boolean
}

/** How a turn ended. @internal */
export type TurnEnd = "answered" | "idle" | "ended" | "redirected"

/** @internal */
export const make = (deps: Deps) => {
  const { store } = deps
  const { answer, attach, callTools, complete, fail, finish, gate, observe, outOfCredit, takeInbox, think } = Steps
    .make(deps)

  const runTurn = (
    record: SessionRecord,
    scenario: Exclude<Scenario.Scenario, Scenario.Replay>,
    turn: number,
    messages: ReadonlyArray<string>
  ): Effect.Effect<TurnEnd> =>
    Effect.gen(function*() {
      const task = messages[messages.length - 1] ?? "the task"
      const steps = typeof scenario === "function"
        ? scenario({
          sessionId: record.id,
          agent: record.agentName,
          request: record.request,
          answerFormat: record.answerFormat,
          tools: record.tools,
          turn,
          messages
        })
        : scenario
      for (const [i, step] of steps.entries()) {
        yield* gate(record)
        const s = record.state
        if (TERMINAL.has(s.status)) return "ended"
        if (i > 0 && s.inbox.length > 0) return "redirected"
        if (s.forceAnswer) return (yield* answer(record, task, undefined, "partial")) ? "answered" : "ended"
        switch (step._tag) {
          case "Emit":
            yield* store.update(record, (s, now) => append(s, now, [{ type: step.type, data: step.data }]))
            break
          case "Think": {
            if (record.maxSteps !== null && s.steps >= record.maxSteps) {
              yield* fail(record, "no_answer", `The agent reached max_steps (${record.maxSteps}) without an answer`)
              return "ended"
            }
            if (!(yield* think(record, step))) {
              yield* outOfCredit(record)
              return "ended"
            }
            break
          }
          case "Observe":
            yield* observe(record, step)
            break
          case "Attach":
            yield* attach(record, step)
            break
          case "CallTools":
            yield* callTools(record, step, turn)
            break
          case "Answer":
            return (yield* answer(record, task, step.answer, step.outcome)) ? "answered" : "ended"
          case "Fail":
            yield* fail(record, step.errorCode, step.error)
            return "ended"
          case "RunOutOfCredit":
            yield* outOfCredit(record)
            return "ended"
          case "Idle":
            return "idle"
          case "Hang":
            yield* store.waitFor(record, (s) => s.forceAnswer || TERMINAL.has(s.status))
            return (yield* answer(record, task, undefined, "partial")) ? "answered" : "ended"
        }
      }
      return (yield* answer(record, task, undefined, undefined)) ? "answered" : "ended"
    })

  /** The messages waiting for the agent, as it reads them: one `message_event` each, its files attached. */
  const goesIdle = (record: SessionRecord) => record.idleTimeoutS !== null || deps.region === "eu"

  const wake = (record: SessionRecord) =>
    store.update(record, (s, now) =>
      s.status !== "idle"
        ? s
        : append({ ...s, status: "running" }, now, [{ type: "ActiveStateChangeEvent", data: { state: "running" } }]))

  /** Idle until a message (true) or the idle timeout (false). */
  const idle = (record: SessionRecord) =>
    Effect.gen(function*() {
      yield* store.update(record, (s, now) =>
        s.inbox.length > 0 || TERMINAL.has(s.status)
          ? s
          : append({ ...s, status: "idle" }, now, [{ type: "ActiveStateChangeEvent", data: { state: "idle" } }]))
      const woken = store.waitFor(record, (s) => s.inbox.length > 0 || TERMINAL.has(s.status))
      return record.idleTimeoutS === null
        ? yield* Effect.as(woken, true)
        : yield* Effect.map(Effect.timeoutOption(woken, Duration.seconds(record.idleTimeoutS)), Option.isSome)
    })

  const started = (record: SessionRecord) =>
    store.update(
      record,
      (s, now) =>
        append({ ...s, status: s.status === "pending" ? "running" : s.status, startedAt: now }, now, [
          { type: "AgentStartedEvent", data: {} },
          { type: "LiveViewUrlEvent", data: { live_view_url: `https://live.emulator.local/sessions/${record.id}` } },
          { type: "RunnerSessionEvent", data: { runner_session_id: `runner-${record.id.slice(0, 8)}` } },
          { type: "AgentRunStatusChangeEvent", data: { status: "running" } },
          { type: "ActiveStateChangeEvent", data: { state: "running" } }
        ])
    )

  const loop = (record: SessionRecord, scenario: Exclude<Scenario.Scenario, Scenario.Replay>) =>
    Effect.gen(function*() {
      yield* Effect.sleep(deps.stepDuration())
      yield* gate(record)
      yield* started(record)
      let turn = 0
      while (true) {
        const end = yield* runTurn(record, scenario, turn++, yield* takeInbox(record))
        if (end === "ended" || TERMINAL.has(record.state.status)) return
        if (end === "redirected" || record.state.inbox.length > 0) continue
        if (!goesIdle(record) && end === "answered") return yield* complete(record)
        if (!(yield* idle(record))) return yield* complete(record)
        if (TERMINAL.has(record.state.status)) return
        yield* wake(record)
      }
    })

  /** The agent of a session, bounded by its `max_time_s`; a crash fails the session. */
  const run = (record: SessionRecord, scenario: Exclude<Scenario.Scenario, Scenario.Replay>): Effect.Effect<void> => {
    const bounded = record.maxTimeS === null ? loop(record, scenario) : Effect.gen(function*() {
      const result = yield* Effect.timeoutOption(
        loop(record, scenario),
        Duration.millis(Math.round(record.maxTimeS! * 1000))
      )
      if (Option.isSome(result)) return
      if (record.state.status === "idle") return yield* complete(record)
      yield* finish(record, "timed_out", {
        error: `The session exceeded max_time_s (${record.maxTimeS} s)`,
        errorCode: "timeout"
      }, [{ type: "AgentCompletionEvent", data: { reason: "timed_out" } }])
    })
    return bounded.pipe(
      Effect.catchAllDefect((defect) => fail(record, "internal", `Emulated agent crashed: ${String(defect)}`))
    )
  }

  return { run, finish, gate }
}

/** @internal */
export type Runner = ReturnType<typeof make>
