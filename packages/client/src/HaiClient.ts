/**
 * A Promise facade over `@hai-effect/core` for code that is not written with Effect. Method
 * names follow the official TypeScript SDK (`runSession`, `startSession`, `waitForCompletion`,
 * `sendMessage`, `client.sessions.list`, ...). Underneath, every call runs on one
 * `ManagedRuntime` of `HaiAgents` over `FetchHttpClient` (Node 18+, Bun, Deno, browsers, edge).
 *
 * - An `AbortSignal` interrupts the call; for `runSession` and `startSession` that cancels the
 *   remote session too (unless it already settled).
 * - Errors keep their tags and classes: `err._tag === "NotFound"`, `err instanceof NotFound`.
 * - `close()` (or `await using client = new HaiClient()`) closes open session handles (cancelling
 *   sessions that did not settle) and disposes the runtime.
 *
 * @example
 * import { HaiClient } from "@hai-effect/client"
 *
 * const client = new HaiClient() // reads HAI_API_KEY
 * const result = await client.runSession({
 *   agent: "h/web-surfer-holo3-1-35b",
 *   messages: "What are the top 3 stories on Hacker News right now?"
 * })
 * console.log(result.status, result.answer)
 * await client.close()
 *
 * @since 0.1.0
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpClient from "@effect/platform/HttpClient"
import type * as ChangeFeed from "@hai-effect/core/ChangeFeed"
import * as HaiAgents from "@hai-effect/core/HaiAgents"
import * as RetryPolicy from "@hai-effect/core/RetryPolicy"
import * as Session from "@hai-effect/core/Session"
import * as Tool from "@hai-effect/core/Tool"
import * as Toolkit from "@hai-effect/core/Toolkit"
import type * as Wire from "@hai-effect/core/Wire"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as ConfigError from "effect/ConfigError"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as ManagedRuntime from "effect/ManagedRuntime"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import type * as Schema from "effect/Schema"
import * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import { ConfigurationError, UnexpectedError } from "./ClientError.js"

// =============================================================================
// Options
// =============================================================================

/**
 * @since 0.1.0
 * @category Models
 */
export interface ClientOptions {
  /** The API key (`hk-...`). Default: `HAI_API_KEY` (or `H_API_KEY`) from the environment. */
  readonly apiKey?: string | Redacted.Redacted<string> | undefined
  /** `"eu"` (default) or `"us"`, when no `baseUrl` is given. */
  readonly environment?: HaiAgents.Environment | undefined
  /** A custom URL; default: `HAI_API_BASE_URL`, else the region's URL. */
  readonly baseUrl?: string | URL | undefined
  /** Per-request timeout: milliseconds or a duration (`"2 minutes"`). Default 60 seconds. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Retries of a failed request that is safe to retry. Default 2. */
  readonly maxRetries?: number | undefined
  /** Extra headers on every request. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** The `fetch` to use (a mock, a proxy agent). Default: the global `fetch`. */
  readonly fetch?: typeof globalThis.fetch | undefined
  /** Replaces the HTTP client layer entirely (an Effect `HttpClient`), for advanced use. */
  readonly httpClient?: Layer.Layer<HttpClient.HttpClient> | undefined
  /** Names the caller in `X-HCompany-Client-Name`. */
  readonly clientName?: string | undefined
}

/**
 * Options of one call.
 *
 * @since 0.1.0
 * @category Models
 */
export interface RequestOptions {
  /** Aborts the call; for `runSession`/`startSession` it also cancels the session. */
  readonly signal?: AbortSignal | undefined
}

/**
 * How long to wait for a session to settle.
 *
 * @since 0.1.0
 * @category Models
 */
export interface WaitOptions extends RequestOptions {
  /** Give up (with `WaitTimeout`) after this long: milliseconds or a duration. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Ask the agent to answer now after this long. */
  readonly softDeadline?: Duration.DurationInput | undefined
  /** Cancel the session after this long. */
  readonly hardDeadline?: Duration.DurationInput | undefined
}

