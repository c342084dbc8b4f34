/**
 * A faithful local emulator of H Company's Computer-Use Agents API (v2), as an Effect `HttpApp`:
 * mount it in-process as an `HttpClient` (TestClock-driven tests, no socket) or serve it over
 * a real socket.
 *
 * @since 1.0.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as NodeHttpServerRequest from "@effect/platform-node/NodeHttpServerRequest"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServer from "@effect/platform/HttpServer"
import type * as HttpServerError from "@effect/platform/HttpServerError"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { createServer } from "node:http"
import * as Faults from "./Faults.js"
import * as Catalog from "./internal/catalog.js"
import type { Reply } from "./internal/reply.js"
import { detail, json } from "./internal/reply.js"
import * as Resources from "./internal/resources.js"
import * as Sessions from "./internal/sessions.js"
import { match } from "./internal/spec.js"
import { validateRequest, validateResponse } from "./internal/validation.js"
import * as Webhooks from "./internal/webhooks.js"
import * as Scenario from "./Scenario.js"

// =============================================================================
// Tags
// =============================================================================

/**
 * The emulator service.
 *
 * @example
 * ```ts
 * import * as Emulator from "@hai-effect/emulator/Emulator"
 * import * as Effect from "effect/Effect"
 *
 * const program = Effect.gen(function*() {
 *   const emulator = yield* Emulator.Emulator
 *   const stats = yield* emulator.stats
 *   return stats.sessionsCreated
 * }).pipe(Effect.provide(Emulator.layer()))
 * ```
 *
 * @since 1.0.0
 * @category Tags
 */
export class Emulator extends Context.Tag("@hai-effect/emulator/Emulator")<Emulator, Service>() {}

/**
 * @since 1.0.0
 * @category Models
 */
export interface Service {
  /** The base URL to give an SDK (in-process: `"http://emulator.local"`). */
  readonly baseUrl: string
  /** The first configured API key (or `"hk-emulator"` when any key is accepted). */
  readonly apiKey: string
  /** The whole API as one `HttpApp`. */
  readonly app: HttpApp.Default<never, HttpServerRequest.HttpServerRequest>
  /** Script the agent with that name (catalog or inline agent name); a new name joins the catalog. */
  readonly registerScenario: (agentName: string, scenario: Scenario.Scenario) => Effect.Effect<void>
  readonly stats: Effect.Effect<Stats>
  /** A session's current state, for assertions. */
  readonly session: (id: string) => Effect.Effect<Option.Option<SessionSnapshot>>
  /** Every session's current state. */
  readonly sessions: Effect.Effect<ReadonlyArray<SessionSnapshot>>
  readonly setFaults: (config: Faults.Config) => Effect.Effect<void>
  /** Webhook deliveries made so far (signed bodies and headers, response status). */
  readonly deliveries: Effect.Effect<ReadonlyArray<Delivery>>
  /** Responses that did not match the spec (only recorded with `validateResponses`). */
  readonly responseViolations: Effect.Effect<ReadonlyArray<ResponseViolation>>
}

/**
 * @since 1.0.0
 * @category Models
 */
export interface Stats {
  readonly sessionsCreated: number
  readonly sessionsByStatus: Readonly<Record<string, number>>
  /** Sessions that are not settled (neither idle nor terminal). */
  readonly sessionsUnsettled: number
  /** Sessions holding a concurrency slot (pending, running, paused, awaiting_tool_results). */
  readonly sessionsActive: number
  /** Requests by `"METHOD /path/template"` (unknown routes under `"METHOD ?"`). */
  readonly requestsByRoute: Readonly<Record<string, number>>
  readonly requestsTotal: number
}

/**
 * @since 1.0.0
 * @category Models
 */
export interface SessionSnapshot {
  readonly id: string
  readonly agent: string
  readonly request: Record<string, unknown>
  readonly status: string
  readonly events: ReadonlyArray<{ readonly timestamp: string; readonly type: string; readonly data: unknown }>
  readonly answer: unknown
  readonly outcome: string | null
  readonly error: string | null
  readonly errorCode: string | null
  readonly steps: number
  readonly pendingToolCalls: ReadonlyArray<{ readonly tool_name: string; readonly args: unknown; readonly id: string }>
}

