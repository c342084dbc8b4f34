/**
 * An MCP server that lets an assistant (Cursor, VS Code, Claude Code, Windsurf, ...) run H
 * Company's Computer-Use agents: `run_agent`, `list_agents`, `get_session`, `wait_for_session`,
 * `send_message`, `cancel_session`, `share_session`.
 *
 * The server needs only a `HaiAgents` client (credentials are resolved by whoever builds it,
 * e.g. `NodeHai.layerConfig()`); it is served over stdio ({@link layerStdio}) or streamable
 * HTTP ({@link layerHttp}). In stdio mode stdout is the protocol channel: logs go to stderr.
 *
 * @example
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Layer } from "effect"
 * import { HaiMcp } from "@hai-effect/mcp"
 * import { NodeHai } from "@hai-effect/platform-node"
 *
 * HaiMcp.layerStdio().pipe(Layer.provide(NodeHai.layerConfig()), Layer.launch, NodeRuntime.runMain)
 *
 * @since 0.1.0
 */
import type * as McpSchema from "@effect/ai/McpSchema"
import * as McpServer from "@effect/ai/McpServer"
import * as AiTool from "@effect/ai/Tool"
import * as AiToolkit from "@effect/ai/Toolkit"
import * as NodeSink from "@effect/platform-node/NodeSink"
import * as NodeStream from "@effect/platform-node/NodeStream"
import * as HttpRouter from "@effect/platform/HttpRouter"
import type * as HttpServer from "@effect/platform/HttpServer"
import * as RpcSerialization from "@effect/rpc/RpcSerialization"
import * as RpcServer from "@effect/rpc/RpcServer"
import type * as ChangeFeed from "@hai-effect/core/ChangeFeed"
import * as HaiAgents from "@hai-effect/core/HaiAgents"
import * as Session from "@hai-effect/core/Session"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as FiberRef from "effect/FiberRef"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as HttpSecurity from "./HttpSecurity.js"

// =============================================================================
// Errors
// =============================================================================

/**
 * Why a tool call failed: `reason` is the SDK error's tag (`NotFound`, `Unauthorized`,
 * `Unprocessable`, `SessionFailed`, `WaitTimeout`, ...), `message` the SDK's explanation with its
 * hint, `details` the `loc: msg` lines of a 422.
 *
 * @since 0.1.0
 * @category Errors
 */
export class HaiToolError extends Schema.TaggedError<HaiToolError>("@hai-effect/mcp/HaiToolError")("HaiToolError", {
  reason: Schema.String,
  message: Schema.String,
  sessionId: Schema.optional(Schema.String),
  status: Schema.optional(Schema.String),
  details: Schema.optional(Schema.Array(Schema.String))
}) {}

/**
 * Turns any failure of the SDK into a {@link HaiToolError}.
 *
 * @since 0.1.0
 * @category Errors
 */
export const toToolError = (error: unknown): HaiToolError => {
  const e = (error ?? {}) as Record<string, unknown>
  const reason = typeof e._tag === "string" ? e._tag : "Error"
  const message = typeof e.message === "string" && e.message.length > 0 ? e.message : String(error)
  const details = Array.isArray(e.detail)
    ? e.detail.map((d: any) => `${Array.isArray(d?.loc) ? d.loc.join(".") : "?"}: ${d?.msg ?? JSON.stringify(d)}`)
    : undefined
  return new HaiToolError({
    reason,
    message,
    ...(typeof e.sessionId === "string" ? { sessionId: e.sessionId } : {}),
    ...(typeof e.status === "string" ? { status: e.status } : {}),
    ...(details !== undefined ? { details } : {})
  })
}

// =============================================================================
// Schemas
// =============================================================================

/**
 * The agent `run_agent` uses when none is named.
 *
 * @since 0.1.0
 * @category Constants
 */
export const defaultAgent = "h/web-surfer-holo3-1-35b"

const SessionId = Schema.String.annotations({ description: "The session id (a UUID)." })

