/**
 * A faithful local emulator of H Company's Computer-Use Agents API (v2), as an Effect `HttpApp`:
 * mount it in-process as an `HttpClient` (TestClock-driven tests, no socket) or serve it over
 * a real socket.
 *
 * @since 0.1.0
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
import { constant } from "effect/Function"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Ref from "effect/Ref"
import { createServer } from "node:http"
import * as Faults from "./Faults.js"
import * as Catalog from "./internal/catalog.js"
import type { AllHandlers } from "./internal/handlers.js"
import * as CatalogResources from "./internal/resources/catalog.js"
import * as Credit from "./internal/resources/credit.js"
import * as Profiles from "./internal/resources/profiles.js"
import * as Schedules from "./internal/resources/schedules.js"
import * as SessionExtras from "./internal/resources/sessionExtras.js"
import * as Vaults from "./internal/resources/vaults.js"
import * as Router from "./internal/router.js"
import * as Model from "./internal/session/model.js"
import * as Sessions from "./internal/session/sessions.js"
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
 * @since 0.1.0
 * @category Tags
 */
export class Emulator extends Context.Tag("@hai-effect/emulator/Emulator")<Emulator, Service>() {}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Service {
  /** The base URL to give an SDK (in-process: `"http://emulator.local"`). */
  readonly baseUrl: string
  /** The first configured API key (or `"hk-emulator"` when any key is accepted). */
  readonly apiKey: string
  /** The whole API as one `HttpApp`. */
  readonly app: HttpApp.Default<never, HttpServerRequest.HttpServerRequest>
  /** How fast sessions move, in words (for a banner). */
  readonly pace: string
  /** Script the agent with that name (catalog or inline agent name); a new name joins the catalog. */
  readonly registerScenario: (agentName: string, scenario: Scenario.Scenario) => Effect.Effect<void>
  readonly stats: Effect.Effect<Stats>
  /** A session's current state, for assertions. */
  readonly session: (id: string) => Effect.Effect<Option.Option<SessionSnapshot>>
  /** Every session's current state. */
  readonly sessions: Effect.Effect<ReadonlyArray<SessionSnapshot>>
  readonly setFaults: (config: Faults.Config) => Effect.Effect<void>
  /** Webhook deliveries made so far, the latest 10,000 (signed bodies and headers, response status). */
  readonly deliveries: Effect.Effect<ReadonlyArray<Delivery>>
  /** Responses that did not match the spec (only recorded with `validateResponses`). */
  readonly responseViolations: Effect.Effect<ReadonlyArray<ResponseViolation>>
}

/**
 * @since 0.1.0
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
 * @since 0.1.0
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
 * @since 0.1.0
 * @category Models
 */
export interface Delivery extends Webhooks.Delivery {}

/**
 * @since 0.1.0
 * @category Models
 */
export interface ResponseViolation {
  readonly route: string
  readonly status: number
  readonly errors: ReadonlyArray<string>
}

/**
 * @since 0.1.0
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
  /**
   * A fixed time per scripted step (a `"tick"` think, and the start): what fast tests want. Without
   * it, steps follow `pace`.
   */
  readonly tick?: Duration.DurationInput
  /** The realistic pace when no `tick` is given (default {@link defaultPace}: 1 to 3 s, seeded jitter). */
  readonly pace?: Pace
  /** The org's token credit: once spent, sessions fail with `insufficient_credit` (default: unlimited). */
  readonly credit?: number
  /** The time from DELETE to `interrupted` (default 200 millis). */
  readonly cancelDelay?: Duration.DurationInput
  /** Check every response against the spec; a mismatch becomes a 500 and is recorded. */
  readonly validateResponses?: boolean
  /** The client used for webhook deliveries (default: fetch). */
  readonly webhookClient?: HttpClient.HttpClient
  /** Reported `baseUrl` (default `"http://emulator.local"`). */
  readonly baseUrl?: string
}

/**
 * How long scripted steps take: each one a duration between `min` and `max`, drawn from the
 * emulator's seed.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Pace {
  readonly min: Duration.DurationInput
  readonly max: Duration.DurationInput
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
 * @since 0.1.0
 * @category Tags
 */
