/**
 * What becomes of a call the agent makes to one of your tools. The toolkit's handler runs it (its
 * arguments decoded with the tool's `parameters` Schema, its result encoded with its `success`
 * Schema), and everything that can go wrong (an unknown tool, bad arguments, a failure, a defect,
 * an interruption) becomes an error the agent reads, never a failure of the session. The results
 * go back to the session in one batch, and a ledger in the {@link SessionStore} makes sure that no
 * call runs twice, even across a restart of the process (unless its tool is `idempotent`).
 *
 * `Session.run`, `Session.start` and `Session.attach` do all of this for you; these are the parts,
 * for a runtime of your own (a durable workflow running each call as an activity, say).
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { Tool, ToolCall, Toolkit } from "@hai-effect/core"
 *
 * const add = Tool.make("add", {
 *   description: "Add two numbers",
 *   parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
 *   handler: ({ a, b }) => Effect.succeed(a + b)
 * })
 *
 * const outcome = ToolCall.run(Toolkit.make(add), { tool_name: "add", args: { a: 2, b: 3 }, id: "call-1" })
 * // Effect<{ _tag: "Result", result: 5, ... }>
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Predicate from "effect/Predicate"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import { HaiAgents } from "./HaiAgents.js"
import type * as HaiError from "./HaiError.js"
import * as SessionStore from "./SessionStore.js"
import type * as Tool from "./Tool.js"
import type * as Toolkit from "./Toolkit.js"
import type * as Wire from "./Wire.js"

/**
 * A tool call as the agent announced it (in `pending_tool_calls`).
 *
 * @since 0.1.0
 * @category Models
 */
export type Call = SessionStore.PendingCall

/**
 * How a call went: its result, or the error the agent is told.
 *
 * @since 0.1.0
 * @category Models
 */
export type Outcome =
  | { readonly _tag: "Result"; readonly call: Call; readonly result: unknown }
  | { readonly _tag: "Error"; readonly call: Call; readonly error: string }

/**
 * An outcome as the service takes it in `POST /tool_results`.
 *
 * @since 0.1.0
 * @category Models
 */
export type WireResult = typeof Wire.ToolResultEvent.Encoded | typeof Wire.ErrorEvent.Encoded

/**
 * How a tool's failure reads to the agent: its tag or class name, then its message.
 *
 * @example
 * import { ToolCall } from "@hai-effect/core"
 *
 * ToolCall.errorText(new TypeError("bad input")) // "TypeError: bad input"
 *
 * @since 0.2.0
 * @category Formatting
 */
export const errorText = (error: unknown): string => {
  if (error !== null && typeof error === "object") {
    const e = error as { _tag?: unknown; name?: unknown; message?: unknown }
    const type = typeof e._tag === "string" ? e._tag : typeof e.name === "string" ? e.name : "Error"
    const message = typeof e.message === "string" && e.message.length > 0 ? e.message : JSON.stringify(error)
    return `${type}: ${message}`
  }
  return `Error: ${String(error)}`
}

const failed = (call: Call, error: string): Outcome => ({ _tag: "Error", call, error })

const failurePrefix = (name: string) => `Tool "${name}" failed: `

/**
 * Calls a handler so that whatever it does stays within the call: a synchronous throw becomes a
 * defect of the call (the type allows it: any function can throw), and a handler of a JavaScript
 * caller that returns a Promise rather than an Effect is awaited, its rejection a failure.
 */
const invoke = <R>(
  handler: (params: unknown) => Effect.Effect<unknown, unknown, R>,
  params: unknown
): Effect.Effect<unknown, unknown, R> =>
  Effect.suspend(() => {
    const returned: unknown = handler(params)
    if (Effect.isEffect(returned)) return returned as Effect.Effect<unknown, unknown, R>
    if (Predicate.isPromiseLike(returned)) return Effect.tryPromise({ try: () => returned, catch: (e) => e })
    return Effect.dieMessage(`the handler returned ${typeof returned}, not an Effect`)
  })

const unknownTool = (toolkit: Toolkit.Any, call: Call): Outcome =>
  failed(
    call,
    `UnknownTool: this client has no tool named "${call.tool_name}" (it has: ${
      [...toolkit.tools.keys()].join(", ") || "none"
    })`
  )