/**
 * How a session ended (or where it is): what `run_agent` and `wait_for_session` return.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const SessionOutcome = Schema.Struct({
  session_id: Schema.String,
  status: Schema.String,
  answer: Schema.Unknown,
  outcome: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
  live_view_url: Schema.NullOr(Schema.String),
  steps: Schema.NullOr(Schema.Number)
})

/**
 * A session's current state: what `get_session` returns.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const SessionInfo = Schema.Struct({
  session_id: Schema.String,
  agent: Schema.NullOr(Schema.String),
  status: Schema.String,
  steps: Schema.NullOr(Schema.Number),
  outcome: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
  error_code: Schema.NullOr(Schema.String),
  answer: Schema.Unknown,
  live_view_url: Schema.NullOr(Schema.String),
  created_at: Schema.String,
  finished_at: Schema.NullOr(Schema.String)
})

// =============================================================================
// Tools
// =============================================================================

/**
 * Starts a Computer-Use agent on a task and waits for its answer. Reports each step as an MCP
 * progress notification when the client asked for them (`_meta.progressToken`).
 *
 * @since 0.1.0
 * @category Tools
 */
export const RunAgent = AiTool.make("run_agent", {
  description:
    "Run an H Company Computer-Use agent (a browser-driving AI) on a task and wait for its answer. Returns the answer, the session id and the final status.",
  parameters: {
    task: Schema.String.annotations({ description: "What the agent should do, in plain language." }),
    agent: Schema.optional(Schema.String.annotations({ description: `Agent name (default ${defaultAgent}).` })),
    max_steps: Schema.optional(Schema.Int.annotations({ description: "Most steps the agent may take." })),
    max_time_s: Schema.optional(Schema.Number.annotations({ description: "Most seconds the agent may run." })),
    answer_schema: Schema.optional(
      Schema.Record({ key: Schema.String, value: Schema.Unknown }).annotations({
        description: "A JSON Schema the final answer must follow."
      })
    )
  },
  success: SessionOutcome,
  failure: HaiToolError
})
  .annotate(AiTool.Title, "Run a Computer-Use agent")
  .annotate(AiTool.Readonly, false)
  .annotate(AiTool.Destructive, false)
  .annotate(AiTool.Idempotent, false)
  .annotate(AiTool.OpenWorld, true)

/**
 * Lists the agents of the catalog and the organisation.
 *
 * @since 0.1.0
 * @category Tools
 */
export const ListAgents = AiTool.make("list_agents", {
  description: "List the Computer-Use agents available to this API key.",
  parameters: {
    search: Schema.optional(Schema.String.annotations({ description: "Filter by text." }))
  },
  success: Schema.Struct({
    total: Schema.Number,
    agents: Schema.Array(Schema.Struct({ name: Schema.String, description: Schema.String }))
  }),
  failure: HaiToolError
})
  .annotate(AiTool.Title, "List agents")
  .annotate(AiTool.Readonly, true)
  .annotate(AiTool.Destructive, false)
  .annotate(AiTool.Idempotent, true)
  .annotate(AiTool.OpenWorld, false)

/**
 * Reads a session's state.
 *
 * @since 0.1.0
 * @category Tools
 */
export const GetSession = AiTool.make("get_session", {
  description: "Read a session's status, step count, error and latest answer.",
  parameters: { session_id: SessionId },
  success: SessionInfo,
  failure: HaiToolError
})
  .annotate(AiTool.Title, "Get a session")
  .annotate(AiTool.Readonly, true)
  .annotate(AiTool.Destructive, false)
  .annotate(AiTool.Idempotent, true)
  .annotate(AiTool.OpenWorld, false)

/**
 * Waits until a session settles and returns its answer.
 *
 * @since 0.1.0
 * @category Tools
 */
export const WaitForSession = AiTool.make("wait_for_session", {
  description:
    "Wait until a session settles (completed, idle, failed, timed out or interrupted) and return its answer.",
  parameters: {
    session_id: SessionId,
    timeout_s: Schema.optional(Schema.Number.annotations({ description: "Give up after this many seconds (300)." }))
  },
  success: SessionOutcome,
  failure: HaiToolError
})
  .annotate(AiTool.Title, "Wait for a session")
  .annotate(AiTool.Readonly, true)
  .annotate(AiTool.Destructive, false)
  .annotate(AiTool.Idempotent, true)
  .annotate(AiTool.OpenWorld, false)

/**
 * Sends a follow-up message to a session (it wakes an idle one).
 *
 * @since 0.1.0
 * @category Tools
 */
export const SendMessage = AiTool.make("send_message", {
  description: "Send a message to a running or idle session; the agent reads it on its next step.",
  parameters: { session_id: SessionId, message: Schema.String },
  success: Schema.Struct({ session_id: Schema.String, sent: Schema.Boolean }),
  failure: HaiToolError
})
  .annotate(AiTool.Title, "Send a message to a session")
  .annotate(AiTool.Readonly, false)
  .annotate(AiTool.Destructive, false)
  .annotate(AiTool.Idempotent, false)
  .annotate(AiTool.OpenWorld, false)

