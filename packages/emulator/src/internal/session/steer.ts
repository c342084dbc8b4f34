/**
 * Steering a session: messages, tool results, pause and resume, force an answer, cancel.
 *
 * @internal
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"
import type { Operations } from "../operations.js"
import type { Reply } from "../reply.js"
import { detail, empty } from "../reply.js"
import { inboundOf } from "./create.js"
import type { SessionRecord, SessionState } from "./model.js"
import { ACTIVE, isSettled, TERMINAL } from "./model.js"
import type { Store } from "./store.js"
import { append } from "./store.js"
import * as Tools from "./tools.js"
import type { Runner } from "./turn.js"

type In<K extends keyof Operations> = Operations[K]

/** @internal */
export const make = (deps: {
  readonly scope: Scope.Scope
  readonly store: Store
  readonly runner: Runner
  readonly cancelDelay: Duration.Duration
  readonly withSession: (id: string, f: (r: SessionRecord) => Effect.Effect<Reply>) => Effect.Effect<Reply>
}) => {
  const { runner, store, withSession } = deps
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

  return { messages, toolResults, pause, resume, forceAnswer, cancel }
}