/**
 * Runs one call with the toolkit's handler. Never fails: whatever goes wrong is the outcome's error.
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { Tool, ToolCall, Toolkit } from "@hai-effect/core"
 *
 * const tools = Toolkit.make(Tool.make("echo", {
 *   description: "Echo",
 *   parameters: Schema.Struct({ text: Schema.String }),
 *   handler: ({ text }) => Effect.succeed(text)
 * }))
 *
 * const program = Effect.map(ToolCall.run(tools, { tool_name: "echo", args: { text: "hi" } }), ToolCall.toWire)
 *
 * @since 0.1.0
 * @category Running
 */
export const run = <T extends Toolkit.Any>(
  toolkit: T,
  call: Call
): Effect.Effect<Outcome, never, Toolkit.Requirements<T>> => {
  const tool: Tool.Unknown | undefined = toolkit.tools.get(call.tool_name)
  if (tool === undefined) return Effect.succeed(unknownTool(toolkit, call))
  // The one place where a tool's types are taken on trust: its handler gets what its own
  // `parameters` decoded, its input by construction, and needs what the toolkit's type says.
  const handler = tool.handler as (params: unknown) => Effect.Effect<unknown, unknown, Toolkit.Requirements<T>>
  // A tool's schemas need no services (`Tool.make` takes none).
  const parameters = Schema.make<unknown, unknown, never>(tool.parameters.ast)
  const success = tool.success && Schema.make<unknown, unknown, never>(tool.success.ast)
  return Schema.decodeUnknown(parameters)(call.args ?? {}).pipe(
    Effect.mapError((e) => `InvalidArguments: ${ParseResult.TreeFormatter.formatErrorSync(e)}`),
    Effect.flatMap((params) =>
      invoke(handler, params).pipe(
        Effect.sandbox,
        Effect.mapError((cause) =>
          `${failurePrefix(call.tool_name)}${
            Cause.isInterruptedOnly(cause)
              ? "Interrupted: the tool call was interrupted"
              : errorText(Cause.squash(cause))
          }`
        )
      )
    ),
    Effect.flatMap((value) =>
      success
        ? Schema.encode(success)(value).pipe(
          Effect.mapError((e) => `InvalidResult: ${ParseResult.TreeFormatter.formatErrorSync(e)}`)
        )
        : Effect.succeed(value)
    ),
    Effect.match({
      onFailure: (error) => failed(call, error),
      onSuccess: (result): Outcome => ({ _tag: "Result", call, result: result === undefined ? null : result })
    })
  )
}

/**
 * The outcome of a call found started in the ledger after a restart: it was not run again, since
 * it may have acted already, and the agent is told so.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const unknownOutcome = (call: Call): Outcome =>
  failed(
    call,
    "ToolInterrupted: the client stopped while this call ran; its outcome is unknown and it was not run again"
  )

const echo = (call: Call) => ({
  tool_name: call.tool_name,
  args: call.args ?? {},
  id: call.id ?? null
})

/**
 * The outcome as the service takes it: a `tool_result`, or an `error_event` of origin `client`.
 *
 * @since 0.1.0
 * @category Conversions
 */
export const toWire = (outcome: Outcome): WireResult =>
  outcome._tag === "Result"
    ? { kind: "tool_result", tool_req: echo(outcome.call), result: outcome.result }
    : { kind: "error_event", error: outcome.error, origin: "client", tool_req: echo(outcome.call) }

/**
 * How a post of results is retried: about 0.5 s doubling with jitter, at most 10 s apart, 6 times.
 *
 * @since 0.1.0
 * @category Schedules
 */
export const postRetrySchedule: Schedule.Schedule<unknown, unknown> = Schedule.exponential("500 millis", 2).pipe(
  Schedule.jittered,
  Schedule.union(Schedule.spaced("10 seconds")),
  Schedule.intersect(Schedule.recurs(6))
)