/**
 * Cancels a session.
 *
 * @since 0.1.0
 * @category Tools
 */
export const CancelSession = AiTool.make("cancel_session", {
  description: "Stop a session for good; it ends `interrupted`.",
  parameters: { session_id: SessionId },
  success: Schema.Struct({ session_id: Schema.String, cancelled: Schema.Boolean }),
  failure: HaiToolError
})
  .annotate(AiTool.Title, "Cancel a session")
  .annotate(AiTool.Readonly, false)
  .annotate(AiTool.Destructive, true)
  .annotate(AiTool.Idempotent, true)
  .annotate(AiTool.OpenWorld, false)

/**
 * Creates a public replay link of a session.
 *
 * @since 0.1.0
 * @category Tools
 */
export const ShareSession = AiTool.make("share_session", {
  description: "Create a public replay link of a session (anyone with the link can watch it).",
  parameters: { session_id: SessionId },
  success: Schema.Struct({ session_id: Schema.String, share_url: Schema.String }),
  failure: HaiToolError
})
  .annotate(AiTool.Title, "Share a session")
  .annotate(AiTool.Readonly, false)
  .annotate(AiTool.Destructive, false)
  .annotate(AiTool.Idempotent, true)
  .annotate(AiTool.OpenWorld, true)

/**
 * Every tool of the server.
 *
 * @since 0.1.0
 * @category Tools
 */
export const toolkit = AiToolkit.make(
  RunAgent,
  ListAgents,
  GetSession,
  WaitForSession,
  SendMessage,
  CancelSession,
  ShareSession
)

// =============================================================================
// Progress
// =============================================================================

/**
 * The `_meta.progressToken` of the tool call being handled, when the client sent one.
 *
 * @since 0.1.0
 * @category Progress
 */
export const currentProgressToken: FiberRef.FiberRef<Option.Option<McpSchema.ProgressToken>> = FiberRef.unsafeMake(
  Option.none<McpSchema.ProgressToken>()
)

/**
 * `McpServer.McpServer` whose `tools/call` keeps the request's progress token in
 * {@link currentProgressToken} while the tool runs (the stock server drops `_meta`).
 */
const ServerLayer: Layer.Layer<McpServer.McpServer> = Layer.scoped(
  McpServer.McpServer,
  Effect.map(McpServer.McpServer.make, (server) =>
    McpServer.McpServer.of({
      ...server,
      callTool: (request) =>
        Effect.locally(
          server.callTool(request),
          currentProgressToken,
          Option.fromNullable(request._meta?.progressToken)
        )
    }))
)

const describeEvent = (item: ChangeFeed.IndexedEvent): string => {
  const data = (item.event as { readonly data?: unknown }).data as Record<string, unknown> | undefined
  const kind = typeof data?.kind === "string" ? data.kind : undefined
  const text = [data?.text, data?.content, data?.message, data?.status, data?.live_view_url].find((v) =>
    typeof v === "string"
  ) as string | undefined
  const head = kind ? `${String(item.event.type)}/${kind}` : String(item.event.type)
  return text ? `${head}: ${text.length > 200 ? `${text.slice(0, 200)}…` : text}` : head
}

// =============================================================================
// Handlers
// =============================================================================

const liveViewUrl = (events: ReadonlyArray<ChangeFeed.IndexedEvent>, fallback: string | null | undefined) => {
  for (const { event } of events) {
    if (event.type === "LiveViewUrlEvent") {
      const url = (event.data as { readonly live_view_url?: unknown }).live_view_url
      if (typeof url === "string") return url
    }
  }
  return fallback ?? null
}

const parseAnswer = (answer: unknown, structured: boolean): unknown => {
  if (!structured || typeof answer !== "string") return answer ?? null
  try {
    return JSON.parse(answer)
  } catch {
    return answer
  }
}

const outcomeOf = (result: Session.Result<unknown>, liveView: string | null, structured: boolean) => ({
  session_id: result.id,
  status: result.status,
  answer: parseAnswer(result.rawAnswer, structured),
  outcome: result.outcome ?? null,
  error: result.error ?? null,
  live_view_url: liveViewUrl(result.events, liveView),
  steps: result.metrics?.steps ?? null
})