/**
 * A tool the agent may call, with a plain (sync or async) handler. Its arguments are decoded with
 * `parameters` (an Effect Schema) before the handler runs; a handler that throws is reported to
 * the agent as a tool error.
 *
 * @since 0.1.0
 * @category Models
 */
export interface ToolSpec<P = any, PI = any> {
  readonly name: string
  readonly description: string
  readonly parameters: Schema.Schema<P, PI>
  readonly handler: (args: P) => unknown
}

/**
 * Makes a {@link ToolSpec} with its argument type inferred from `parameters`.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const tool = <P, PI>(spec: ToolSpec<P, PI>): ToolSpec<P, PI> => spec

/**
 * What to start: the core request, with `tools` as plain {@link ToolSpec}s (or a core `Toolkit`).
 *
 * @since 0.1.0
 * @category Models
 */
export interface SessionRequest<A = unknown, I = unknown>
  extends Omit<Session.StartRequest<A, I, Toolkit.Toolkit<never>>, "tools" | "cancelOnClose" | "onEvent">
{
  readonly tools?: ReadonlyArray<ToolSpec> | Toolkit.Toolkit<Tool.Any> | undefined
  /** Called with each event as it arrives, in order, before the turn it belongs to settles. */
  readonly onEvent?: ((event: ChangeFeed.IndexedEvent) => void) | undefined
}

/**
 * What {@link HaiClient.runSession} takes.
 *
 * @since 0.1.0
 * @category Models
 */
export interface RunSessionRequest<A = unknown, I = unknown> extends SessionRequest<A, I> {}

/**
 * How a session (or a turn) settled.
 *
 * @since 0.1.0
 * @category Models
 */
export type SessionResult<A> = Session.Result<A>

// =============================================================================
// Errors and running
// =============================================================================

/**
 * The error a failed call rejects with: an `Error` with a `_tag` (the SDK's tagged error itself, a
 * `ConfigurationError`, or an `UnexpectedError` around anything else), or the signal's reason when
 * the call was aborted.
 */
const abortReason = (signal: AbortSignal): unknown =>
  signal.reason ?? new DOMException("The operation was aborted.", "AbortError")

const describe = (value: unknown): string => {
  const text = value instanceof Error ? `${value.name}: ${value.message}` : typeof value === "string" ? value : (() => {
    try {
      return JSON.stringify(value) ?? String(value)
    } catch {
      return String(value)
    }
  })()
  return text.length > 500 ? `${text.slice(0, 500)}…` : text
}

const unexpected = (value: unknown): UnexpectedError =>
  new UnexpectedError({
    message: `Unexpected error: ${
      describe(value)
    }. Either a callback you passed (such as onEvent) threw, or this is a bug in @hai-effect/client: please report it. \`cause\` holds what was thrown.`,
    cause: value
  })

// Paths of the variables a ConfigError is about (MissingData, InvalidData, ... leaves).
const configPaths = (error: ConfigError.ConfigError): ReadonlyArray<string> => {
  switch (error._op) {
    case "And":
    case "Or":
      return [...configPaths(error.left), ...configPaths(error.right)]
    default:
      return [error.path.join(".")]
  }
}

const fromConfigError = (error: ConfigError.ConfigError): ConfigurationError => {
  const variables = [...new Set(configPaths(error))].filter((path) => path.length > 0)
  return new ConfigurationError({
    option: "?",
    variables,
    message: `The client's configuration could not be read (${
      variables.join(", ") || "the ConfigProvider"
    }). Pass the matching option to new HaiClient(...) or fix the variable.`
  })
}

const isTaggedError = (value: unknown): value is Error & { readonly _tag: string } =>
  value instanceof Error && typeof (value as { readonly _tag?: unknown })._tag === "string"

const asTaggedError = (value: unknown): Error =>
  isTaggedError(value)
    ? value
    : ConfigError.isConfigError(value)
    ? fromConfigError(value)
    : unexpected(value)

const toError = (cause: Cause.Cause<unknown>, signal?: AbortSignal): unknown => {
  if (Cause.isInterruptedOnly(cause) && signal?.aborted) return abortReason(signal)
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return asTaggedError(failure.value)
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect)) return unexpected(defect.value)
  // interrupted without a signal of ours: Effect's InterruptedException, itself a tagged Error
  return asTaggedError(Cause.squash(cause))
}

