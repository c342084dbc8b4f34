/**
 * Scripted agents: a `Scenario` is the list of steps an emulated agent plays for one turn
 * (from the first user message, or a follow-up one, to its answer).
 *
 * @since 1.0.0
 */
import type * as Duration from "effect/Duration"

// =============================================================================
// Models
// =============================================================================

/**
 * What a scripted step sees when it is built: the session's request, its answer format and
 * custom tools (after overrides), the turn number and the user messages of this turn.
 *
 * @since 1.0.0
 * @category Models
 */
export interface Context {
  readonly sessionId: string
  readonly agent: string
  readonly request: Record<string, unknown>
  readonly answerFormat: Record<string, unknown> | undefined
  readonly tools: ReadonlyArray<ToolDefinition>
  readonly turn: number
  readonly messages: ReadonlyArray<string>
}

/**
 * A custom tool declared by the client (`overrides["agent.tools"]` or the inline agent's `tools`).
 *
 * @since 1.0.0
 * @category Models
 */
export interface ToolDefinition {
  readonly name: string
  readonly description?: string
  readonly input_schema?: Record<string, unknown>
}

/**
 * One step of a scripted agent.
 *
 * @since 1.0.0
 * @category Models
 */
export type Step =
  | { readonly _tag: "Emit"; readonly type: string; readonly data: unknown }
  | { readonly _tag: "Think"; readonly duration: Duration.DurationInput | "tick"; readonly content?: string }
  | { readonly _tag: "CallTools"; readonly calls: ReadonlyArray<{ readonly name: string; readonly args?: unknown }> }
  | { readonly _tag: "Answer"; readonly answer?: unknown; readonly outcome?: Outcome }
  | { readonly _tag: "Fail"; readonly errorCode: ErrorCode; readonly error: string }
  | { readonly _tag: "Idle" }
  | { readonly _tag: "Hang" }

/**
 * @since 1.0.0
 * @category Models
 */
export type Outcome = "success" | "partial" | "infeasible" | "blocked"

/**
 * @since 1.0.0
 * @category Models
 */
export type ErrorCode = "environment_error" | "no_answer" | "answer_validation" | "timeout" | "internal"

/**
 * A scenario: either a fixed list of steps, or a function of the turn's context.
 *
 * @example
 * ```ts
 * import * as Scenario from "@hai-effect/emulator/Scenario"
 *
 * const flaky: Scenario.Scenario = [
 *   Scenario.think("1 second"),
 *   Scenario.callTool("lookup", { q: "paris" }),
 *   Scenario.answer({ city: "Paris" })
 * ]
 * ```
 *
 * @since 1.0.0
 * @category Models
 */
export type Scenario = ReadonlyArray<Step> | ((context: Context) => ReadonlyArray<Step>)

// =============================================================================
// Constructors
// =============================================================================

/**
 * Emit any event (`{type, data}`; the timestamp is added from the Clock).
 *
 * @example
 * ```ts
 * import * as Scenario from "@hai-effect/emulator/Scenario"
 * Scenario.emit("AgentEvent", { kind: "flow_event", flow: "search", origin: "agent" })
 * ```
 *
 * @since 1.0.0
 * @category Constructors
 */
export const emit = (type: string, data: unknown): Step => ({ _tag: "Emit", type, data })

/**
 * Think for a while: emits a `policy_event` step after sleeping `duration` (counts as a step);
 * `"tick"` uses the emulator's configured step time.
 *
 * @example
 * ```ts
 * import * as Scenario from "@hai-effect/emulator/Scenario"
 * Scenario.think("500 millis", "Looking at the page")
 * ```
 *
 * @since 1.0.0
 * @category Constructors
 */
export const think = (duration: Duration.DurationInput | "tick", content?: string): Step =>
  content === undefined ? { _tag: "Think", duration } : { _tag: "Think", duration, content }

/**
 * Call a custom tool and wait for the client's result. Without `args`, arguments valid
 * against the tool's `input_schema` are synthesised.
 *
 * @example
 * ```ts
 * import * as Scenario from "@hai-effect/emulator/Scenario"
 * Scenario.callTool("get_weather", { city: "Paris" })
 * ```
 *
 * @since 1.0.0
 * @category Constructors
 */