export class EmulatorServer extends Context.Tag("@hai-effect/emulator/EmulatorServer")<EmulatorServer, {
  readonly url: string
  readonly port: number
}>() {}

// =============================================================================
// Constructors
// =============================================================================

const uuidFrom = (next: () => number) => () => {
  const hex: Array<string> = []
  for (let i = 0; i < 32; i++) hex.push(Math.floor(next() * 16).toString(16))
  hex[12] = "4"
  hex[16] = ((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)
  const h = hex.join("")
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
}

/**
 * The default pace: a step every one to three seconds, like a browsing agent's model call and
 * page action.
 *
 * @since 0.1.0
 * @category Models
 */
export const defaultPace: Pace = { min: "1 second", max: "3 seconds" }

/**
 * A line that says how fast sessions move, for a start-up banner.
 *
 * @example
 * ```ts
 * import * as Emulator from "@hai-effect/emulator/Emulator"
 * Emulator.describePace({ tick: "20 millis" }) // "a step every 20 ms"
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const describePace = (options: Pick<Options, "tick" | "pace"> = {}): string => {
  const ms = (d: Duration.DurationInput) => Duration.toMillis(Duration.decode(d))
  if (options.tick !== undefined) return `a step every ${ms(options.tick)} ms`
  const pace = options.pace ?? defaultPace
  const [min, max] = [ms(pace.min), ms(pace.max)]
  if (min === max) return `a step every ${min} ms`
  return min % 1000 === 0 && max % 1000 === 0
    ? `a step every ${min / 1000} to ${max / 1000} s (seeded jitter)`
    : `a step every ${min} to ${max} ms (seeded jitter)`
}

/**
 * Build the emulator (its background agents and schedules run in the surrounding scope).
 *
 * @example
 * ```ts
 * import * as Emulator from "@hai-effect/emulator/Emulator"
 * import * as Effect from "effect/Effect"
 *
 * const emulator = Effect.scoped(Emulator.make({ concurrency: 2 }))
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (options: Options = {}) =>
  Effect.gen(function*() {
    const scope = yield* Effect.scope
    const seed = options.seed ?? 1
    const nextId = uuidFrom(Faults.prng(seed))
    const faultRandom = Faults.prng(seed ^ 0x5bd1e995)
    const paceRandom = Faults.prng(seed ^ 0x27d4eb2f)
    const keys = options.apiKeys ?? ["hk-emulator"]
    const baseUrl = options.baseUrl ?? "http://emulator.local"
    let faults: Faults.Config = options.faults ?? Faults.none
    const faultsRef = yield* Ref.make(faults)
    const violations: Array<ResponseViolation> = []
    const requests = new Map<string, number>()
    const scenarios = new Map<string, Scenario.Scenario>()

    const stepDuration: () => Duration.Duration = options.tick !== undefined
      ? constant(Duration.decode(options.tick))
      : (() => {
        const pace = options.pace ?? defaultPace
        const min = Duration.toMillis(Duration.decode(pace.min))
        const max = Duration.toMillis(Duration.decode(pace.max))
        return () => Duration.millis(Math.round(min + paceRandom() * (max - min)))
      })()

    const webhooks = yield* Webhooks.make({
      scope,
      client: options.webhookClient ?? (yield* Effect.provide(HttpClient.HttpClient, FetchHttpClient.layer)),
      nextId,
      random: faultRandom,
      faults: faultsRef
    })
    const catalog = yield* CatalogResources.make
    const credit = Credit.make(options.credit)
    const sessions = Sessions.make({
      scope,
      concurrency: options.concurrency ?? 10,
      region: options.region ?? "eu",
      stepDuration,
      cancelDelay: Duration.decode(options.cancelDelay ?? "200 millis"),
      nextId,
      baseUrl,
      spend: credit.spend,
      scenarioFor: (name) => scenarios.get(name) ?? Scenario.defaultScenario,
      resolveAgent: catalog.resolveAgent,
      onStatusChange: (record, previous, next) => webhooks.onStatusChange(record.id, previous, next),
      earlyChanges: () => faults.earlyChangesRate !== undefined && faultRandom() < faults.earlyChangesRate
    })
    const schedules = Schedules.make({ scope, nextId, sessions })

    const handlers: AllHandlers = {
      ...sessions.handlers,
      ...SessionExtras.make(sessions),
      ...catalog.handlers,
      ...Profiles.make(nextId),
      ...Vaults.make(nextId),
      ...schedules.handlers,
      ...credit.handlers,
      create_webhook_api_v2_webhooks_post: ({ body }) => webhooks.create(body),
      list_webhooks_api_v2_webhooks_get: ({ query }) => webhooks.list(query),
      list_webhook_events_api_v2_webhooks_events_get: () => webhooks.events,
      get_webhook_api_v2_webhooks__webhook_id__get: ({ path }) => webhooks.get(path.webhook_id),
      update_webhook_api_v2_webhooks__webhook_id__patch: ({ body, path }) => webhooks.patch(path.webhook_id, body),
      delete_webhook_api_v2_webhooks__webhook_id__delete: ({ path }) => webhooks.remove(path.webhook_id),
      rotate_webhook_secret_api_v2_webhooks__webhook_id__rotate_post: ({ path }) => webhooks.rotate(path.webhook_id),
      ping_webhook_api_v2_webhooks__webhook_id__ping_post: ({ path }) => webhooks.ping(path.webhook_id)
    }

    const app: HttpApp.Default<never, HttpServerRequest.HttpServerRequest> = Router.make({
      scope,
      handlers,
      keys,
      faults: () => faults,
      random: faultRandom,
      validateResponses: options.validateResponses === true,
      onViolation: (route, status, errors) => {
        violations.push({ route, status, errors })
      },
      countRoute: (route) => {
        requests.set(route, (requests.get(route) ?? 0) + 1)
      }
    })

    const snapshot = (r: Model.SessionRecord): SessionSnapshot => {
      const s = r.state
      return {
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
      }
    }

    const service: Service = {
      baseUrl,
      apiKey: keys[0] ?? "hk-emulator",
      app,
      pace: describePace(options),
      registerScenario: (name, scenario) =>
        Effect.zipRight(catalog.ensureAgent(name), Effect.sync(() => scenarios.set(name, scenario))),
      stats: Effect.sync(() => {
        const statuses = sessions.store.all().map((r) => r.state.status)
        const byStatus: Record<string, number> = {}
        for (const s of statuses) byStatus[s] = (byStatus[s] ?? 0) + 1
        return {
          sessionsCreated: sessions.created(),
          sessionsByStatus: byStatus,
          sessionsUnsettled: statuses.filter((s) => !Model.isSettled(s)).length,
          sessionsActive: statuses.filter((s) => Model.ACTIVE.has(s)).length,
          requestsByRoute: Object.fromEntries(requests),
          requestsTotal: Array.from(requests.values()).reduce((a, b) => a + b, 0)
        }
      }),
      session: (id) =>
        Effect.sync(() => {
          const r = sessions.store.find(id)
          return r === undefined ? Option.none() : Option.some(snapshot(r))
        }),
      sessions: Effect.sync(() => sessions.store.all().map(snapshot)),
      setFaults: (config) =>
        Effect.zipRight(
          Ref.set(faultsRef, config),
          Effect.sync(() => {
            faults = config
          })
        ),
      deliveries: webhooks.deliveries,
      responseViolations: Effect.sync(() => violations.slice())
    }
    return service
  })

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
 * @since 0.1.0
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
 * @since 0.1.0
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
 * @since 0.1.0
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
 * @since 0.1.0
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
          // As on a socket, the body's length is declared (and bounds what is read).
          init.headers = {
            ...request.headers,
            "content-length": String(body.body.length),
            ...(request.headers["content-type"] ? {} : { "content-type": body.contentType })
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
      if (response.headers[Router.DROP] !== undefined) {
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
 * @since 0.1.0
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
          if (response.headers[Router.DROP] === undefined) return Effect.succeed(response)
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
 * @since 0.1.0
 * @category Constructors
 */
export const catalogAgentNames: ReadonlyArray<string> = Catalog.agents.map((a) => a.name)