const toToolkit = (tools: SessionRequest["tools"]): Toolkit.Toolkit<Tool.Any> | undefined => {
  if (tools === undefined) return undefined
  if (!Array.isArray(tools)) return tools as Toolkit.Toolkit<Tool.Any>
  return Toolkit.make(
    ...(tools as ReadonlyArray<ToolSpec>).map((spec) =>
      Tool.make(spec.name, {
        description: spec.description,
        parameters: spec.parameters,
        handler: (args) =>
          Effect.tryPromise({
            try: async () => await spec.handler(args),
            catch: (error) => error
          })
      })
    )
  )
}

const toStartRequest = <A, I>(request: SessionRequest<A, I>): Session.StartRequest<A, I, Toolkit.Toolkit<Tool.Any>> => {
  const { onEvent, tools, ...rest } = request
  const toolkit = toToolkit(tools)
  return {
    ...rest,
    ...(toolkit !== undefined ? { tools: toolkit } : {}),
    ...(onEvent !== undefined ? { onEvent: (event: ChangeFeed.IndexedEvent) => Effect.sync(() => onEvent(event)) } : {})
  }
}

type Runtime = ManagedRuntime.ManagedRuntime<HaiAgents.HaiAgents, unknown>

interface Runner {
  readonly runtime: Runtime
  readonly run: <A, E>(effect: Effect.Effect<A, E, HaiAgents.HaiAgents>, signal?: AbortSignal) => Promise<A>
  readonly iterate: <A, E>(
    stream: Stream.Stream<A, E, HaiAgents.HaiAgents>,
    signal?: AbortSignal
  ) => AsyncIterable<A>
}

const makeRunner = (runtime: Runtime): Runner => {
  const run = async <A, E>(effect: Effect.Effect<A, E, HaiAgents.HaiAgents>, signal?: AbortSignal): Promise<A> => {
    if (signal?.aborted) throw abortReason(signal) // like fetch: nothing is sent
    const exit = await runtime.runPromiseExit(effect, signal ? { signal } : undefined)
    if (Exit.isSuccess(exit)) return exit.value
    throw toError(exit.cause, signal)
  }
  const iterate = <A, E>(stream: Stream.Stream<A, E, HaiAgents.HaiAgents>, signal?: AbortSignal): AsyncIterable<A> => ({
    [Symbol.asyncIterator]: async function*() {
      if (signal?.aborted) throw abortReason(signal)
      const scope = await run(Scope.make())
      try {
        const pull = await run(Scope.extend(Stream.toPull(stream), scope))
        while (true) {
          const exit = await runtime.runPromiseExit(pull, signal ? { signal } : undefined)
          if (Exit.isSuccess(exit)) {
            for (const item of Chunk.toReadonlyArray(exit.value)) {
              if (signal?.aborted) throw abortReason(signal)
              yield item
            }
            continue
          }
          const failure = Cause.failureOption(exit.cause as Cause.Cause<unknown>)
          if (Option.isSome(failure)) {
            const error = failure.value
            if (!Option.isOption(error)) throw asTaggedError(error) // the runtime's layer failed
            if (Option.isNone(error)) return // the stream ended
            throw error.value
          }
          throw toError(exit.cause, signal)
        }
      } finally {
        await runtime.runPromise(Scope.close(scope, Exit.void))
      }
    }
  })
  return { runtime, run, iterate }
}

// =============================================================================
// Resource namespaces
// =============================================================================

/**
 * A core resource group as Promises: each Effect method returns a Promise, each Stream method
 * (`listAll`, `eventsAll`, `runsAll`) an async iterable that fetches pages as it is read.
 *
 * @since 0.1.0
 * @category Models
 */
export type Promisified<T> = {
  readonly [K in keyof T]: T[K] extends (...args: infer P) => Effect.Effect<infer A, any, any>
    ? (...args: P) => Promise<A>
    : T[K] extends (...args: infer P) => Stream.Stream<infer A, any, any> ? (...args: P) => AsyncIterable<A>
    : never
}

