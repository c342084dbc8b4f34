import * as TrajectoryStatus from "@hai-effect/core/TrajectoryStatus"
import * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import * as Scenario from "../Scenario.js"
import * as Deadlines from "./deadlines.js"
import type { Reply } from "./reply.js"
import { detail, empty, json, notFound, page } from "./reply.js"
import { compile } from "./validation.js"

// =============================================================================
// Models
// =============================================================================

/** @internal */
export type Status =
  | "queued"
  | "pending"
  | "running"
  | "paused"
  | "idle"
  | "awaiting_tool_results"
  | "completed"
  | "failed"
  | "timed_out"
  | "interrupted"

/** @internal */
export const TERMINAL: ReadonlySet<Status> = TrajectoryStatus.terminal
/** @internal */
export const ACTIVE: ReadonlySet<Status> = new Set(["pending", "running", "paused", "awaiting_tool_results"])
/** @internal */
export const isSettled = (status: Status): boolean => TrajectoryStatus.isSettled(status)

/** @internal */
export interface WireEvent {
  readonly timestamp: string
  readonly type: string
  readonly data: unknown
}

/** @internal */
export interface PendingCall {
  readonly tool_name: string
  readonly args: Record<string, unknown>
  readonly id: string
}

/** @internal */
export interface SessionState {
  readonly status: Status
  /**
   * The session's event log. Append-only and shared by every version of the state (copying it on
   * each append made the garbage grow with the square of a session's length): read it through
   * the state you hold only right away, and slice it for anything kept.
   */
  readonly events: ReadonlyArray<WireEvent>
  readonly startedAt: number | null
  readonly finishedAt: number | null
  readonly lastActivityAt: number
  readonly error: string | null
  readonly errorCode: Scenario.ErrorCode | null
  readonly outcome: Scenario.Outcome | null
  readonly answer: string | Record<string, unknown> | null
  readonly steps: number
  readonly pausedFrom: Status | null
  readonly forceAnswer: boolean
  readonly inbox: ReadonlyArray<string>
  readonly pendingCalls: ReadonlyArray<PendingCall>
  readonly answeredCalls: ReadonlyArray<string>
}

/** @internal */
export interface SessionRecord {
  readonly id: string
  readonly createdAt: number
  readonly request: Record<string, unknown>
  readonly agentName: string
  readonly answerFormat: Record<string, unknown> | undefined
  readonly tools: ReadonlyArray<Scenario.ToolDefinition>
  readonly maxSteps: number | null
  readonly maxTimeS: number | null
  readonly idleTimeoutS: number | null
  readonly firstMessage: Record<string, unknown> | null
  readonly scheduleId: string | null
  /**
   * The current state. Only `modify` replaces it (one JS thread: each update is atomic) and then
   * calls every listener with the new state: a waiter is a callback, not a stream subscription.
   */
  state: SessionState
  readonly listeners: Set<(s: SessionState) => void>
  runner: Fiber.RuntimeFiber<void> | undefined
  readonly extras: {
    shareUrl: string | null
    files: Map<string, { content: Uint8Array; modifiedAt: number }>
    feedback: Array<unknown>
  }
}

/** A state as it was when seen, with the length the shared log had then. */
interface Seen {
  readonly state: SessionState
  readonly length: number
}

/** @internal */
export interface Deps {
  readonly scope: Scope.Scope
  readonly concurrency: number
  readonly region: "eu" | "us"
  readonly tick: Duration.Duration
  readonly cancelDelay: Duration.Duration
  readonly nextId: () => string
  readonly scenarioFor: (agentName: string) => Effect.Effect<Scenario.Scenario>
  readonly resolveAgent: (name: string) => Effect.Effect<Record<string, unknown> | undefined>
  readonly onStatusChange: (record: SessionRecord, previous: Status, next: Status) => Effect.Effect<void>
  readonly earlyChanges: () => Effect.Effect<boolean>
}

const iso = (ms: number) => new Date(ms).toISOString()

const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  u !== null && typeof u === "object" && !Array.isArray(u)

const canonical = (u: unknown): string => {
  if (Array.isArray(u)) return `[${u.map(canonical).join(",")}]`
  if (isPlainObject(u)) {
    return `{${Object.keys(u).sort().map((k) => `${JSON.stringify(k)}:${canonical(u[k])}`).join(",")}}`
  }
  return JSON.stringify(u) ?? "null"
}

