import type * as HaiError from "@hai-effect/core/HaiError"
import type * as SessionStore from "@hai-effect/core/SessionStore"
import type * as Tool from "@hai-effect/core/Tool"
import { errorText } from "@hai-effect/core/ToolCall"
import type * as Toolkit from "@hai-effect/core/Toolkit"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as ParseResult from "effect/ParseResult"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"

// The same rules as `Session.run`'s tool loop (core): arguments decoded with the tool's Schema,
// the result encoded with its `success` Schema, any failure reported to the agent as
// `"<Type>: <message>"` rather than failing the session.

/** @internal */
export const Outcome = Schema.Union(
  Schema.TaggedStruct("result", { result: Schema.Unknown }),
  Schema.TaggedStruct("error", { error: Schema.String })
)

/** @internal */
export type Outcome = typeof Outcome.Type

/** @internal */
export const run = (
  toolkit: Toolkit.Any | undefined,
  call: SessionStore.PendingCall
): Effect.Effect<Outcome, never, any> => {
  const tool: Tool.Any | undefined = toolkit?.tools.get(call.tool_name)
  if (tool === undefined) {
    const names = toolkit === undefined ? [] : [...toolkit.tools.keys()]
    return Effect.succeed({
      _tag: "error",
      error: `UnknownTool: this client has no tool named "${call.tool_name}" (it has: ${names.join(", ") || "none"})`
    })
  }
  return Schema.decodeUnknown(tool.parameters as Schema.Schema<any, any>)(call.args ?? {}).pipe(
    Effect.mapError((e) => `InvalidArguments: ${ParseResult.TreeFormatter.formatErrorSync(e)}`),
    Effect.flatMap((params) =>
      tool.handler(params).pipe(
        Effect.sandbox,
        Effect.mapError((cause) =>
          Cause.isInterruptedOnly(cause) ? "Interrupted: the tool call was interrupted" : errorText(Cause.squash(cause))
        )
      )
    ),
    Effect.flatMap((value) =>
      tool.success
        ? Schema.encode(tool.success as Schema.Schema<any, any>)(value).pipe(
          Effect.mapError((e) => `InvalidResult: ${ParseResult.TreeFormatter.formatErrorSync(e)}`)
        )
        : Effect.succeed(value)
    ),
    Effect.match({
      onFailure: (error): Outcome => ({ _tag: "error", error }),
      onSuccess: (result): Outcome => ({ _tag: "result", result: result === undefined ? null : result })
    })
  )
}

const echo = (call: SessionStore.PendingCall) => ({
  tool_name: call.tool_name,
  args: call.args ?? {},
  id: call.id ?? null
})

/** @internal */
export const toWire = (call: SessionStore.PendingCall, outcome: Outcome) =>
  outcome._tag === "result"
    ? { kind: "tool_result" as const, tool_req: echo(call), result: outcome.result }
    : { kind: "error_event" as const, error: outcome.error, origin: "client", tool_req: echo(call) }

/** @internal */
export const postRetry = Schedule.exponential("500 millis", 2).pipe(
  Schedule.jittered,
  Schedule.union(Schedule.spaced("10 seconds")),
  Schedule.intersect(Schedule.recurs(6))
)

/** @internal */
export const isTransient = (e: HaiError.HaiError): boolean =>
  e._tag === "ServerError" || e._tag === "OutcomeUnknown" || e._tag === "TransportError"
  || e._tag === "TimeoutError" || e._tag === "RateLimited"