type Resources = Omit<HaiAgents.Service, "options">
type GroupName = keyof Resources

// Every method of every group, so that a group is a plain object of exactly these (a Proxy that
// answered any name made `await client.sessions` wait on a `then` that never settled). Methods
// ending in `All` return Streams. The check below fails to compile when core gains a method that
// is not listed here.
const groupMethods = {
  sessions: [
    "create",
    "list",
    "listAll",
    "quota",
    "get",
    "cancel",
    "status",
    "sendMessages",
    "sendToolResults",
    "pause",
    "resume",
    "forceAnswer",
    "changes",
    "events",
    "eventsAll",
    "feedback",
    "eventFeedback",
    "share",
    "unshare",
    "resource"
  ],
  skills: ["create", "list", "listAll", "get", "update", "patch", "delete"],
  environments: ["create", "list", "listAll", "get", "update", "patch", "delete"],
  agents: ["create", "list", "listAll", "get", "update", "patch", "delete"],
  webhooks: ["create", "list", "listAll", "eventTypes", "get", "update", "delete", "rotateSecret", "ping"],
  schedules: ["create", "list", "listAll", "get", "update", "delete", "pause", "resume", "trigger", "runs", "runsAll"],
  browserProfiles: [
    "list",
    "listAll",
    "initiateUpload",
    "completeUpload",
    "getDefault",
    "setDefault",
    "unsetDefault",
    "get",
    "delete"
  ],
  vaults: ["create", "list", "listAll", "get", "update", "delete", "rotateToken", "health"],
  files: ["list", "read", "write"],
  quota: ["tokens"]
} as const satisfies { readonly [G in GroupName]: ReadonlyArray<keyof Resources[G]> }

type Unlisted = { [G in GroupName]: Exclude<keyof Resources[G], (typeof groupMethods)[G][number]> }[GroupName]
// A compile error here names the core methods missing from `groupMethods`.
const everyMethodListed: [Unlisted] extends [never] ? true : Unlisted = true
void everyMethodListed

const makeGroup = <G extends GroupName>(runner: Runner, group: G): Promisified<Resources[G]> => {
  const methods: Record<string, (...args: ReadonlyArray<unknown>) => unknown> = {}
  for (const method of groupMethods[group] as ReadonlyArray<string>) {
    const call = (hai: HaiAgents.Service, args: ReadonlyArray<unknown>) =>
      (hai[group] as unknown as Record<string, (...args: ReadonlyArray<unknown>) => unknown>)[method](...args)
    methods[method] = method.endsWith("All")
      ? (...args) =>
        runner.iterate(
          Stream.unwrap(Effect.map(HaiAgents.HaiAgents, (hai) => call(hai, args) as Stream.Stream<unknown, unknown>))
        )
      : (...args) =>
        runner.run(Effect.flatMap(HaiAgents.HaiAgents, (hai) => call(hai, args) as Effect.Effect<unknown, unknown>))
  }
  return Object.freeze(methods) as unknown as Promisified<Resources[G]>
}

// =============================================================================
// The session handle
// =============================================================================

/**
 * A started session: read its progress, steer it, wait for it. `close()` stops watching it and
 * cancels it if it has not settled.
 *
 * @since 0.1.0
 * @category Models
 */
export class SessionHandle<A = unknown> {
  /** @internal */
  constructor(
    private readonly runner: Runner,
    private readonly handle: Session.Handle<A>,
    private readonly scope: Scope.CloseableScope,
    private readonly onClose: () => void
  ) {
    this.id = handle.id
    this.session = handle.session
  }

  /** The session id. */
  readonly id: string
  /** The session as created. */
  readonly session: Wire.Session
  private closed = false

  /** A cheap snapshot from the service: state, step count, token usage. */
  status(options?: RequestOptions): Promise<Wire.SessionStatus> {
    return this.runner.run(Effect.flatMap(HaiAgents.HaiAgents, (hai) => hai.sessions.status(this.id)), options?.signal)
  }

  /** The latest status the watcher saw (no request). */
  lastStatus(): Promise<Wire.TrajectoryStatus> {
    return this.runner.run(this.handle.status)
  }