const messagesOf = (messages: unknown): Array<Record<string, unknown>> => {
  if (messages === undefined || messages === null) return []
  if (typeof messages === "string") return [{ type: "user_message", message: messages }]
  if (Array.isArray(messages)) return messages as Array<Record<string, unknown>>
  return [messages as Record<string, unknown>]
}

// =============================================================================
// Overrides
// =============================================================================

const parsePath = (path: string): Array<{ key: string; select?: [string, string] }> =>
  path.split(".").map((part) => {
    const m = /^([^[\]]+)\[([^=\]]+)=([^\]]*)\]$/.exec(part)
    return m ? { key: m[1], select: [m[2], m[3]] as [string, string] } : { key: part }
  })

/** @internal */
export const applyOverrides = (target: Record<string, any>, overrides: Record<string, unknown>) => {
  for (const [path, value] of Object.entries(overrides)) {
    const parts = parsePath(path)
    let cur: any = target
    parts.forEach((part, i) => {
      const last = i === parts.length - 1
      if (cur === null || typeof cur !== "object") return
      if (part.select !== undefined) {
        const list = Array.isArray(cur[part.key]) ? cur[part.key] : (cur[part.key] = [])
        let item = list.find((x: any) => isPlainObject(x) && String(x[part.select![0]]) === part.select![1])
        if (item === undefined) {
          item = { [part.select[0]]: part.select[1] }
          list.push(item)
        }
        if (last) Object.assign(item, value as object)
        cur = item
      } else if (last) {
        cur[part.key] = value
      } else {
        if (!isPlainObject(cur[part.key])) cur[part.key] = {}
        cur = cur[part.key]
      }
    })
  }
  return target
}

// =============================================================================
// Service
// =============================================================================

