/**
 * Structured answers: an Effect Schema becomes the JSON Schema the agent must answer with
 * (`answer_format`), and the answer it sends back is decoded with the same Schema.
 *
 * @example
 * import { Schema } from "effect"
 * import { Answer } from "@hai-effect/core"
 *
 * const Jobs = Schema.Struct({ jobs: Schema.Array(Schema.Struct({ title: Schema.String, url: Schema.String })) })
 * Answer.format(Jobs) // { title: "Answer", type: "object", ... }
 *
 * @since 0.1.0
 */
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as HaiError from "./HaiError.js"
import * as Tool from "./Tool.js"
import * as TrajectoryStatus from "./TrajectoryStatus.js"
import type * as Wire from "./Wire.js"

/**
 * The JSON Schema sent as `answer_format`; titled `Answer` when the Schema has no title.
 *
 * @since 0.1.0
 * @category Utils
 */
export const format = <A, I>(schema: Schema.Schema<A, I>): Record<string, unknown> => {
  const json = Tool.jsonSchema(schema)
  return typeof json.title === "string" ? json : { title: "Answer", ...json }
}

/**
 * The statuses whose answer is validated (those of a session that settled well, see
 * `TrajectoryStatus.isSucceeded`); the others keep the raw answer untouched.
 *
 * @since 0.1.0
 * @category Utils
 */
export const validatedStatuses: ReadonlySet<string> = new Set(
  [...TrajectoryStatus.terminal, "idle"].filter(TrajectoryStatus.isSucceeded)
)

/**
 * An answer as the service sent it, with the agent's own verdict on it.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Found {
  readonly raw: unknown
  readonly outcome: Wire.AnswerOutcome | null
}

const isAnswerEvent = (event: Wire.SessionEvent): event is Wire.AgentEvent & { readonly data: Wire.AnswerEvent } =>
  event.type === "AgentEvent" && (event as Wire.AgentEvent).data.kind === "answer_event"

/**
 * The answer of a turn: its last `answer_event`, else the answer of a `/changes` body received
 * during the turn (which carries the session's latest answer).
 *
 * @example
 * import { Answer } from "@hai-effect/core"
 *
 * const found = Answer.find([], { answer: "{\"n\": 3}" })
 * // Option.some({ raw: "{\"n\": 3}", outcome: null })
 *
 * @since 0.1.0
 * @category Decoding
 */
export const find = (
  events: ReadonlyArray<{ readonly event: Wire.SessionEvent }>,
  changes?: Pick<Wire.SessionChanges, "answer" | "outcome"> | undefined
): Option.Option<Found> => {
  for (let i = events.length - 1; i >= 0; i--) {
    const event = events[i].event
    if (isAnswerEvent(event)) return Option.some({ raw: event.data.answer, outcome: event.data.outcome ?? null })
  }
  return changes !== undefined && changes.answer !== undefined && changes.answer !== null
    ? Option.some({ raw: changes.answer, outcome: changes.outcome ?? null })
    : Option.none()
}

/**
 * Decodes a raw answer. A string is first read as JSON; when it is not JSON, or the JSON does
 * not match, the string itself is tried (a `Schema.String` answer stays a string).
 *
 * @example
 * import { Effect, Schema } from "effect"
 * import { Answer } from "@hai-effect/core"
 *
 * Answer.decode(Schema.Struct({ n: Schema.Number }), "{\"n\": 3}", "session-id") // Effect<{ n: 3 }>
 *
 * @since 0.1.0
 * @category Decoding
 */
export const decode = <A, I>(
  schema: Schema.Schema<A, I>,
  raw: unknown,
  sessionId: string
): Effect.Effect<A, HaiError.AnswerValidationError> => {
  const decodeEither = Schema.decodeUnknownEither(schema)
  let first = decodeEither(raw)
  if (typeof raw === "string") {
    const parsed = parse(raw)
    if (parsed !== undefined) {
      const fromJson = decodeEither(parsed.value)
      if (Either.isRight(fromJson)) return Effect.succeed(fromJson.right)
      if (Either.isLeft(first)) first = fromJson
    }
  }
  return Either.isRight(first)
    ? Effect.succeed(first.right)
    : Effect.fail(
      new HaiError.AnswerValidationError({
        sessionId,
        raw,
        issues: ParseResult.TreeFormatter.formatErrorSync(first.left)
      })
    )
}

const parse = (text: string): { readonly value: unknown } | undefined => {
  try {
    return { value: JSON.parse(text) }
  } catch {
    return undefined
  }
}