/**
 * @since 1.0.0
 * @category Models
 */
export interface Delivery extends Webhooks.Delivery {}

/**
 * @since 1.0.0
 * @category Models
 */
export interface ResponseViolation {
  readonly route: string
  readonly status: number
  readonly errors: ReadonlyArray<string>
}

/**
 * @since 1.0.0
 * @category Models
 */
export interface Options {
  /** Accepted keys (default `["hk-emulator"]`); `[]` accepts any bearer key (one is still required). */
  readonly apiKeys?: ReadonlyArray<string>
  /** The org's concurrent-session quota (default 10). */
  readonly concurrency?: number
  /** `"eu"` (default) ends one-shot runs `idle`, `"us"` ends them `completed`. */
  readonly region?: "eu" | "us"
  /** Seed of the PRNG behind ids and faults (default 1). */
  readonly seed?: number
  readonly faults?: Faults.Config
  /** How long a scripted step "thinks" (default 300 millis); `cancelDelay`: DELETE to `interrupted`. */
  readonly tick?: Duration.DurationInput
  readonly cancelDelay?: Duration.DurationInput
  /** Check every response against the spec; a mismatch becomes a 500 and is recorded. */
  readonly validateResponses?: boolean
  /** The client used for webhook deliveries (default: fetch). */
  readonly webhookClient?: HttpClient.HttpClient
  /** Reported `baseUrl` (default `"http://emulator.local"`). */
  readonly baseUrl?: string
}

/**
 * The socket server started by {@link layerServer}.
 *
 * @example
 * ```ts
 * import * as Emulator from "@hai-effect/emulator/Emulator"
 * import * as Effect from "effect/Effect"
 *
 * const url = Effect.map(Emulator.EmulatorServer, (s) => s.url)
 * ```
 *
 * @since 1.0.0
 * @category Tags
 */
export class EmulatorServer extends Context.Tag("@hai-effect/emulator/EmulatorServer")<EmulatorServer, {
  readonly url: string
  readonly port: number
}>() {}

// =============================================================================
// Constructors
// =============================================================================

const DROP = "x-hai-emulator-drop"

const uuidFrom = (next: () => number) => () => {
  const hex: Array<string> = []
  for (let i = 0; i < 32; i++) hex.push(Math.floor(next() * 16).toString(16))
  hex[12] = "4"
  hex[16] = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)
  const h = hex.join("")
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

const toResponse = (reply: Reply): HttpServerResponse.HttpServerResponse => {
  const headers = reply.drop === true ? { ...reply.headers, [DROP]: "1" } : reply.headers ?? {}
  return reply.body === undefined
    ? HttpServerResponse.empty({ status: reply.status, headers })
    : HttpServerResponse.unsafeJson(reply.body, { status: reply.status, headers })
}

/**
 * Build the emulator (its background agents run in the surrounding scope).
 *
 * @example
 * ```ts
 * import * as Emulator from "@hai-effect/emulator/Emulator"
 * import * as Effect from "effect/Effect"
 *
 * const emulator = Effect.scoped(Emulator.make({ concurrency: 2 }))
 * ```
 *
 * @since 1.0.0
 * @category Constructors
 */
