/**
 * A session's data: the statuses, the record kept per session and the state that changes as it
 * runs. Behaviour lives in the modules beside this one.
 *
 * @internal
 */
import type * as Fiber from "effect/Fiber"
import type * as Scenario from "../../Scenario.js"

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
export const TERMINAL: ReadonlySet<Status> = new Set(["completed", "failed", "timed_out", "interrupted"])
/** Statuses that hold one of the org's concurrency slots. @internal */
export const ACTIVE: ReadonlySet<Status> = new Set(["pending", "running", "paused", "awaiting_tool_results"])
/** @internal */
export const isSettled = (status: Status) => TERMINAL.has(status) || status === "idle"

/** @internal */
export interface WireEvent {
  readonly timestamp: string
  readonly type: string
  readonly data: unknown
}

/** An event before the Clock stamps it. @internal */
export interface NewEvent {
  readonly type: string
  readonly data: unknown
}

/** @internal */
export interface PendingCall {
  readonly tool_name: string
  readonly args: Record<string, unknown>
  readonly id: string
}

/** A user message waiting for the agent's next step. @internal */
export interface Inbound {
  readonly message: string
  readonly files: ReadonlyArray<FileContent>
}

/** `FileContent` of the spec (a file attached to a user message). @internal */
export interface FileContent {
  readonly type?: "base64" | "url"
  readonly source: string
  readonly name: string
  readonly media_type?: string | null
  readonly size_bytes?: number | null
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
  readonly inbox: ReadonlyArray<Inbound>
  readonly pendingCalls: ReadonlyArray<PendingCall>
  readonly answeredCalls: ReadonlyArray<string>
}

/** A stored object a session owns (`/sessions/{id}/resources/{bucket}/{key}`). @internal */
export interface Resource {
  readonly content: Uint8Array
  readonly mediaType: string
}

/** @internal */
export interface SessionRecord {
  readonly id: string
  readonly createdAt: number
  readonly request: Record<string, unknown>
  readonly agentName: string
  readonly answerFormat: Record<string, unknown> | undefined
  readonly tools: ReadonlyArray<Scenario.ToolDefinition>
  readonly environments: ReadonlyArray<Record<string, unknown>>
  readonly maxSteps: number | null
  readonly maxTimeS: number | null
  readonly idleTimeoutS: number | null
  readonly firstMessage: Record<string, unknown> | null
  readonly scheduleId: string | null
  /** Set when the session plays back a recording instead of a script. */
  readonly replay: Scenario.Replay | undefined
  /**
   * The current state. Only `Store.modify` replaces it (one JS thread: each update is atomic) and
   * then calls every listener with the new state: a waiter is a callback, not a subscription.
   */
  state: SessionState
  readonly listeners: Set<(s: SessionState) => void>
  runner: Fiber.RuntimeFiber<void> | undefined
  readonly extras: {
    shareUrl: string | null
    readonly files: Map<string, { content: Uint8Array; modifiedAt: number }>
    readonly feedback: Array<unknown>
    /** Keyed `bucket/key`. */
    readonly resources: Map<string, Resource>
    /** A replayed session's recorded tool results by call id: the client's must have their shape. */
    readonly recordedResults: Map<string, unknown>
  }
}

/** @internal */
export const iso = (ms: number) => new Date(ms).toISOString()

/** @internal */
export const isPlainObject = (u: unknown): u is Record<string, unknown> =>
  u !== null && typeof u === "object" && !Array.isArray(u)

/** A key equal for equal JSON values whatever their key order. @internal */
export const canonical = (u: unknown): string => {
  if (Array.isArray(u)) return `[${u.map(canonical).join(",")}]`
  if (isPlainObject(u)) {
    return `{${Object.keys(u).sort().map((k) => `${JSON.stringify(k)}:${canonical(u[k])}`).join(",")}}`
  }
  return JSON.stringify(u) ?? "null"
}
