import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Faults from "@hai-effect/emulator/Faults"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Effect, Fiber, Option, Schema, TestClock } from "effect"
import type { Duration } from "effect"
import { Tool, Toolkit } from "../../src/index.js"

/** The answer every soak session gives. */
export const SoakAnswer = Schema.Struct({ total: Schema.Number, tokens: Schema.Array(Schema.String) })

/**
 * A scripted agent that calls the `lookup` tool three times (two calls at once, then one), each
 * call with a token unique to the session and the call, then answers. The token lets a test tie
 * a handler invocation to the call id the emulator announced.
 */
export const soakScenario: Scenario.Scenario = (ctx) =>
  ctx.turn === 0
    ? [
      Scenario.think("tick"),
      Scenario.callTools([
        { name: "lookup", args: { token: `${ctx.sessionId}/a` } },
        { name: "lookup", args: { token: `${ctx.sessionId}/b` } }
      ]),
      Scenario.think("tick"),
      Scenario.callTool("lookup", { token: `${ctx.sessionId}/c` }),
      Scenario.think("tick"),
      Scenario.answer({ total: 3, tokens: ["a", "b", "c"] })
    ]
    : [Scenario.answer({ total: 0, tokens: [] })]

/** Like {@link soakScenario}, but the agent keeps working until cancelled after its tools ran. */
export const endlessScenario: Scenario.Scenario = (ctx) => [
  Scenario.think("1 second"),
  Scenario.callTool("lookup", { token: `${ctx.sessionId}/a` }),
  Scenario.think("2 seconds"),
  Scenario.callTool("lookup", { token: `${ctx.sessionId}/b` }),
  ...(ctx.messages.some((m) => m.includes("finish")) ? [Scenario.answer({ total: 2, tokens: ["a", "b"] })] : [
    Scenario.hang
  ])
]

/** A `lookup` tool that counts its invocations per token, taking `work` of (Test)Clock time. */
export const countingToolkit = (work: Duration.DurationInput = "150 millis") => {
  const runs = new Map<string, number>()
  const lookup = Tool.make("lookup", {
    description: "Looks a token up",
    parameters: Schema.Struct({ token: Schema.String }),
    success: Schema.Struct({ token: Schema.String, found: Schema.Boolean }),
    handler: ({ token }) =>
      Effect.sync(() => runs.set(token, (runs.get(token) ?? 0) + 1)).pipe(
        Effect.zipRight(Effect.sleep(work)),
        Effect.as({ token, found: true })
      )
  })
  return { runs, toolkit: Toolkit.make(lookup) }
}

/** The tool calls the emulator announced for a session (from the policy events that made them). */
export const announcedCalls = (snapshot: Emulator.SessionSnapshot) =>
  snapshot.events.flatMap((e) => {
    const data = e.data as any
    return e.type === "AgentEvent" && data?.kind === "policy_event" && Array.isArray(data.tool_reqs)
      ? (data.tool_reqs as Array<{ id: string; tool_name: string; args: { token: string } }>)
      : []
  })

/** The tool results (and client errors) the emulator accepted for a session, by call id. */
export const acceptedResults = (snapshot: Emulator.SessionSnapshot) => {
  const byId = new Map<string, number>()
  for (const e of snapshot.events) {
    const data = e.data as any
    if (e.type === "AgentEvent" && (data?.kind === "tool_result" || data?.kind === "error_event") && data.tool_req) {
      byId.set(data.tool_req.id, (byId.get(data.tool_req.id) ?? 0) + 1)
    }
  }
  return byId
}

/** Moves the TestClock in steps until every fiber is done (at most `max` steps). */
export const driveUntilDone = <A, E>(
  fibers: ReadonlyArray<Fiber.Fiber<A, E>>,
  step: Duration.DurationInput,
  max: number
) =>
  Effect.gen(function*() {
    for (let i = 0; i < max; i++) {
      let open = 0
      for (const fiber of fibers) if (Option.isNone(yield* Fiber.poll(fiber))) open++
      if (open === 0) return i
      yield* TestClock.adjust(step)
    }
    return max
  })

/** Moves the TestClock forward by `total`, in steps. */
export const advance = (total: number, stepMillis: number) =>
  Effect.gen(function*() {
    for (let t = 0; t < total; t += stepMillis) yield* TestClock.adjust(`${stepMillis} millis`)
  })

/** A seeded PRNG, for reproducible choices in tests: the emulator's own. */
export const seeded = (seed: number) => Faults.prng(seed)

/** The emulator's snapshot of the session a run made, found by its unique task message. */
export const sessionsForTask = (task: string) =>
  Effect.map(
    Effect.flatMap(Emulator.Emulator, (e) => e.sessions),
    (all) => all.filter((s) => s.request.messages === task)
  )