export const make = (options: Options = {}) =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const keys = options.apiKeys ?? ["hk-emulator"]
    const seed = options.seed ?? 1
    const idRandom = Faults.prng(seed)
    const faultRandom = Faults.prng(seed ^ 0x5bd1e995)
    const hookRandom = Faults.prng(seed ^ 0x27d4eb2d)
    const nextId = uuidFrom(idRandom)
    const faults = yield* Ref.make<Faults.Config>(options.faults ?? Faults.none)
    const scenarios = yield* Ref.make(new Map<string, Scenario.Scenario>())
    // Requests by route, counted in place (a copy of the map per request was pure garbage).
    const requests = new Map<string, number>()
    const violations = yield* Ref.make<ReadonlyArray<ResponseViolation>>([])
    const webhookClient = options.webhookClient
      ?? (yield* Effect.provide(HttpClient.HttpClient, FetchHttpClient.layer))

    const webhooks = yield* Webhooks.make({ scope, client: webhookClient, nextId, random: hookRandom, faults })
    const resources = yield* Resources.make({ nextId })

    const sessions = yield* Sessions.make({
      scope,
      concurrency: options.concurrency ?? 10,
      region: options.region ?? "eu",
      tick: Duration.decode(options.tick ?? "300 millis"),
      cancelDelay: Duration.decode(options.cancelDelay ?? "200 millis"),
      nextId,
      scenarioFor: (name) => Effect.map(Ref.get(scenarios), (m) => m.get(name) ?? Scenario.defaultScenario),
      resolveAgent: resources.resolveAgent,
      onStatusChange: (record, previous, next) => webhooks.onStatusChange(record.id, previous, next),
      earlyChanges: () =>
        Effect.map(Ref.get(faults), (f) => f.earlyChangesRate !== undefined && faultRandom() < f.earlyChangesRate)
    })

    yield* resources.bindSessions(sessions)

    const handlers: Record<string, (r: { path: any; query: any; headers: any; body: any }) => Effect.Effect<Reply>> = {
      create_session_api_v2_sessions_post: (r) => sessions.create(r.body, r.headers["Idempotency-Key"] ?? undefined),
      list_sessions_api_v2_sessions_get: (r) => sessions.list(r.query),
      get_session_quota_api_v2_sessions_quota_get: () => sessions.quota,
      get_session_api_v2_sessions__id__get: (r) => sessions.get(r.path.id),
      cancel_session_api_v2_sessions__id__delete: (r) => sessions.cancel(r.path.id),
      get_session_status_api_v2_sessions__id__status_get: (r) => sessions.status(r.path.id),
      send_session_messages_api_v2_sessions__id__messages_post: (r) => sessions.messages(r.path.id, r.body),
      send_session_tool_results_api_v2_sessions__id__tool_results_post: (r) => sessions.toolResults(r.path.id, r.body),
      pause_session_api_v2_sessions__id__pause_post: (r) => sessions.pause(r.path.id),
      resume_session_api_v2_sessions__id__resume_post: (r) => sessions.resume(r.path.id),
      force_session_answer_api_v2_sessions__id__force_answer_post: (r) => sessions.forceAnswer(r.path.id),
      get_session_changes_api_v2_sessions__id__changes_get: (r) => sessions.changes(r.path.id, r.query),
      list_session_events_api_v2_sessions__id__events_get: (r) => sessions.events(r.path.id, r.query),
      create_webhook_api_v2_webhooks_post: (r) => webhooks.create(r.body),
      list_webhooks_api_v2_webhooks_get: (r) => webhooks.list(r.query),
      list_webhook_events_api_v2_webhooks_events_get: () => webhooks.events,
      get_webhook_api_v2_webhooks__webhook_id__get: (r) => webhooks.get(r.path.webhook_id),
      update_webhook_api_v2_webhooks__webhook_id__patch: (r) => webhooks.patch(r.path.webhook_id, r.body),
      delete_webhook_api_v2_webhooks__webhook_id__delete: (r) => webhooks.remove(r.path.webhook_id),
      rotate_webhook_secret_api_v2_webhooks__webhook_id__rotate_post: (r) => webhooks.rotate(r.path.webhook_id),
      ping_webhook_api_v2_webhooks__webhook_id__ping_post: (r) => webhooks.ping(r.path.webhook_id),
      ...Resources.sessionHandlers(sessions),
      ...resources.handlers
    }

    const countRoute = (route: string) => requests.set(route, (requests.get(route) ?? 0) + 1)

    const handle = (request: HttpServerRequest.HttpServerRequest): Effect.Effect<Reply> =>
      Effect.gen(function*() {
        const url = new URL(request.url, "http://emulator.local")
        const method = request.method.toUpperCase()
        const m = match(method, url.pathname)
        if (m.operation === undefined) {
          countRoute(`${method} ?`)
          return m.methodNotAllowed ? detail(405, "Method Not Allowed") : detail(404, "Not Found")
        }
        const op = m.operation
        const route = `${op.method} ${op.path}`
        countRoute(route)
        if (op.secured) {
          const auth = request.headers["authorization"] ?? ""
          const bearer = /^Bearer\s+(.+)$/i.exec(auth)
          if (bearer === null) return detail(401, "Not authenticated", { "www-authenticate": "Bearer" })
          if (keys.length > 0 && !keys.includes(bearer[1].trim())) return detail(403, "Invalid API key")
        }
        const rf = Faults.forRoute(yield* Ref.get(faults), op.method, op.path, op.operationId)
        if (rf !== undefined) {
          if (rf.latency !== undefined) yield* Effect.sleep(rf.latency)
          if (rf.dropRate !== undefined && faultRandom() < rf.dropRate) return { status: 502, drop: true }
          if (rf.errorRate !== undefined && faultRandom() < rf.errorRate) {
            return detail(rf.errorStatus ?? 503, "Service Unavailable (injected by the emulator)")
          }
          if (rf.rateLimitRate !== undefined && faultRandom() < rf.rateLimitRate) {
            return detail(429, "Rate limit exceeded (injected by the emulator)", {
              "retry-after": String(rf.retryAfterSeconds ?? 1)
            })
          }
        }
        const bodyText = op.requestBody === undefined ? "" : yield* Effect.orElseSucceed(request.text, () => "")
        if (bodyText.length > 10 * 1024 * 1024) return detail(413, "Request Entity Too Large")
        const headers: Record<string, string | undefined> = {}
        for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v
        const valid = validateRequest(op, {
          pathParams: m.pathParams,
          searchParams: url.searchParams,
          headers,
          bodyText
        })
        if (valid._tag === "Invalid") return json(422, { detail: valid.issues })
        const handler = handlers[op.operationId]
        let reply = handler === undefined
          ? detail(501, `${op.operationId} is not implemented by the emulator`)
          : yield* handler(valid.value)
        if (options.validateResponses === true) {
          const errors = checkResponse(op, reply)
          if (errors.length > 0) {
            yield* Ref.update(violations, (vs) => [...vs, { route, status: reply.status, errors }])
            reply = detail(500, `Emulator response violates the spec: ${errors.join("; ")}`)
          }
        }
        if (rf?.dropResponseRate !== undefined && faultRandom() < rf.dropResponseRate) {
          return { ...reply, drop: true }
        }
        return reply
      }).pipe(
        Effect.catchAllDefect((defect) => Effect.succeed(detail(500, `Emulator defect: ${String(defect)}`)))
      )

    const app: HttpApp.Default<never, HttpServerRequest.HttpServerRequest> = Effect.flatMap(
      HttpServerRequest.HttpServerRequest,
      (request) => Effect.map(handle(request), toResponse)
    )

    const snapshot = (r: Sessions.SessionRecord, s: Sessions.SessionState): SessionSnapshot => ({
      id: r.id,
      agent: r.agentName,
      request: r.request,
      status: s.status,
      events: s.events.slice(),
      answer: s.answer,
      outcome: s.outcome,
      error: s.error,
      errorCode: s.errorCode,
      steps: s.steps,
      pendingToolCalls: s.pendingCalls
    })

    const allSnapshots = Effect.gen(function*() {
      const out: Array<SessionSnapshot> = []
      for (const r of yield* sessions.all) out.push(snapshot(r, r.state))
      return out
    })

    const service: Service = {
      baseUrl: options.baseUrl ?? "http://emulator.local",
      apiKey: keys[0] ?? "hk-emulator",
      app,
      registerScenario: (name, scenario) =>
        Effect.zipRight(resources.ensureAgent(name), Ref.update(scenarios, (m) => new Map(m).set(name, scenario))),
      stats: Effect.gen(function*() {
        const statuses = (yield* sessions.all).map((r) => r.state.status)
        const byStatus: Record<string, number> = {}
        for (const s of statuses) byStatus[s] = (byStatus[s] ?? 0) + 1
        return {
          sessionsCreated: yield* Ref.get(sessions.created),
          sessionsByStatus: byStatus,
          sessionsUnsettled: statuses.filter((s) => !Sessions.isSettled(s)).length,
          sessionsActive: statuses.filter((s) => Sessions.ACTIVE.has(s)).length,
          requestsByRoute: Object.fromEntries(requests),
          requestsTotal: Array.from(requests.values()).reduce((a, b) => a + b, 0)
        }
      }),
      session: (id) =>
        Effect.flatMap(sessions.find(id), (r) =>
          r === undefined
            ? Effect.succeed(Option.none())
            : Effect.sync(() => Option.some(snapshot(r, r.state)))),
      sessions: allSnapshots,
      setFaults: (config) => Ref.set(faults, config),
      deliveries: Ref.get(webhooks.deliveries),
      responseViolations: Ref.get(violations)
    }
    return service
  })