/** @internal */
export const make = (deps: Deps) =>
  Effect.gen(function*() {
    const records = new Map<string, SessionRecord>()
    const idempotency = new Map<string, { bodyKey: string; id: string; at: number }>()
    const lock = yield* Effect.makeSemaphore(1)
    const created = yield* Ref.make(0)

    const all = Effect.sync(() => Array.from(records.values()))

    const modify = <A>(
      record: SessionRecord,
      f: (s: SessionState, now: number) => readonly [A, SessionState]
    ): Effect.Effect<A> =>
      Effect.uninterruptible(Clock.clockWith((clock) => {
        const prev = record.state
        const [a, next] = f(prev, clock.unsafeCurrentTimeMillis())
        if (next !== prev) {
          record.state = next
          for (const listener of record.listeners) listener(next)
        }
        return prev.status === next.status
          ? Effect.succeed(a)
          : Effect.as(onStatus(record, prev.status, next.status), a)
      }))

    const update = (record: SessionRecord, f: (s: SessionState, now: number) => SessionState) =>
      modify(record, (s, now) => [undefined, f(s, now)] as const)

    // Pushes onto the shared log: only call it on a state `modify` is about to commit.
    const append = (
      s: SessionState,
      now: number,
      events: ReadonlyArray<{ readonly type: string; readonly data: unknown }>
    ): SessionState => {
      const timestamp = iso(now)
      const log = s.events as Array<WireEvent>
      for (const e of events) log.push({ timestamp, type: e.type, data: e.data })
      return { ...s, lastActivityAt: now }
    }

    const metrics = (s: SessionState) => ({
      steps: s.steps,
      cost_per_model: [{
        name: "holo3-1-35b",
        input_tokens: s.steps * 1200,
        output_tokens: s.steps * 80,
        reasoning_tokens: s.steps * 40,
        total_cost: s.steps * 0.001
      }],
      total_cost: s.steps * 0.001
    })

    // Sessions holding a slot (kept up to date on each status change, never counted by a scan).
    let active = 0
    let queue: ReadonlyArray<SessionRecord> = []

    const onStatus = (record: SessionRecord, prev: Status, next: Status) =>
      Effect.suspend(() => {
        const delta = (ACTIVE.has(next) ? 1 : 0) - (ACTIVE.has(prev) ? 1 : 0)
        active += delta
        if (prev === "queued") queue = queue.filter((r) => r !== record)
        const notify = deps.onStatusChange(record, prev, next)
        return delta < 0
          ? Effect.zipRight(notify, Effect.suspend(() => queue.length > 0 ? dispatch : Effect.void))
          : notify
      })

    const countActive = Effect.sync(() => active)

    /** The first state (the current one, or a later one) that satisfies `pred`. */
    const waitFor = (record: SessionRecord, pred: (s: SessionState) => boolean): Effect.Effect<SessionState> =>
      Effect.suspend(() =>
        pred(record.state) ? Effect.succeed(record.state) : Effect.async<SessionState>((resume) => {
          if (pred(record.state)) return resume(Effect.succeed(record.state))
          const listener = (s: SessionState) => {
            if (!pred(s)) return
            record.listeners.delete(listener)
            resume(Effect.succeed(s))
          }
          record.listeners.add(listener)
          return Effect.sync(() => record.listeners.delete(listener))
        })
      )

    const waitUntil = (record: SessionRecord, pred: (s: SessionState) => boolean) =>
      Effect.asVoid(waitFor(record, pred))

    const seen = (state: SessionState): Seen => ({ state, length: state.events.length })

    const deadlines = Deadlines.make(deps.scope)

    /**
     * The first state satisfying `pred` within `millis` (`undefined` on timeout), with the length
     * the log had then: a listener and a deadline, no fiber of its own. Both are registered before
     * the timer is armed (an interruption before the fiber suspends leaves them to the next
     * matching state or to the deadline, which then do nothing).
     */
    const waitWithin = (
      record: SessionRecord,
      pred: (s: SessionState) => boolean,
      millis: number
    ): Effect.Effect<Seen | undefined> =>
      Clock.clockWith((clock) => {
        if (pred(record.state)) return Effect.succeed(seen(record.state))
        const at = clock.unsafeCurrentTimeMillis() + millis
        const timeouts = deadlines(clock)
        let outcome: Seen | undefined | null = null
        let resume: ((outcome: Seen | undefined) => void) | undefined
        const settle = (o: Seen | undefined) => {
          if (outcome !== null) return
          outcome = o
          record.listeners.delete(listener)
          cancel()
          resume?.(o)
        }
        const listener = (s: SessionState) => {
          if (pred(s)) settle(seen(s))
        }
        const cancel = timeouts.unsafeAdd(at, () => settle(undefined))
        record.listeners.add(listener)
        return Effect.zipRight(
          timeouts.ensureTimer(at),
          Effect.async<Seen | undefined>((cb) => {
            if (outcome !== null) return cb(Effect.succeed(outcome))
            resume = (o) => cb(Effect.succeed(o))
            return Effect.sync(() => settle(undefined))
          })
        )
      })

    const notPaused = (s: SessionState) => s.status !== "paused"
    const gate = (record: SessionRecord) =>
      Effect.suspend(() => notPaused(record.state) ? Effect.void : waitUntil(record, notPaused))

    // ---------------------------------------------------------------------------
    // The agent
    // ---------------------------------------------------------------------------

    const finish = (
      record: SessionRecord,
      status: Status,
      fields: Partial<SessionState>,
      events: ReadonlyArray<{ type: string; data: unknown }>
    ) =>
      update(record, (s, now) =>
        TERMINAL.has(s.status)
          ? s
          : append({ ...s, ...fields, status, finishedAt: now, pendingCalls: [], pausedFrom: null }, now, events))

    const fail = (record: SessionRecord, errorCode: Scenario.ErrorCode, error: string) =>
      finish(record, "failed", { error, errorCode }, [{ type: "AgentErrorEvent", data: { error, trace: "" } }, {
        type: "AgentCompletionEvent",
        data: { reason: "stopped" }
      }])

    const answerTask = (messages: ReadonlyArray<string>) => messages[messages.length - 1] ?? "the task"

    const doAnswer = (
      record: SessionRecord,
      messages: ReadonlyArray<string>,
      value: unknown,
      outcome: Scenario.Outcome | undefined
    ): Effect.Effect<boolean> =>
      Effect.gen(function*() {
        let answer = value
        if (answer === undefined) {
          answer = record.answerFormat !== undefined
            ? Scenario.example(record.answerFormat)
            : `Done: ${answerTask(messages)}`
        }
        if (record.answerFormat !== undefined) {
          let candidate = answer
          if (typeof candidate === "string") {
            try {
              candidate = JSON.parse(candidate)
            } catch {
              // keep the string
            }
          }
          let ok = false
          let why = ""
          try {
            const fn = compile(`answer:${canonical(record.answerFormat)}`, record.answerFormat)
            ok = fn(candidate) === true
            why = (fn.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message ?? ""}`).join("; ")
          } catch (e) {
            why = `invalid answer_format: ${String(e)}`
          }
          if (!ok) {
            yield* fail(record, "answer_validation", `The answer does not match answer_format: ${why}`)
            return false
          }
        }
        const wire = typeof answer === "string" || isPlainObject(answer) ? answer : JSON.stringify(answer)
        const out = outcome ?? "success"
        yield* update(record, (s, now) => {
          const next = { ...s, answer: wire, outcome: out, forceAnswer: false }
          return append(next, now, [
            { type: "AgentEvent", data: { kind: "answer_event", answer: wire, outcome: out } },
            {
              type: "MetricsUpdateEvent",
              data: { metrics: metrics(next) }
            }
          ])
        })
        return true
      })

    type TurnEnd = "answered" | "idle" | "ended"

    const runTurn = (record: SessionRecord, turn: number, messages: ReadonlyArray<string>) =>
      Effect.gen(function*() {
        const scenario = yield* deps.scenarioFor(record.agentName)
        const context: Scenario.Context = {
          sessionId: record.id,
          agent: record.agentName,
          request: record.request,
          answerFormat: record.answerFormat,
          tools: record.tools,
          turn,
          messages
        }
        const steps = typeof scenario === "function" ? scenario(context) : scenario
        let callCounter = 0
        for (const step of steps) {
          yield* gate(record)
          const s = record.state
          if (TERMINAL.has(s.status)) return "ended" as TurnEnd
          if (s.forceAnswer) {
            return (yield* doAnswer(record, messages, undefined, "partial")) ? "answered" as TurnEnd : "ended"
          }
          switch (step._tag) {
            case "Emit":
              yield* update(record, (s, now) => append(s, now, [{ type: step.type, data: step.data }]))
              break
            case "Think": {
              if (record.maxSteps !== null && s.steps >= record.maxSteps) {
                yield* fail(record, "no_answer", `The agent reached max_steps (${record.maxSteps}) without an answer`)
                return "ended"
              }
              yield* Effect.sleep(step.duration === "tick" ? deps.tick : step.duration)
              yield* gate(record)
              yield* update(record, (s, now) => {
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
              break
            }
            case "CallTools": {
              const calls: Array<PendingCall> = step.calls.map((c) => {
                const def = record.tools.find((t) => t.name === c.name)
                const args = c.args !== undefined
                  ? c.args
                  : def?.input_schema !== undefined
                  ? Scenario.example(def.input_schema)
                  : {}
                callCounter++
                return {
                  tool_name: c.name,
                  args: isPlainObject(args) ? args : { value: args },
                  id: `call_${turn}_${callCounter}_${deps.nextId().slice(0, 8)}`
                }
              })
              yield* update(record, (s, now) => {
                const pending = [...s.pendingCalls, ...calls]
                const base = s.status === "paused"
                  ? { ...s, pendingCalls: pending, pausedFrom: "awaiting_tool_results" as Status }
                  : { ...s, pendingCalls: pending, status: "awaiting_tool_results" as Status }
                return append(base, now, [{
                  type: "AgentEvent",
                  data: {
                    kind: "policy_event",
                    content: `Calling ${calls.map((c) => c.tool_name).join(", ")}`,
                    tool_reqs: calls
                  }
                }, {
                  type: "ActiveStateChangeEvent",
                  data: { state: "awaiting_tool_results", pending_tool_calls: pending }
                }])
              })
              yield* waitUntil(record, (s) => s.pendingCalls.length === 0 || TERMINAL.has(s.status))
              break
            }
            case "Answer":
              return (yield* doAnswer(record, messages, step.answer, step.outcome)) ? "answered" : "ended"
            case "Fail":
              yield* fail(record, step.errorCode, step.error)
              return "ended"
            case "Idle":
              return "idle"
            case "Hang":
              yield* waitUntil(record, (s) => s.forceAnswer || TERMINAL.has(s.status))
              return (yield* doAnswer(record, messages, undefined, "partial")) ? "answered" : "ended"
          }
        }
        return (yield* doAnswer(record, messages, undefined, undefined)) ? "answered" as TurnEnd : "ended"
      })

    const takeInbox = (record: SessionRecord) =>
      modify(record, (s, now) => {
        const messages = s.inbox
        return [
          messages,
          append(
            { ...s, inbox: [] },
            now,
            messages.map((m) => ({
              type: "AgentEvent",
              data: { kind: "message_event", caller_id: "user", content: [m] }
            }))
          )
        ] as const
      })

    const goesIdle = (record: SessionRecord) => record.idleTimeoutS !== null || deps.region === "eu"

    const agentLoop = (record: SessionRecord) =>
      Effect.gen(function*() {
        yield* Effect.sleep(deps.tick)
        yield* gate(record)
        yield* update(record, (s, now) =>
          append({ ...s, status: s.status === "pending" ? "running" : s.status, startedAt: now }, now, [
            { type: "AgentStartedEvent", data: {} },
            { type: "LiveViewUrlEvent", data: { live_view_url: `https://live.emulator.local/sessions/${record.id}` } },
            { type: "AgentRunStatusChangeEvent", data: { status: "running" } },
            { type: "ActiveStateChangeEvent", data: { state: "running" } }
          ]))
        let turn = 0
        while (true) {
          const messages = yield* takeInbox(record)
          const end = yield* runTurn(record, turn, messages)
          turn++
          if (end === "ended") {
            return
          }
          const s = record.state
          if (TERMINAL.has(s.status)) {
            return
          }
          if (s.inbox.length > 0) {
            continue
          }
          if (!goesIdle(record) && end === "answered") {
            yield* finish(record, "completed", {}, [{ type: "AgentCompletionEvent", data: { reason: "finished" } }])
            return
          }
          yield* update(record, (s, now) =>
            s.inbox.length > 0 || TERMINAL.has(s.status)
              ? s
              : append({ ...s, status: "idle" }, now, [{ type: "ActiveStateChangeEvent", data: { state: "idle" } }]))
          const wake = waitUntil(record, (s) => s.inbox.length > 0 || TERMINAL.has(s.status))
          const woke = record.idleTimeoutS === null
            ? yield* Effect.as(wake, true)
            : yield* Effect.map(Effect.timeoutOption(wake, Duration.seconds(record.idleTimeoutS)), Option.isSome)
          if (!woke) {
            yield* finish(record, "completed", {}, [{ type: "AgentCompletionEvent", data: { reason: "finished" } }])
            return
          }
          const after = record.state
          if (TERMINAL.has(after.status)) {
            return
          }
          yield* update(record, (s, now) =>
            s.status !== "idle"
              ? s
              : append({ ...s, status: "running" }, now, [{
                type: "ActiveStateChangeEvent",
                data: { state: "running" }
              }]))
        }
      })

    const runAgent = (record: SessionRecord): Effect.Effect<void> => {
      const loop = agentLoop(record)
      const bounded = record.maxTimeS === null ? loop : Effect.gen(function*() {
        const result = yield* Effect.timeoutOption(loop, Duration.millis(Math.round(record.maxTimeS! * 1000)))
        if (Option.isNone(result)) {
          const s = record.state
          if (s.status === "idle") {
            yield* finish(record, "completed", {}, [{ type: "AgentCompletionEvent", data: { reason: "finished" } }])
          } else {
            yield* finish(record, "timed_out", {
              error: `The session exceeded max_time_s (${record.maxTimeS} s)`,
              errorCode: "timeout"
            }, [{ type: "AgentCompletionEvent", data: { reason: "timed_out" } }])
          }
        }
      })
      return bounded.pipe(
        Effect.catchAllDefect((defect) => fail(record, "internal", `Emulated agent crashed: ${String(defect)}`))
      )
    }

    const start = (record: SessionRecord) =>
      Effect.gen(function*() {
        yield* update(record, (s, now) =>
          append({ ...s, status: "pending" }, now, [{
            type: "RequestStartDispatchedEvent",
            data: { status: "dispatched" }
          }]))
        const fiber = yield* Effect.forkIn(Effect.interruptible(runAgent(record)), deps.scope)
        record.runner = fiber
      })

    const dispatch: Effect.Effect<void> = lock.withPermits(1)(Effect.gen(function*() {
      while (true) {
        if (queue.length === 0 || active >= deps.concurrency) return
        yield* start(queue[0])
      }
    }))

    // ---------------------------------------------------------------------------
    // Wire shapes
    // ---------------------------------------------------------------------------

    const toSession = (r: SessionRecord, s: SessionState) => ({
      id: r.id,
      request: r.request,
      status: toStatus(s),
      agent_view_url: s.startedAt === null ? null : `https://live.emulator.local/sessions/${r.id}`,
      latest_answer: s.answer,
      created_at: iso(r.createdAt),
      started_at: s.startedAt === null ? null : iso(s.startedAt),
      finished_at: s.finishedAt === null ? null : iso(s.finishedAt)
    })

    const toSummary = (r: SessionRecord, s: SessionState) => ({
      id: r.id,
      agent: r.agentName,
      status: s.status,
      agent_view_url: s.startedAt === null ? null : `https://live.emulator.local/sessions/${r.id}`,
      first_message: r.firstMessage,
      created_at: iso(r.createdAt),
      started_at: s.startedAt === null ? null : iso(s.startedAt),
      finished_at: s.finishedAt === null ? null : iso(s.finishedAt),
      last_activity_at: iso(s.lastActivityAt),
      anonymized_at: null
    })

    function toStatus(s: SessionState) {
      return {
        status: s.status,
        error: s.error,
        error_code: s.errorCode,
        outcome: s.outcome,
        steps: s.steps,
        usage_per_model: s.steps === 0 ? [] : [{
          name: "holo3-1-35b",
          input_tokens: s.steps * 1200,
          output_tokens: s.steps * 80,
          reasoning_tokens: s.steps * 40
        }],
        subagent_session_ids: []
      }
    }

    // `end`: the log's length when `s` was current (the log is shared with the later states).
    const changesOf = (
      s: SessionState,
      from: number,
      limit: number | null,
      includeEvents: boolean,
      end = s.events.length
    ) => {
      const start = Math.max(0, from)
      const slice = s.events.slice(start, limit === null ? end : Math.min(end, start + limit))
      return {
        status: s.status,
        started_at: s.startedAt === null ? null : iso(s.startedAt),
        finished_at: s.finishedAt === null ? null : iso(s.finishedAt),
        error: s.error,
        error_code: s.errorCode,
        new_events: includeEvents ? slice : [],
        answer: s.answer,
        outcome: s.outcome,
        metrics: metrics(s)
      }
    }

    const find = (id: string) => Effect.sync(() => records.get(id))

    const withSession = (id: string, f: (r: SessionRecord) => Effect.Effect<Reply>): Effect.Effect<Reply> =>
      Effect.flatMap(find(id), (r) => r === undefined ? Effect.succeed(notFound("Session")) : f(r))

    // ---------------------------------------------------------------------------
    // Operations
    // ---------------------------------------------------------------------------

    const create = (
      body: Record<string, any>,
      idempotencyKey: string | undefined,
      scheduleId?: string
    ): Effect.Effect<Reply> =>
      lock.withPermits(1)(Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const bodyKey = canonical(body)
        if (idempotencyKey !== undefined) {
          const seen = idempotency.get(idempotencyKey)
          if (seen !== undefined && now - seen.at < 24 * 3600 * 1000) {
            if (seen.bodyKey !== bodyKey) {
              return json(422, {
                detail: [{
                  loc: ["header", "Idempotency-Key"],
                  msg: "Idempotency-Key was already used with a different request body",
                  type: "idempotency_key_reused",
                  input: idempotencyKey
                }]
              })
            }
            const existing = yield* find(seen.id)
            if (existing !== undefined) {
              return json(201, toSession(existing, existing.state))
            }
          }
        }
        let agent: Record<string, any>
        if (typeof body.agent === "string") {
          const found = yield* deps.resolveAgent(body.agent)
          if (found === undefined) return notFound(`Agent '${body.agent}'`)
          agent = structuredClone(found)
        } else {
          agent = structuredClone(body.agent)
        }
        const resolved: Record<string, any> = applyOverrides({ ...structuredClone(body), agent }, body.overrides ?? {})
        const tools: Array<Scenario.ToolDefinition> = Array.isArray(resolved.agent?.tools) ? resolved.agent.tools : []
        const answerFormat = isPlainObject(resolved.agent?.answer_format) ? resolved.agent.answer_format : undefined
        const active = yield* countActive
        const overQuota = active >= deps.concurrency
        if (overQuota && body.queue === false) {
          return detail(429, "Concurrent session limit reached", { "retry-after": "5" })
        }
        const messages = messagesOf(body.messages)
        const id = deps.nextId()
        const initial: SessionState = {
          status: "queued",
          events: [{ timestamp: iso(now), type: "RequestStartEvent", data: {} }],
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
          inbox: messages.map((m) => String(m.message ?? "")),
          pendingCalls: [],
          answeredCalls: []
        }
        const record: SessionRecord = {
          id,
          createdAt: now,
          request: body,
          agentName: typeof body.agent === "string" ? body.agent : String(body.agent?.name ?? "inline"),
          answerFormat,
          tools,
          maxSteps: typeof resolved.max_steps === "number" ? resolved.max_steps : null,
          maxTimeS: typeof resolved.max_time_s === "number" ? resolved.max_time_s : null,
          idleTimeoutS: typeof resolved.idle_timeout_s === "number" ? resolved.idle_timeout_s : null,
          firstMessage: messages[0] ?? null,
          scheduleId: scheduleId ?? null,
          state: initial,
          listeners: new Set(),
          runner: undefined,
          extras: { shareUrl: null, files: new Map(), feedback: [] }
        }
        records.set(id, record)
        yield* Ref.update(created, (n) => n + 1)
        if (idempotencyKey !== undefined) idempotency.set(idempotencyKey, { bodyKey, id, at: now })
        yield* deps.onStatusChange(record, "queued", "queued")
        if (overQuota) queue = [...queue, record]
        else yield* start(record)
        return json(201, toSession(record, record.state))
      }))

    const get = (id: string) => withSession(id, (r) => Effect.sync(() => json(200, toSession(r, r.state))))

    const status = (id: string) => withSession(id, (r) => Effect.sync(() => json(200, toStatus(r.state))))

    const changes = (id: string, q: Record<string, any>) =>
      withSession(id, (r) =>
        Effect.gen(function*() {
          const from: number = q.from_index ?? 0
          const limit: number | null = q.limit ?? null
          const include: boolean = q.include_events ?? true
          const wait: number = q.wait_for_seconds ?? 0
          const ready = (s: SessionState) => s.events.length > Math.max(0, from)
          const s = r.state
          if (ready(s)) return json(200, changesOf(s, from, limit, include))
          if (TERMINAL.has(s.status) || wait <= 0) return empty(204)
          if (yield* deps.earlyChanges()) return empty(204)
          const next = yield* Effect.interruptible(waitWithin(r, ready, wait * 1000))
          return next === undefined ? empty(204) : json(200, changesOf(next.state, from, limit, include, next.length))
        }))

    const events = (id: string, q: Record<string, any>) =>
      withSession(id, (r) =>
        Effect.sync(() => {
          const s = r.state
          let items = s.events.map((e, i) => ({ e, i }))
          if (typeof q.type === "string") items = items.filter(({ e }) => e.type === q.type)
          const sort: Array<string> = q.sort ?? []
          if (sort[0] === "-timestamp") items = items.slice().reverse()
          return json(200, page(items.map(({ e }) => e), q.page ?? 1, q.size ?? 50))
        }))

    const list = (q: Record<string, any>) =>
      Effect.gen(function*() {
        const rs = yield* all
        const rows: Array<{ r: SessionRecord; s: SessionState }> = []
        for (const r of rs) rows.push({ r, s: r.state })
        const time = (v: unknown) => (typeof v === "string" ? Date.parse(v) : NaN)
        const filtered = rows.filter(({ r, s }) => {
          if (Array.isArray(q.status) && !q.status.includes(s.status)) return false
          if (Array.isArray(q.agent) && !q.agent.includes(r.agentName)) return false
          if (typeof q.group_id === "string" && r.request.group_id !== q.group_id) return false
          if (typeof q.parent_session_id === "string" && r.request.parent_session_id !== q.parent_session_id) {
            return false
          }
          if (typeof q.schedule_id === "string" && r.scheduleId !== q.schedule_id) return false
          if (typeof q.search === "string") {
            const hay = `${r.agentName} ${String(r.firstMessage?.message ?? "")}`.toLowerCase()
            if (!hay.includes(q.search.toLowerCase())) return false
          }
          if (q.created_before !== undefined && !(r.createdAt < time(q.created_before))) return false
          if (q.created_after !== undefined && !(r.createdAt > time(q.created_after))) return false
          if (q.finished_before !== undefined && !(s.finishedAt !== null && s.finishedAt < time(q.finished_before))) {
            return false
          }
          if (q.finished_after !== undefined && !(s.finishedAt !== null && s.finishedAt > time(q.finished_after))) {
            return false
          }
          return true
        })
        const asc = (q.sort ?? ["-created_at"])[0] === "created_at"
        filtered.sort((a, b) => asc ? a.r.createdAt - b.r.createdAt : b.r.createdAt - a.r.createdAt)
        return json(200, page(filtered.map(({ r, s }) => toSummary(r, s)), q.page ?? 1, q.size ?? 10))
      })

    const quota = Effect.map(countActive, (active) =>
      json(200, {
        scope: "org",
        limit: deps.concurrency,
        active,
        available: Math.max(0, deps.concurrency - active)
      }))

    const ended = (what: string) => detail(409, `Session has already ended; cannot ${what}`)

    const messages = (id: string, body: Record<string, any>) =>
      withSession(id, (r) =>
        Effect.gen(function*() {
          const batch: Array<Record<string, any>> = body.type === "batch" ? body.messages : [body]
          return yield* modify(r, (s, now) => {
            if (TERMINAL.has(s.status)) return [ended("send messages"), s] as const
            const next: SessionState = {
              ...s,
              inbox: [...s.inbox, ...batch.map((m) => String(m.message))],
              lastActivityAt: now
            }
            return [
              empty(202),
              s.status === "idle"
                ? append({ ...next, status: "running" }, now, [{
                  type: "ActiveStateChangeEvent",
                  data: { state: "running" }
                }])
                : next
            ] as const
          })
        }))

    const callKey = (req: Record<string, any>) =>
      typeof req?.id === "string" ? `id:${req.id}` : `na:${String(req?.tool_name)}:${canonical(req?.args ?? {})}`

    const toolResults = (id: string, body: Record<string, any>) =>
      withSession(id, (r) =>
        modify(r, (s, now) => {
          if (isSettled(s.status)) return [ended("accept tool results"), s] as const
          const results: Array<Record<string, any>> = body.type === "batch" ? body.results : [body]
          let pending = s.pendingCalls
          const answered = [...s.answeredCalls]
          const events: Array<{ type: string; data: unknown }> = []
          for (const [i, result] of results.entries()) {
            const key = callKey(result.tool_req)
            const idx = pending.findIndex((c) =>
              key.startsWith("id:") ? `id:${c.id}` === key : callKey({ tool_name: c.tool_name, args: c.args }) === key
            )
            if (idx === -1) {
              if (key.startsWith("id:") && answered.includes(key.slice(3))) continue
              return [
                json(422, {
                  detail: [{
                    loc: body.type === "batch" ? ["body", "results", i, "tool_req", "id"] : ["body", "tool_req", "id"],
                    msg: "Unknown tool call id",
                    type: "value_error",
                    input: result.tool_req?.id ?? null
                  }]
                }),
                s
              ] as const
            }
            const call = pending[idx]
            pending = pending.filter((_, j) => j !== idx)
            answered.push(call.id)
            events.push({
              type: "AgentEvent",
              data: result.kind === "error_event"
                ? { kind: "error_event", error: result.error, origin: result.origin ?? "client", tool_req: call }
                : { kind: "tool_result", tool_req: call, result: result.result ?? null, truncated: false }
            })
          }
          if (events.length === 0) return [empty(202), s] as const
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
          return [empty(202), append(next, now, events)] as const
        }))

    const pause = (id: string) =>
      withSession(id, (r) =>
        modify(r, (s, now) => {
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

    const resume = (id: string) =>
      withSession(id, (r) =>
        modify(r, (s, now) => {
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

    const forceAnswer = (id: string) =>
      withSession(id, (r) =>
        modify(r, (s) => {
          if (TERMINAL.has(s.status)) return [ended("force an answer"), s] as const
          if (s.status === "idle") return [empty(202), s] as const
          return [empty(202), { ...s, forceAnswer: true }] as const
        }))

    const interrupt = (r: SessionRecord) =>
      Effect.gen(function*() {
        yield* Effect.sleep(deps.cancelDelay)
        if (r.runner !== undefined) yield* Fiber.interrupt(r.runner)
        yield* finish(r, "interrupted", {}, [{ type: "AgentCompletionEvent", data: { reason: "stopped" } }])
      })

    const cancel = (id: string) =>
      withSession(id, (r) =>
        Effect.gen(function*() {
          if (!TERMINAL.has(r.state.status)) yield* Effect.forkIn(Effect.interruptible(interrupt(r)), deps.scope)
          return empty(204)
        }))

    return {
      records,
      created,
      all,
      find,
      withSession,
      create,
      get,
      status,
      changes,
      events,
      list,
      quota,
      messages,
      toolResults,
      pause,
      resume,
      forceAnswer,
      cancel,
      toSession,
      toStatus
    }
  })

/** @internal */
export type Sessions = Effect.Effect.Success<ReturnType<typeof make>>
