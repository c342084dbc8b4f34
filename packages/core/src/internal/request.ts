/**
 * The wire requests a session's caller makes: the create request of `Session.start`, and the
 * messages of `send`.
 *
 * @since 0.1.0
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Answer from "../Answer.js"
import * as HaiError from "../HaiError.js"
import * as Overrides from "../Overrides.js"
import type * as Session from "../Session.js"
import type * as Toolkit from "../Toolkit.js"
import type * as Wire from "../Wire.js"

type MessageBody = typeof Wire.UserMessageEvent.Encoded

export const toWireMessage = (message: Session.Message): MessageBody =>
  typeof message === "string"
    ? { type: "user_message", message }
    : { type: "user_message", message: message.message, ...(message.images ? { images: message.images } : {}) }

const isMessageList = (
  input: Session.Message | ReadonlyArray<Session.Message>
): input is ReadonlyArray<Session.Message> => Array.isArray(input)

/** The body of `POST /messages`: one message, or a batch. */
export const messagesBody = (input: Session.Message | ReadonlyArray<Session.Message>) =>
  isMessageList(input)
    ? { type: "batch" as const, messages: input.map(toWireMessage) }
    : toWireMessage(input)

const seconds = (duration: Duration.DurationInput) => Duration.toMillis(Duration.decode(duration)) / 1000

const conflict = (path: string, issue: string) =>
  Effect.fail(new HaiError.InvalidRequest({ operation: "Session.start", path, issue }))

type Agent = Session.StartRequest["agent"]

/** The agent and overrides with the answer's JSON Schema where the service reads it. */
const withAnswerFormat = (
  agent: Agent,
  overrides: Record<string, unknown>,
  format: Record<string, unknown>
): Effect.Effect<Agent, HaiError.InvalidRequest> => {
  if (typeof agent === "object") {
    if (agent.answer_format !== undefined && agent.answer_format !== null) {
      return conflict("agent.answer_format", "is set on the inline agent and `answer` is given too: keep one")
    }
    return Effect.succeed({ ...agent, answer_format: format })
  }
  if (overrides[Overrides.paths.answerFormat] !== undefined) {
    return conflict("overrides[\"agent.answer_format\"]", "is set and `answer` is given too: keep one")
  }
  overrides[Overrides.paths.answerFormat] = format
  return Effect.succeed(agent)
}

const messagesOf = <A, I, T extends Toolkit.Any>(request: Session.StartRequest<A, I, T>) => {
  const messages = request.messages
  if (messages === undefined) return request.request?.messages
  if (typeof messages === "string") return messages
  return isMessageList(messages) ? messages.map(toWireMessage) : toWireMessage(messages)
}

export const toWireRequest = <A, I, T extends Toolkit.Any>(
  request: Session.StartRequest<A, I, T>
): Effect.Effect<typeof Wire.SessionRequest.Encoded, HaiError.InvalidRequest> =>
  Effect.suspend(() => {
    const overrides: Record<string, unknown> = { ...request.request?.overrides, ...request.overrides }
    if (request.tools && request.tools.definitions.length > 0) {
      const existing = overrides[Overrides.paths.tools]
      overrides[Overrides.paths.tools] = [...(Array.isArray(existing) ? existing : []), ...request.tools.definitions]
    }
    const agent = request.answer
      ? withAnswerFormat(request.agent, overrides, Answer.format(request.answer))
      : Effect.succeed(request.agent)
    const messages = messagesOf(request)
    return Effect.map(agent, (agent) => ({
      ...request.request,
      agent,
      ...(messages !== undefined ? { messages } : {}),
      ...(request.maxSteps !== undefined ? { max_steps: request.maxSteps } : {}),
      ...(request.maxTime !== undefined ? { max_time_s: seconds(request.maxTime) } : {}),
      ...(request.idleTimeout !== undefined
        ? { idle_timeout_s: Math.max(1, Math.ceil(seconds(request.idleTimeout))) }
        : {}),
      ...(request.queue !== undefined ? { queue: request.queue } : {}),
      ...(Object.keys(overrides).length > 0 ? { overrides } : {})
    }))
  })