const checkResponse = (op: Parameters<typeof validateResponse>[0], reply: Reply): ReadonlyArray<string> => {
  const declared = op.responses[String(reply.status)] !== undefined
  if (!declared && reply.status >= 400) {
    // Replies are raw JSON bodies (the emulator works on the wire shape, not the SDK's types).
    const d = (reply.body as any)?.detail
    return typeof d === "string" || Array.isArray(d) ? [] : [`error ${reply.status} without a detail`]
  }
  return validateResponse(op, reply.status, reply.body, reply.body !== undefined)
}

// =============================================================================
// Layers
// =============================================================================

/**
 * The emulator as a layer.
 *
 * @example
 * ```ts
 * import * as Emulator from "@hai-effect/emulator/Emulator"
 * import * as Layer from "effect/Layer"
 *
 * const TestLayer = Emulator.layerClient.pipe(Layer.provideMerge(Emulator.layer({ region: "us" })))
 * ```
 *
 * @since 1.0.0
 * @category Layers
 */
export const layer = (options?: Options): Layer.Layer<Emulator> => Layer.scoped(Emulator, make(options))

/**
 * An `HttpClient` that runs every request through the emulator's app in the caller's fiber
 * (no socket; `TestClock` applies). Any host is accepted; the path and query are kept.
 *
 * @example
 * ```ts
 * import * as Emulator from "@hai-effect/emulator/Emulator"
 * import * as HttpClient from "@effect/platform/HttpClient"
 * import * as Effect from "effect/Effect"
 * import * as Layer from "effect/Layer"
 *
 * const status = HttpClient.get("http://anything/api/v2/sessions/quota", {
 *   headers: { authorization: "Bearer hk-emulator" }
 * }).pipe(Effect.provide(Emulator.layerClient.pipe(Layer.provide(Emulator.layer()))))
 * ```
 *
 * @since 1.0.0
 * @category Layers
 */
