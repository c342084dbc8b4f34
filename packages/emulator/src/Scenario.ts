/**
 * Scripted agents: a `Scenario` is the list of steps an emulated agent plays for one turn
 * (from the first user message, or a follow-up one, to its answer).
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import { generateSync } from "json-schema-faker"
import { compile } from "./internal/validation.js"
import * as Recording from "./Recording.js"

// =============================================================================
// Models
// =============================================================================

/**
 * What a scripted step sees when it is built: the session's request, its answer format and
 * custom tools (after overrides), the turn number and the user messages of this turn.
 *
 * @since 0.1.0
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
 * @since 0.1.0
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
 * @since 0.1.0
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
  | { readonly _tag: "Observe"; readonly text: string; readonly url: string }
  | {
    readonly _tag: "Attach"
    readonly name: string
    readonly content: Uint8Array
    readonly mediaType: string
    readonly path: string
  }
  | { readonly _tag: "RunOutOfCredit" }

/**
 * @since 0.1.0
 * @category Models
 */
export type Outcome = "success" | "partial" | "infeasible" | "blocked"

/**
 * @since 0.1.0
 * @category Models
 */
export type ErrorCode =
  | "environment_error"
  | "no_answer"
  | "answer_validation"
  | "timeout"
  | "insufficient_credit"
  | "internal"

/**
 * A recorded session played back (see {@link fromRecording}): the same events, in the same order,
 * at the recorded pace divided by `speed`.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Replay {
  readonly _tag: "Replay"
  readonly recording: Recording.Recording
  readonly speed: number
}

/**
 * A scenario: a fixed list of steps, a function of the turn's context, or a recorded run.
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
 * @since 0.1.0
 * @category Models
 */
export type Scenario = ReadonlyArray<Step> | ((context: Context) => ReadonlyArray<Step>) | Replay

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
 * @since 0.1.0
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
 * @since 0.1.0
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
 * @since 0.1.0
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
 * @since 0.1.0
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
 * @since 0.1.0
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
 * @since 0.1.0
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
 * @since 0.1.0
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
 * @since 0.1.0
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
 * @since 0.1.0
 * @category Constructors
 */
export const defaultScenario = (context: Context): ReadonlyArray<Step> => {
  const task = context.messages[context.messages.length - 1] ?? "the task"
  const steps: Array<Step> = [
    observe("Opened https://www.bing.com", "https://www.bing.com"),
    think("tick", `Working on: ${task}`),
    observe("Search results loaded", "https://www.bing.com/search"),
    think("tick", "Reading the results")
  ]
  if (context.turn === 0) {
    for (const tool of context.tools) steps.push(callTool(tool.name), think("tick", `Used ${tool.name}`))
  }
  steps.push(answer())
  return steps
}

/**
 * Observe the page: an `observation_event` with its text and a screenshot, which the session then
 * serves under `/sessions/{id}/resources/screenshots/...`.
 *
 * @example
 * ```ts
 * import * as Scenario from "@hai-effect/emulator/Scenario"
 * Scenario.observe("Search results loaded", "https://www.bing.com/search")
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const observe = (text: string, url: string): Step => ({ _tag: "Observe", text, url })

/**
 * Attach a file, as an agent does with a download or a report: an `AttachmentEvent` whose `url`
 * serves the bytes (`/sessions/{id}/resources/attachments/{name}`).
 *
 * @example
 * ```ts
 * import * as Scenario from "@hai-effect/emulator/Scenario"
 * Scenario.attach("report.csv", "city,temp\nParis,21\n", { mediaType: "text/csv" })
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const attach = (
  name: string,
  content: string | Uint8Array,
  options: { readonly mediaType?: string; readonly path?: string } = {}
): Step => ({
  _tag: "Attach",
  name,
  content: typeof content === "string" ? new TextEncoder().encode(content) : content,
  mediaType: options.mediaType ?? "application/octet-stream",
  path: options.path ?? `~/Downloads/${name}`
})

/**
 * Run out of credit: the session fails with `insufficient_credit`, as when the organization's
 * balance is spent mid-run (the emulator's `credit` option does the same when its token budget
 * runs out).
 *
 * @example
 * ```ts
 * import * as Scenario from "@hai-effect/emulator/Scenario"
 * const broke: Scenario.Scenario = [Scenario.think("tick"), Scenario.runOutOfCredit]
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const runOutOfCredit: Step = { _tag: "RunOutOfCredit" }

/**
 * Replay a recorded session (`hai sessions record <id> --out run.json`): the same events in the
 * same order, its tool calls (the client's results must have the recorded results' shape) and its
 * answer, at the recorded pace divided by `speed` (default 1: real time). A follow-up turn of the
 * recording waits for the client's message.
 *
 * @example
 * ```ts
 * import * as Emulator from "@hai-effect/emulator/Emulator"
 * import * as Scenario from "@hai-effect/emulator/Scenario"
 * import * as Effect from "effect/Effect"
 *
 * const setup = Effect.gen(function*() {
 *   const emulator = yield* Emulator.Emulator
 *   const replay = yield* Scenario.fromRecording("run.json", { speed: 10 })
 *   yield* emulator.registerScenario("h/web-surfer-holo3-1-35b", replay)
 * })
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const fromRecording = (
  file: string | Recording.Recording,
  options: { readonly speed?: number } = {}
): Effect.Effect<Replay, Recording.RecordingError> =>
  Effect.map(
    typeof file === "string" ? Recording.read(file) : Effect.succeed(file),
    (recording): Replay => ({ _tag: "Replay", recording, speed: options.speed ?? 1 })
  )

// =============================================================================
// Example values from JSON Schema
// =============================================================================

/**
 * Synthesise a value valid against a JSON Schema, constraints included (`pattern`, `format`,
 * `minItems`, enums, nested objects, local `$ref`s), with json-schema-faker. The same `seed` gives
 * the same value.
 *
 * @example
 * ```ts
 * import * as Scenario from "@hai-effect/emulator/Scenario"
 * Scenario.example({
 *   type: "object",
 *   properties: { code: { type: "string", pattern: "^[A-Z]{3}-\\d{4}$" } },
 *   required: ["code"]
 * })
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const example = (schema: unknown, options: { readonly seed?: number } = {}): unknown => {
  if (schema === true || schema === undefined || schema === null) return "example"
  const seed = options.seed ?? 1
  // A schema the generator cannot follow (an invalid pattern, say) yields a placeholder, which the
  // answer check then reports against the schema.
  const generate = (seed: number): unknown => {
    try {
      return generateSync(schema as Parameters<typeof generateSync>[0], {
        seed,
        maxDepth: 8,
        alwaysFakeOptionals: true
      })
    } catch {
      return "example"
    }
  }
  // The generator can pick a value that fits several `oneOf` branches: draw again, checked.
  let check: ((value: unknown) => boolean) | undefined
  try {
    check = compile(`example:${JSON.stringify(schema)}`, schema)
  } catch {
    check = undefined
  }
  let value = generate(seed)
  for (let attempt = 1; attempt < 20 && check !== undefined && !check(value); attempt++) {
    value = generate(seed + attempt * 7919)
  }
  return value
}