// Results are keyed by call id: posting them again cannot act twice (the service answers 409 or
// 422 for calls it already has), so unlike other POSTs a post whose answer was lost is retried.
const repostable = (error: HaiError.HaiError) =>
  error._tag === "ServerError" || error._tag === "OutcomeUnknown" || error._tag === "TransportError"
  || error._tag === "TimeoutError" || error._tag === "RateLimited"

// One result goes bare, as the official SDKs send it; a batch is for two or more.
const body = (outcomes: ReadonlyArray<Outcome>) =>
  outcomes.length === 1 ? toWire(outcomes[0]) : { type: "batch" as const, results: outcomes.map(toWire) }

/**
 * Sends outcomes to the session (one bare, two or more in one batch), retried by {@link postRetrySchedule} while the
 * service may not have them. Results the session no longer wants (it settled: 409) are dropped
 * with a debug log, results it refuses (422) with a warning.
 *
 * @since 0.1.0
 * @category Running
 */
export const post = (
  sessionId: string,
  outcomes: ReadonlyArray<Outcome>
): Effect.Effect<void, HaiError.HaiError, HaiAgents> =>
  outcomes.length === 0
    ? Effect.void
    : Effect.flatMap(HaiAgents, (hai) =>
      hai.sessions.sendToolResults(sessionId, body(outcomes)).pipe(
        Effect.retry({ schedule: postRetrySchedule, while: repostable }),
        Effect.catchTags({
          Conflict: () => Effect.logDebug("tool results after the session settled were ignored (409)"),
          Unprocessable: (e) => Effect.logWarning("the service refused tool results", e.message)
        })
      ))

/**
 * Runs the calls a session waits on, each at most once across restarts: a call goes `started` in
 * the {@link SessionStore} ledger before its handler runs, its outcome is saved there as soon as
 * the handler finished, and it goes `posted` once its outcome reached the session. A call already
 * posted is skipped; one whose outcome was saved (the process stopped before the post) has it
 * posted again without running; one found `started` (the process stopped while it ran) is run
 * again if its tool is idempotent, else not, and the agent is told its outcome is unknown.
 *
 * @since 0.1.0
 * @category Running
 */
export const runPending = <T extends Toolkit.Any>(options: {
  readonly sessionId: string
  readonly toolkit: T
  readonly pending: ReadonlyArray<Call>
  /** Most calls run at once. */
  readonly concurrency: number
}): Effect.Effect<
  void,
  HaiError.HaiError | HaiError.PersistenceError,
  HaiAgents | SessionStore.SessionStore | Toolkit.Requirements<T>
> =>
  Effect.gen(function*() {
    const store = yield* SessionStore.SessionStore
    const id = options.sessionId
    const fresh: Array<Call> = []
    const again: Array<Call> = []
    const saved: Array<Outcome> = []
    const orphaned: Array<Call> = []
    for (const call of options.pending) {
      const known = yield* store.getCall(id, SessionStore.callKey(call))
      if (Option.isNone(known)) fresh.push(call)
      else if (known.value === "started") {
        if (options.toolkit.tools.get(call.tool_name)?.idempotent === true) again.push(call)
        else orphaned.push(call)
      } else if (known.value !== "posted") saved.push({ ...known.value.outcome, call })
    }
    if (fresh.length === 0 && again.length === 0 && saved.length === 0 && orphaned.length === 0) return
    yield* Effect.forEach(fresh, (call) => store.setCall(id, SessionStore.callKey(call), "started"), { discard: true })
    // Each outcome is saved as its handler finishes, so that a crash before the post loses none.
    const ran = yield* Effect.forEach([...fresh, ...again], (call) =>
      Effect.tap(run(options.toolkit, call), (outcome) =>
        store.setCall(id, SessionStore.callKey(call), {
          state: "ran",
          outcome: outcome._tag === "Result"
            ? { _tag: "Result", result: outcome.result }
            : { _tag: "Error", error: outcome.error }
        })), { concurrency: options.concurrency })
    const outcomes = [...ran, ...saved, ...orphaned.map(unknownOutcome)]
    yield* post(id, outcomes)
    yield* Effect.forEach(outcomes, (o) =>
      store.setCall(id, SessionStore.callKey(o.call), "posted"), {
      discard: true
    })
  })