  /** The full Session resource. */
  get(options?: RequestOptions): Promise<Wire.Session> {
    return this.runner.run(this.handle.get, options?.signal)
  }

  /**
   * The session's events from `fromIndex` (default 0), long-polled from the service; ends when
   * the session settles (or, with `until: "terminal"`, when it ends).
   */
  changes(
    options?: ChangeFeed.Options & RequestOptions
  ): AsyncIterable<ChangeFeed.IndexedEvent> {
    const { signal, ...feed } = options ?? {}
    return this.runner.iterate(this.handle.changes(feed), signal)
  }

  /** Every event this handle's watcher has seen and will see, from the start; ends with the session. */
  events(options?: RequestOptions): AsyncIterable<ChangeFeed.IndexedEvent> {
    return this.runner.iterate(this.handle.events, options?.signal)
  }

  /** Waits until the current turn settles and returns its result (the answer decoded). */
  waitForCompletion(options?: WaitOptions): Promise<SessionResult<A>> {
    const { signal, ...wait } = options ?? {}
    return this.runner.run(this.handle.awaitSettled(wait), signal)
  }

  /** Sends a message (text, `{ message, images }`, or `{ type: "user_message", message }`); wakes an idle session. */
  sendMessage(
    message:
      | Session.Message
      | { readonly type: "user_message"; readonly message: string }
      | ReadonlyArray<Session.Message>,
    options?: RequestOptions
  ): Promise<void> {
    const input = typeof message === "object" && !Array.isArray(message) && "type" in message
      ? { message: message.message }
      : message as Session.Message | ReadonlyArray<Session.Message>
    return this.runner.run(this.handle.send(input), options?.signal)
  }

  /** Halts the agent with its state preserved. */
  pause(options?: RequestOptions): Promise<void> {
    return this.runner.run(this.handle.pause, options?.signal)
  }

  /** Continues where it left off. */
  resume(options?: RequestOptions): Promise<void> {
    return this.runner.run(this.handle.resume, options?.signal)
  }

  /** Stops exploring and answers from what it has. */
  forceAnswer(options?: RequestOptions): Promise<void> {
    return this.runner.run(this.handle.forceAnswer, options?.signal)
  }

  /** Stops for good; the session ends `interrupted`. */
  cancel(options?: RequestOptions): Promise<void> {
    return this.runner.run(this.handle.cancel, options?.signal)
  }

  /** A public replay link. */
  share(options?: RequestOptions): Promise<Wire.ShareLink> {
    return this.runner.run(this.handle.share, options?.signal)
  }

  /** Revokes the replay link. */
  unshare(options?: RequestOptions): Promise<void> {
    return this.runner.run(this.handle.unshare, options?.signal)
  }

  /** Stops watching; cancels the session if it has not settled. Safe to call twice. */
  async close(): Promise<void> {
    if (this.closed) return
    this.closed = true
    this.onClose()
    await this.runner.runtime.runPromise(Scope.close(this.scope, Exit.void))
  }

  /** `await using session = await client.startSession(...)` */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}

// =============================================================================
// The client
// =============================================================================

const keyVariables = ["HAI_API_KEY", "H_API_KEY"]

const isHttpUrl = (value: string): boolean => {
  try {
    const url = new URL(value)
    return url.protocol === "http:" || url.protocol === "https:"
  } catch {
    return false
  }
}

