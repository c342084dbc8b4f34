/**
 * One line per session event, for the examples' console output.
 */
import type { ChangeFeed, Wire } from "@hai-effect/core"

const clip = (text: string, max = 100) => {
  const line = text.replace(/\s+/g, " ").trim()
  return line.length > max ? `${line.slice(0, max - 1)}…` : line
}

const describeAgentEvent = (data: Wire.AgentEvent["data"]): string => {
  switch (data.kind) {
    case "policy_event":
      return `thinks: ${clip(data.content ?? "")}`
    case "observation_event":
      return `observes: ${clip(data.text ?? "(screenshot)")}`
    case "answer_event":
      return `answers: ${clip(JSON.stringify(data.answer))}`
    case "tool_result":
      return `tool result: ${clip(JSON.stringify(data.result))}`
    case "error_event":
      return `error: ${clip(data.error)}`
    case "message_event": {
      const text = (data.content ?? []).filter((c): c is string => typeof c === "string").join(" ")
      return `message from ${data.caller_id}${text ? `: ${clip(text)}` : ""}`
    }
    case "flow_event":
      return `flow: ${data.flow} (by ${data.origin})`
    default:
      return String(data.kind)
  }
}

/** A short human line for an event. */
export const describeEvent = ({ event, index }: ChangeFeed.IndexedEvent): string => {
  const head = `#${String(index).padStart(3, " ")}`
  switch (event.type) {
    case "RequestStartEvent":
      return `${head} request received`
    case "RequestStartDispatchedEvent":
      return `${head} dispatched to an agent`
    case "RunnerSessionEvent":
      return `${head} environment ready (runner ${event.data.runner_session_id})`
    case "AttachmentEvent":
      return `${head} ${
        event.data.origin === "user" ? "you attached" : "agent attached"
      } ${event.data.name} (${event.data.size_bytes} bytes)`
    case "FileTransferEvent":
      return `${head} file ${event.data.direction}: ${event.data.path}`
    case "AgentStartedEvent":
      return `${head} agent started`
    case "LiveViewUrlEvent":
      return `${head} live view: ${event.data.live_view_url}`
    case "AgentEvent":
      return `${head} ${describeAgentEvent(event.data)}`
    case "ActiveStateChangeEvent": {
      const data = event.data
      const calls = (data.pending_tool_calls ?? []).map((c) => c.tool_name).join(", ")
      return `${head} state: ${data.state}${calls ? ` (tools: ${calls})` : ""}`
    }
    case "AgentRunStatusChangeEvent":
      return `${head} run status: ${event.data.status}`
    case "MetricsUpdateEvent":
      return `${head} metrics updated`
    case "AgentCompletionEvent":
      return `${head} completed (${event.data.reason})`
    case "AgentErrorEvent":
      return `${head} agent error: ${clip(event.data.error)}`
    default:
      return `${head} event ${String(event.type)}`
  }
}