/**
 * The tools' implementations over the `HaiAgents` client in context.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerHandlers = toolkit.toLayer(Effect.gen(function*() {
  const hai = yield* HaiAgents.HaiAgents
  const server = yield* McpServer.McpServer
  const withHai = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
    effect.pipe(
      Effect.provideService(HaiAgents.HaiAgents, hai),
      Effect.mapError(toToolError)
    )

  const progress = (token: McpSchema.ProgressToken, step: number, message: string) =>
    server.notifications["notifications/progress"]({ progressToken: token, progress: step, message }).pipe(
      Effect.ignore
    )

  return toolkit.of({
    run_agent: Effect.fn("HaiMcp.run_agent")(function*(params) {
      const token = yield* FiberRef.get(currentProgressToken)
      const structured = params.answer_schema !== undefined
      return yield* withHai(Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.start({
          agent: params.agent ?? defaultAgent,
          messages: params.task,
          maxSteps: params.max_steps,
          maxTime: params.max_time_s === undefined ? undefined : `${params.max_time_s} seconds`,
          overrides: structured ? { "agent.answer_format": params.answer_schema } : undefined
        })
        if (Option.isNone(token)) {
          const result = yield* handle.awaitSettled()
          return outcomeOf(result, handle.session.agent_view_url ?? null, structured)
        }
        yield* progress(token.value, 0, `session ${handle.id} started`)
        // Events are relayed as they come; whatever the relay has not reached when the turn settles
        // (a busy process, a session quicker than its reader) is sent from the result before the
        // answer, so a client always sees every step once, in order.
        const relayed = yield* Ref.make(-1)
        const relay = (item: ChangeFeed.IndexedEvent) =>
          Effect.zipRight(progress(token.value, item.index + 1, describeEvent(item)), Ref.set(relayed, item.index))
        const relaying = yield* handle.events.pipe(Stream.runForEach(relay), Effect.ignore, Effect.forkScoped)
        const result = yield* handle.awaitSettled()
        yield* Fiber.interrupt(relaying)
        const last = yield* Ref.get(relayed)
        yield* Effect.forEach(result.events.filter((item) => item.index > last), relay, { discard: true })
        // Notifications leave through the server's own queue, apart from the tool's answer: let it
        // drain (briefly) so the last steps reach the client before the answer that ends the call.
        yield* server.notificationsMailbox.size.pipe(
          Effect.repeat({
            schedule: Schedule.spaced("5 millis"),
            while: (size) => Option.getOrElse(size, () => 0) > 0
          }),
          Effect.timeoutOption("1 second"),
          Effect.zipRight(Effect.yieldNow())
        )
        return outcomeOf(result, handle.session.agent_view_url ?? null, structured)
      })))
    }),
    list_agents: Effect.fn("HaiMcp.list_agents")(function*(params) {
      const page = yield* withHai(hai.agents.list({ size: 100, ...(params.search ? { search: params.search } : {}) }))
      return { total: page.total, agents: page.items.map((a) => ({ name: a.name, description: a.description })) }
    }),
    get_session: Effect.fn("HaiMcp.get_session")(function*(params) {
      const session = yield* withHai(hai.sessions.get(params.session_id))
      const agent = session.request.agent
      return {
        session_id: session.id,
        agent: typeof agent === "string" ? agent : agent?.name ?? null,
        status: session.status.status,
        steps: session.status.steps ?? null,
        outcome: session.status.outcome ?? null,
        error: session.status.error ?? null,
        error_code: session.status.error_code ?? null,
        answer: session.latest_answer ?? null,
        live_view_url: session.agent_view_url ?? null,
        created_at: session.created_at,
        finished_at: session.finished_at ?? null
      }
    }),
    wait_for_session: Effect.fn("HaiMcp.wait_for_session")(function*(params) {
      return yield* withHai(Effect.scoped(Effect.gen(function*() {
        const handle = yield* Session.attach(params.session_id, { fromIndex: 0, cancelOnClose: "never" })
        const result = yield* handle.awaitSettled({ timeout: `${params.timeout_s ?? 300} seconds` })
        return outcomeOf(result, handle.session.agent_view_url ?? null, false)
      })))
    }),
    send_message: Effect.fn("HaiMcp.send_message")(function*(params) {
      yield* withHai(hai.sessions.sendMessages(params.session_id, { type: "user_message", message: params.message }))
      return { session_id: params.session_id, sent: true }
    }),
    cancel_session: Effect.fn("HaiMcp.cancel_session")(function*(params) {
      yield* withHai(hai.sessions.cancel(params.session_id))
      return { session_id: params.session_id, cancelled: true }
    }),
    share_session: Effect.fn("HaiMcp.share_session")(function*(params) {
      const link = yield* withHai(hai.sessions.share(params.session_id))
      return { session_id: params.session_id, share_url: link.share_url }
    })
  })
}))

// =============================================================================
// Servers
// =============================================================================

/**
 * The server's name and version, as announced in `initialize`.
 *
 * @since 0.1.0
 * @category Models
 */