export const layerClient: Layer.Layer<HttpClient.HttpClient, never, Emulator> = Layer.effect(
  HttpClient.HttpClient,
  Effect.map(Emulator, (emulator) => makeClient(emulator.app))
)

/**
 * The emulator and its in-process `HttpClient` in one layer: what most tests want.
 *
 * @example
 * ```ts
 * import * as Emulator from "@hai-effect/emulator/Emulator"
 *
 * const TestLayer = Emulator.layerTest({ region: "us", tick: "100 millis" })
 * ```
 *
 * @since 1.0.0
 * @category Layers
 */
export const layerTest = (options?: Options): Layer.Layer<Emulator | HttpClient.HttpClient> =>
  layerClient.pipe(Layer.provideMerge(layer(options)))

/**
 * Build an in-process `HttpClient` over any `HttpApp`.
 *
 * @example
 * ```ts
 * import * as Emulator from "@hai-effect/emulator/Emulator"
 * import * as Effect from "effect/Effect"
 *
 * const client = Effect.map(Emulator.Emulator, (e) => Emulator.makeClient(e.app))
 * ```
 *
 * @since 1.0.0
 * @category Constructors
 */
export const makeClient = (app: HttpApp.Default<never, HttpServerRequest.HttpServerRequest>): HttpClient.HttpClient =>
  HttpClient.make((request, url, signal) =>
    Effect.gen(function*() {
      const init: RequestInit = { method: request.method, headers: request.headers, signal }
      const body = request.body
      if (request.method !== "GET" && request.method !== "HEAD") {
        if (body._tag === "Uint8Array") {
          init.body = body.body as Uint8Array<ArrayBuffer>
          if (!request.headers["content-type"]) {
            init.headers = { ...request.headers, "content-type": body.contentType }
          }
          // A raw body is whatever the caller handed to the platform; fetch accepts the same kinds.
        } else if (body._tag === "Raw") init.body = body.body as any
        else if (body._tag === "FormData") init.body = body.formData
      }
      const target = new URL(url.pathname + url.search, "http://emulator.local")
      const web = new Request(target, init)
      const response = yield* Effect.provideService(
        app,
        HttpServerRequest.HttpServerRequest,
        HttpServerRequest.fromWeb(web)
      )
      if (response.headers[DROP] !== undefined) {
        return yield* Effect.fail(
          new HttpClientError.RequestError({
            request,
            reason: "Transport",
            cause: new Error("Connection dropped (injected by the emulator)")
          })
        )
      }
      return HttpClientResponse.fromWeb(request, HttpServerResponse.toWeb(response))
    })
  )