export const callTool = (name: string, args?: unknown): Step => ({
  _tag: "CallTools",
  calls: [args === undefined ? { name } : { name, args }]
})

/**
 * Call several custom tools at once (one `awaiting_tool_results` announcement).
 *
 * @example
 * ```ts
 * import * as Scenario from "@hai-effect/emulator/Scenario"
 * Scenario.callTools([{ name: "a" }, { name: "b", args: { x: 1 } }])
 * ```
 *
 * @since 1.0.0
 * @category Constructors
 */
export const callTools = (calls: ReadonlyArray<{ readonly name: string; readonly args?: unknown }>): Step => ({
  _tag: "CallTools",
  calls
})

/**
 * Answer. Without a value, one is synthesised from `answer_format` (or a short text).
 *
 * @example
 * ```ts
 * import * as Scenario from "@hai-effect/emulator/Scenario"
 * Scenario.answer("42", "success")
 * ```
 *
 * @since 1.0.0
 * @category Constructors
 */
export const answer = (value?: unknown, outcome?: Outcome): Step => {
  const step: { _tag: "Answer"; answer?: unknown; outcome?: Outcome } = { _tag: "Answer" }
  if (value !== undefined) step.answer = value
  if (outcome !== undefined) step.outcome = outcome
  return step
}

/**
 * Fail the session with an error code.
 *
 * @example
 * ```ts
 * import * as Scenario from "@hai-effect/emulator/Scenario"
 * Scenario.fail("environment_error", "The browser crashed")
 * ```
 *
 * @since 1.0.0
 * @category Constructors
 */
export const fail = (errorCode: ErrorCode, error: string): Step => ({ _tag: "Fail", errorCode, error })

/**
 * End the turn without answering: the session goes idle and waits for a message.
 *
 * @example
 * ```ts
 * import * as Scenario from "@hai-effect/emulator/Scenario"
 * Scenario.idle
 * ```
 *
 * @since 1.0.0
 * @category Constructors
 */
export const idle: Step = { _tag: "Idle" }

/**
 * Never finish: the agent keeps working until `max_time_s` times it out (or it is cancelled).
 *
 * @example
 * ```ts
 * import * as Scenario from "@hai-effect/emulator/Scenario"
 * Scenario.hang
 * ```
 *
 * @since 1.0.0
 * @category Constructors
 */
export const hang: Step = { _tag: "Hang" }

/**
 * The default script: a few observation/policy steps, one call of each declared custom tool
 * (arguments synthesised from its `input_schema`), then an answer valid against `answer_format`.
 *
 * @example
 * ```ts
 * import * as Scenario from "@hai-effect/emulator/Scenario"
 * const steps = Scenario.defaultScenario({ sessionId: "s", agent: "h/web-surfer-holo3-1-35b", request: {},
 *   answerFormat: undefined, tools: [], turn: 0, messages: ["hi"] })
 * ```
 *
 * @since 1.0.0
 * @category Constructors
 */
export const defaultScenario = (context: Context): ReadonlyArray<Step> => {
  const task = context.messages[context.messages.length - 1] ?? "the task"
  const steps: Array<Step> = [
    emit("AgentEvent", {
      kind: "observation_event",
      type: "screenshot",
      text: "Opened https://www.bing.com",
      metadata: { url: "https://www.bing.com" }
    }),
    think("tick", `Working on: ${task}`),
    emit("AgentEvent", {
      kind: "observation_event",
      type: "page",
      text: "Search results loaded",
      metadata: { url: "https://www.bing.com/search" }
    }),
    think("tick", "Reading the results")
  ]
  if (context.turn === 0) {
    for (const tool of context.tools) steps.push(callTool(tool.name), think("tick", `Used ${tool.name}`))
  }
  steps.push(answer())
  return steps
}

// =============================================================================
// Example values from JSON Schema
// =============================================================================

/**
 * Synthesise a value valid against a JSON Schema (object, array, string, number, integer,
 * boolean, null, enum, const, anyOf, oneOf, allOf, nullable, required, minItems, bounds,
 * string formats, local `$ref`s into `$defs`/`definitions`).
 *
 * @example
 * ```ts
 * import * as Scenario from "@hai-effect/emulator/Scenario"
 * Scenario.example({ type: "object", properties: { n: { type: "integer", minimum: 3 } }, required: ["n"] })
 * // { n: 3 }
 * ```
 *
 * @since 1.0.0
 * @category Constructors
 */