export interface ServerOptions {
  readonly name?: string | undefined
  readonly version?: string | undefined
}

const serverInfo = (options?: ServerOptions) => ({
  name: options?.name ?? "hai-agents",
  version: options?.version ?? "0.1.0"
})

/**
 * The tools registered on an MCP server that still needs an `RpcServer.Protocol`.
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerProtocol = (
  options?: ServerOptions
): Layer.Layer<never, never, HaiAgents.HaiAgents | RpcServer.Protocol> =>
  Layer.effectDiscard(McpServer.registerToolkit(toolkit)).pipe(
    Layer.provide(layerHandlers),
    Layer.provideMerge(Layer.scopedDiscard(Effect.forkScoped(McpServer.run(serverInfo(options))))),
    Layer.provide(ServerLayer)
  )

/**
 * The server over stdio (`process.stdin`/`process.stdout`). Logs are removed from stdout; add
 * a stderr logger to see them.
 *
 * @example
 * import { NodeRuntime } from "@effect/platform-node"
 * import { Layer, Logger } from "effect"
 * import { HaiMcp } from "@hai-effect/mcp"
 * import { NodeHai } from "@hai-effect/platform-node"
 *
 * HaiMcp.layerStdio().pipe(
 *   Layer.provide(NodeHai.layerConfig()),
 *   Layer.provide(Logger.add(Logger.prettyLogger({ stderr: true }))),
 *   Layer.launch,
 *   NodeRuntime.runMain
 * )
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerStdio = (options?: ServerOptions): Layer.Layer<never, never, HaiAgents.HaiAgents> =>
  layerProtocol(options).pipe(
    Layer.provide(RpcServer.layerProtocolStdio({ stdin: NodeStream.stdin, stdout: NodeSink.stdout })),
    Layer.provide(RpcSerialization.layerNdJsonRpc()),
    Layer.provide(Logger.remove(Logger.defaultLogger)),
    Layer.provide(Logger.remove(Logger.prettyLoggerDefault))
  )

/**
 * The server over streamable HTTP at `path` (default `/mcp`) of the `HttpServer` in context,
 * guarded by {@link HttpSecurity.guard}: the `Host` must be loopback or in `allowedHosts`, a
 * browser's `Origin` loopback or in `allowedOrigins`, a `POST` JSON, and every request but
 * `initialize` must carry the `Mcp-Session-Id` that `initialize` answered with. Give a `token` to
 * require `Authorization: Bearer <token>`; do so whenever the server listens beyond loopback. Bind
 * the `HttpServer` to `127.0.0.1` unless other machines must reach it.
 *
 * @example
 * import { NodeHttpServer, NodeRuntime } from "@effect/platform-node"
 * import { Layer } from "effect"
 * import { createServer } from "node:http"
 * import { HaiMcp } from "@hai-effect/mcp"
 * import { NodeHai } from "@hai-effect/platform-node"
 *
 * HaiMcp.layerHttp({ path: "/mcp" }).pipe(
 *   Layer.provide(NodeHai.layerConfig()),
 *   Layer.provide(NodeHttpServer.layer(createServer, { port: 3000, host: "127.0.0.1" })),
 *   Layer.launch,
 *   NodeRuntime.runMain
 * )
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerHttp = (
  options?: ServerOptions & HttpSecurity.Options & { readonly path?: HttpRouter.PathInput | undefined }
): Layer.Layer<never, never, HaiAgents.HaiAgents | HttpServer.HttpServer> =>
  Layer.mergeAll(
    layerProtocol(options).pipe(
      Layer.provide(
        Layer.effect(
          RpcServer.Protocol,
          Effect.gen(function*() {
            const { httpApp, protocol } = yield* RpcServer.makeProtocolWithHttpApp
            const router = yield* HttpRouter.Default
            yield* router.all(options?.path ?? "/mcp", HttpSecurity.guard(options)(httpApp))
            return protocol
          })
        ).pipe(Layer.provide(HttpRouter.Default.Live))
      ),
      Layer.provide(RpcSerialization.layerJsonRpc())
    ),
    HttpRouter.Default.serve()
  )