const defaultTracer = Effect.runSync(Effect.tracer)

/**
 * Serve the emulator over a real socket (Node), exposing the actual URL as {@link EmulatorServer}.
 * `port: 0` (the default) picks a free port.
 *
 * @example
 * ```ts
 * import * as Emulator from "@hai-effect/emulator/Emulator"
 * import * as Layer from "effect/Layer"
 *
 * const Served = Emulator.layerServer({ port: 0 }).pipe(Layer.provideMerge(Emulator.layer()))
 * ```
 *
 * @since 1.0.0
 * @category Layers
 */
export const layerServer = (
  options: { readonly port?: number; readonly host?: string } = {}
): Layer.Layer<EmulatorServer, HttpServerError.ServeError, Emulator> => {
  const host = options.host ?? "127.0.0.1"
  const serve = Layer.scopedDiscard(Effect.gen(function*() {
    const emulator = yield* Emulator
    const app = Effect.flatMap(
      HttpServerRequest.HttpServerRequest,
      (request) =>
        Effect.flatMap(Effect.interruptible(emulator.app), (response) => {
          if (response.headers[DROP] === undefined) return Effect.succeed(response)
          NodeHttpServerRequest.toIncomingMessage(request).socket.destroy()
          return Effect.interrupt
        })
    )
    // The server's tracing middleware (a span, the URL parsed again, every header redacted and
    // recorded) costs more per request than the emulator's own work; spans of Effect's default
    // tracer go nowhere, so requests are only traced when a tracer was installed.
    const traced = (yield* Effect.tracer) !== defaultTracer
    yield* traced
      ? HttpServer.serveEffect(app)
      : HttpMiddleware.withTracerDisabledWhenEffect(HttpServer.serveEffect(app), () => true)
  }))
  const server = Layer.effect(
    EmulatorServer,
    Effect.map(HttpServer.HttpServer, (s) => {
      const address = s.address
      const port = address._tag === "TcpAddress" ? address.port : 0
      return { url: `http://${host}:${port}`, port }
    })
  )
  return Layer.merge(serve, server).pipe(
    Layer.provide(NodeHttpServer.layer(() => createServer(), { port: options.port ?? 0, host }))
  )
}

/**
 * The default catalog's agent names.
 *
 * @example
 * ```ts
 * import * as Emulator from "@hai-effect/emulator/Emulator"
 * Emulator.catalogAgentNames.includes("h/web-surfer-holo3-1-35b")
 * ```
 *
 * @since 1.0.0
 * @category Constructors
 */
export const catalogAgentNames: ReadonlyArray<string> = Catalog.agents.map((a) => a.name)