// Reads what the options leave out from the environment (through the ConfigProvider), and checks
// it, so that a client that cannot work says why in a ConfigurationError rather than a raw
// ConfigError or a defect.
const resolveConnection = (options: ClientOptions) =>
  Effect.gen(function*() {
    const given = options.apiKey === undefined
      ? undefined
      : Redacted.isRedacted(options.apiKey)
      ? options.apiKey
      : Redacted.make(options.apiKey)
    const apiKey = given !== undefined && Redacted.value(given).trim().length > 0
      ? given
      : Option.getOrUndefined(yield* Effect.option(HaiAgents.config.apiKey))
    if (apiKey === undefined) {
      return yield* new ConfigurationError({
        option: "apiKey",
        variables: keyVariables,
        message: given !== undefined
          ? "The apiKey given to new HaiClient() is empty. Pass the key (\"hk-...\"), or leave it out to read HAI_API_KEY."
          : "No API key: pass { apiKey: \"hk-...\" } to new HaiClient(), or set HAI_API_KEY (or H_API_KEY) in the environment."
      })
    }
    const fromOption = options.baseUrl !== undefined && String(options.baseUrl).trim().length > 0
    const baseUrl = fromOption
      ? String(options.baseUrl)
      : Option.getOrUndefined(yield* Effect.mapError(HaiAgents.config.baseUrl, fromConfigError))
    if (baseUrl !== undefined && !isHttpUrl(baseUrl)) {
      return yield* new ConfigurationError({
        option: "baseUrl",
        variables: ["HAI_API_BASE_URL"],
        message: `The base URL ${
          fromOption ? "given as the baseUrl option" : "in HAI_API_BASE_URL"
        } is not an http(s) URL (its value is not shown, in case it is a key pasted in the wrong place). Pass { baseUrl: "https://agp.eu.hcompany.ai" }, fix HAI_API_BASE_URL, or leave both out for the region's URL.`
      })
    }
    return { apiKey, baseUrl }
  })

const makeLayer = (options: ClientOptions): Layer.Layer<HaiAgents.HaiAgents, ConfigurationError> => {
  const http = options.httpClient
    ?? (options.fetch === undefined
      ? FetchHttpClient.layer
      : FetchHttpClient.layer.pipe(Layer.provide(Layer.succeed(FetchHttpClient.Fetch, options.fetch))))
  const common = {
    environment: options.environment,
    timeout: options.timeout,
    headers: options.headers,
    clientName: options.clientName,
    retrySchedule: options.maxRetries === undefined ? undefined : options.maxRetries <= 0
      ? RetryPolicy.none
      : RetryPolicy.backoff({ retries: options.maxRetries })
  }
  return Layer.unwrapEffect(
    Effect.map(resolveConnection(options), ({ apiKey, baseUrl }) => HaiAgents.layer({ ...common, apiKey, baseUrl }))
  ).pipe(Layer.provide(http))
}

/**
 * The client. One instance holds one runtime (one connection pool); share it.
 *
 * @example
 * import { HaiClient } from "@hai-effect/client"
 *
 * await using client = new HaiClient({ environment: "us" })
 * const session = await client.startSession({
 *   agent: "h/web-surfer-holo3-1-35b",
 *   messages: "Find the top story on Hacker News",
 *   idleTimeout: "10 minutes"
 * })
 * const first = await session.waitForCompletion()
 * await session.sendMessage("Now summarize its comments")
 * const second = await session.waitForCompletion({ timeout: "5 minutes" })
 * await session.close()
 *
 * @since 0.1.0
 * @category Clients
 */
export class HaiClient {
  constructor(options: ClientOptions = {}) {
    this.runtime = ManagedRuntime.make(makeLayer(options))
    this.runner = makeRunner(this.runtime)
    this.sessions = makeGroup(this.runner, "sessions")
    this.skills = makeGroup(this.runner, "skills")
    this.environments = makeGroup(this.runner, "environments")
    this.agents = makeGroup(this.runner, "agents")
    this.webhooks = makeGroup(this.runner, "webhooks")
    this.schedules = makeGroup(this.runner, "schedules")
    this.browserProfiles = makeGroup(this.runner, "browserProfiles")
    this.vaults = makeGroup(this.runner, "vaults")
    this.files = makeGroup(this.runner, "files")
    this.quota = makeGroup(this.runner, "quota")
  }

  /** The Effect runtime underneath (to run your own Effects against this client). */
  readonly runtime: ManagedRuntime.ManagedRuntime<HaiAgents.HaiAgents, unknown>
  private readonly runner: Runner
  private readonly handles = new Set<SessionHandle<any>>()