export const example = (schema: unknown, root: unknown = schema, depth = 0): unknown => {
  if (schema === true || schema === undefined || schema === null) return "example"
  if (schema === false) return null
  const s = schema as Record<string, any>
  if (depth > 12) return null
  if (typeof s.$ref === "string") {
    const path = s.$ref.replace(/^#\//, "").split("/").map((p: string) => p.replace(/~1/g, "/").replace(/~0/g, "~"))
    let target: any = root
    for (const p of path) target = target?.[p]
    return example(target ?? {}, root, depth + 1)
  }
  if ("const" in s) return s.const
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0]
  if ("default" in s) return s.default
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0]
  if (Array.isArray(s.allOf) && s.allOf.length > 0) {
    const parts = s.allOf.map((x: unknown) => example(x, root, depth + 1))
    if (parts.every((p: unknown) => p !== null && typeof p === "object" && !Array.isArray(p))) {
      return Object.assign({}, ...parts)
    }
    return parts[0]
  }
  const union = (s.anyOf ?? s.oneOf) as Array<any> | undefined
  if (Array.isArray(union) && union.length > 0) {
    const nonNull = union.find((x) => !(x && x.type === "null"))
    return example(nonNull ?? union[0], root, depth + 1)
  }
  let type = s.type
  if (Array.isArray(type)) type = type.find((t: string) => t !== "null") ?? type[0]
  if (type === undefined) {
    if (s.properties !== undefined || s.required !== undefined) type = "object"
    else if (s.items !== undefined) type = "array"
    else return "example"
  }
  switch (type) {
    case "null":
      return null
    case "boolean":
      return true
    case "integer":
    case "number": {
      let n = type === "integer" ? 1 : 1.5
      if (typeof s.minimum === "number") n = Math.max(n, s.minimum)
      if (typeof s.exclusiveMinimum === "number") n = Math.max(n, s.exclusiveMinimum + 1)
      if (typeof s.maximum === "number") n = Math.min(n, s.maximum)
      if (typeof s.exclusiveMaximum === "number" && n >= s.exclusiveMaximum) n = s.exclusiveMaximum - 1
      if (type === "integer") n = Math.ceil(n)
      if (typeof s.multipleOf === "number" && s.multipleOf > 0) n = Math.ceil(n / s.multipleOf) * s.multipleOf
      return n
    }
    case "string": {
      switch (s.format) {
        case "date-time":
          return "2026-01-01T00:00:00Z"
        case "date":
          return "2026-01-01"
        case "time":
          return "00:00:00Z"
        case "email":
          return "agent@example.com"
        case "uri":
        case "url":
          return "https://example.com"
        case "uuid":
          return "00000000-0000-4000-8000-000000000000"
      }
      let str = typeof s.title === "string" ? s.title.toLowerCase().replace(/[^a-z0-9]+/g, "-") : "example"
      if (str.length === 0) str = "example"
      const min = typeof s.minLength === "number" ? s.minLength : 0
      while (str.length < min) str += "x"
      if (typeof s.maxLength === "number") str = str.slice(0, s.maxLength)
      return str
    }
    case "array": {
      const min = typeof s.minItems === "number" ? s.minItems : 1
      const max = typeof s.maxItems === "number" ? s.maxItems : Math.max(min, 1)
      const count = Math.min(Math.max(min, 1), max)
      if (Array.isArray(s.prefixItems)) {
        return s.prefixItems.map((x: unknown) => example(x, root, depth + 1))
      }
      const items: Array<unknown> = []
      for (let i = 0; i < count; i++) {
        const item = example(s.items ?? {}, root, depth + 1)
        items.push(s.uniqueItems === true && typeof item === "number" ? item + i : item)
      }
      return items
    }
    case "object":
    default: {
      const out: Record<string, unknown> = {}
      const props = (s.properties ?? {}) as Record<string, unknown>
      const required = new Set<string>(Array.isArray(s.required) ? s.required : [])
      for (const [key, sub] of Object.entries(props)) {
        out[key] = example(sub, root, depth + 1)
      }
      for (const key of required) {
        if (!(key in out)) out[key] = "example"
      }
      return out
    }
  }
}