  readonly sessions: Promisified<HaiAgents.Service["sessions"]>
  readonly skills: Promisified<HaiAgents.Service["skills"]>
  readonly environments: Promisified<HaiAgents.Service["environments"]>
  readonly agents: Promisified<HaiAgents.Service["agents"]>
  readonly webhooks: Promisified<HaiAgents.Service["webhooks"]>
  readonly schedules: Promisified<HaiAgents.Service["schedules"]>
  readonly browserProfiles: Promisified<HaiAgents.Service["browserProfiles"]>
  readonly vaults: Promisified<HaiAgents.Service["vaults"]>
  readonly files: Promisified<HaiAgents.Service["files"]>
  readonly quota: Promisified<HaiAgents.Service["quota"]>

  /**
   * Where the client points (base URL, region, timeout). A Promise, because the client is built
   * on first use: this reads the environment for what the options left out, and rejects with a
   * `ConfigurationError` when the client cannot work (no key, a bad base URL). No request is sent.
   */
  options(): Promise<HaiAgents.ResolvedOptions> {
    return this.runner.run(Effect.map(HaiAgents.HaiAgents, (hai) => hai.options))
  }

  /** `JSON.stringify(client)`: what it is, never its key or runtime. */
  toJSON(): { readonly _id: "HaiClient" } {
    return { _id: "HaiClient" }
  }

  /**
   * Starts a session, waits until it settles, and returns its result (the answer decoded with
   * `answer` when given). Rejects with `SessionFailed` for failed, timed-out or interrupted
   * sessions. Aborting `signal` cancels the session.
   */
  runSession<A = unknown, I = unknown>(
    request: RunSessionRequest<A, I>,
    options?: WaitOptions
  ): Promise<SessionResult<A>> {
    const { signal, ...wait } = options ?? {}
    return this.runner.run(Session.run({ ...toStartRequest(request), ...wait }), signal)
  }

  /**
   * Starts a session and returns its handle at once. If `signal` aborts (during the start or
   * later), the handle is closed and the session cancelled unless it settled.
   */
  async startSession<A = unknown, I = unknown>(
    request: SessionRequest<A, I>,
    options?: RequestOptions
  ): Promise<SessionHandle<A>> {
    const signal = options?.signal
    const scope = await this.runner.run(Scope.make())
    let handle: Session.Handle<A>
    try {
      handle = await this.runner.run(Scope.extend(Session.start(toStartRequest(request)), scope), signal)
    } catch (error) {
      await this.runtime.runPromise(Scope.close(scope, Exit.void))
      throw error
    }
    const onAbort = () => void session.close()
    const session: SessionHandle<A> = new SessionHandle(this.runner, handle, scope, () => {
      this.handles.delete(session)
      signal?.removeEventListener("abort", onAbort)
    })
    this.handles.add(session)
    if (signal?.aborted) await session.close()
    else signal?.addEventListener("abort", onAbort, { once: true })
    return session
  }

  /**
   * A handle on a session that already exists (from `fromIndex`, default 0). Closing it does not
   * cancel the session.
   */
  async attachSession<A = unknown, I = unknown>(
    sessionId: string,
    options?: RequestOptions & {
      readonly fromIndex?: number | undefined
      readonly answer?: Schema.Schema<A, I> | undefined
      readonly tools?: SessionRequest["tools"]
    }
  ): Promise<SessionHandle<A>> {
    const scope = await this.runner.run(Scope.make())
    let handle: Session.Handle<A>
    try {
      const toolkit = toToolkit(options?.tools)
      handle = await this.runner.run(
        Scope.extend(
          Session.attach<A, I, Toolkit.Toolkit<Tool.Any>>(sessionId, {
            fromIndex: options?.fromIndex,
            answer: options?.answer,
            ...(toolkit ? { tools: toolkit } : {})
          }),
          scope
        ),
        options?.signal
      )
    } catch (error) {
      await this.runtime.runPromise(Scope.close(scope, Exit.void))
      throw error
    }
    const session: SessionHandle<A> = new SessionHandle(this.runner, handle, scope, () => this.handles.delete(session))
    this.handles.add(session)
    return session
  }

  /** Closes every open session handle (cancelling unsettled sessions), then disposes the runtime. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.handles].map((h) => h.close()))
    await this.runtime.dispose()
  }

  /** `await using client = new HaiClient()` */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close()
  }
}
