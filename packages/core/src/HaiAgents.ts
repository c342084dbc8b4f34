/**
 * The client of the Computer-Use Agents API: one typed method per operation, grouped by
 * resource (`sessions`, `agents`, `environments`, `skills`, `browserProfiles`, `vaults`,
 * `webhooks`, `schedules`, `files`, `quota`).
 *
 * It needs an `HttpClient` (from `@effect/platform`: `FetchHttpClient.layer` works on every
 * runtime; `@hai-effect/platform-node` wires undici).
 *
 * @example
 * import { FetchHttpClient } from "@effect/platform"
 * import { Effect, Layer } from "effect"
 * import { HaiAgents } from "@hai-effect/core"
 *
 * const program = Effect.gen(function*() {
 *   const hai = yield* HaiAgents.HaiAgents
 *   const page = yield* hai.sessions.list({ status: ["running"] })
 *   return page.items
 * })
 *
 * program.pipe(
 *   Effect.provide(HaiAgents.layerConfig().pipe(Layer.provide(FetchHttpClient.layer)))
 * )
 *
 * @since 0.1.0
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as Config from "effect/Config"
import * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Endpoints from "./internal/endpoints.js"
import * as Transport from "./internal/transport.js"
import { runtimeHeaders, version } from "./internal/version.js"
import * as RetryPolicy from "./RetryPolicy.js"

/**
 * The service's regions.
 *
 * @since 0.1.0
 * @category Models
 */
export type Environment = "eu" | "us"

/**
 * Base URL of each region. EU is the default.
 *
 * @since 0.1.0
 * @category Constants
 */
export const environments: Readonly<Record<Environment, string>> = {
  eu: "https://agp.eu.hcompany.ai",
  us: "https://agp.hcompany.ai"
}

/**
 * How to reach the service.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Options {
  /** The API key (`hk-...`). Kept `Redacted`: it never shows in logs, errors or `inspect`. */
  readonly apiKey: Redacted.Redacted<string> | string
  /** Region, when no `baseUrl` is given. Default `"eu"`. */
  readonly environment?: Environment | undefined
  /** Overrides the region's URL; a path prefix it carries is kept (`https://proxy/hai/` works). */
  readonly baseUrl?: string | URL | undefined
  /** Per-request timeout. Default 60 seconds. Long-polls get their wait plus `longPollMargin`. */
  readonly timeout?: Duration.DurationInput | undefined
  /**
   * How a request past its timeout is stopped. `"abort"` (default) aborts it through its
   * `AbortSignal`, which costs no fiber: every client of `@effect/platform` (fetch, undici, Bun)
   * honours it. `"interrupt"` races the request against a timer (two fibers per request), for a
   * hand-made `HttpClient` that ignores the signal. Under a test clock it is always `"interrupt"`.
   */
  readonly timeoutBy?: "abort" | "interrupt" | undefined
  /** Added to a long-poll's wait to form its timeout. Default 10 seconds. */
  readonly longPollMargin?: Duration.DurationInput | undefined
  /** When to retry and how long to wait. Default {@link RetryPolicy.defaultSchedule}. */
  readonly retrySchedule?: RetryPolicy.RetrySchedule | undefined
  /**
   * The longest wait honoured from a server's `Retry-After` (or `retry-after-ms`,
   * `X-RateLimit-Reset`); a longer ask is cut to it. Default 60 seconds, as in the official SDKs.
   */
  readonly maxRetryAfter?: Duration.DurationInput | undefined
  /**
   * How long the retries of one call may take in all, from its first failure: no retry starts
   * past it, and the last one is given only what is left. Default 2 minutes.
   */
  readonly retryBudget?: Duration.DurationInput | undefined
  /**
   * Also trace each HTTP attempt with `@effect/platform`'s `http.client` span (request and response
   * headers, redacted) under the operation's span. Off by default: each call is one span, named
   * after the operation (`HaiAgents.sessions.get`), with the method, path, server and status, and
   * it is that span that goes out in `traceparent`.
   */
  readonly httpSpans?: boolean | undefined
  /** Extra headers sent with every request. */
  readonly headers?: Readonly<Record<string, string>> | undefined
  /** Largest request body sent, in bytes. Default 10 MB, the gateway's limit. */
  readonly maxBodyBytes?: number | undefined
  /** Names this client in `X-HCompany-Client-Name` (e.g. a CLI built on the SDK). */
  readonly clientName?: string | undefined
  /** Applied to the underlying `HttpClient` (tracing, proxies, extra middleware). */
  readonly transformClient?: ((client: HttpClient.HttpClient) => HttpClient.HttpClient) | undefined
}

/**
 * The settings a client was built with, minus the key.
 *
 * @since 0.1.0
 * @category Models
 */
export interface ResolvedOptions {
  readonly baseUrl: string
  readonly environment: Environment | "custom"
  readonly timeout: Duration.Duration
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Service extends Endpoints.Resources {
  readonly options: ResolvedOptions
}

/**
 * The client.
 *
 * @since 0.1.0
 * @category Tags
 */
export class HaiAgents extends Context.Tag("@hai-effect/core/HaiAgents")<HaiAgents, Service>() {}

/** @since 0.1.0 */
export declare namespace HaiAgents {
  /** @since 0.1.0 */
  export type Sessions = Endpoints.SessionsApi
  /** @since 0.1.0 */
  export type Agents = Endpoints.AgentsApi
}

/**
 * Builds a client from options and the `HttpClient` in context.
 *
 * @example
 * import { Effect } from "effect"
 * import { HaiAgents } from "@hai-effect/core"
 *
 * const client = HaiAgents.make({ apiKey: "hk-...", environment: "us" })
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (options: Options): Effect.Effect<Service, never, HttpClient.HttpClient> =>
  Effect.map(HttpClient.HttpClient, (httpClient) => {
    const baseUrl = parseBaseUrl(
      options.baseUrl !== undefined ? String(options.baseUrl) : environments[options.environment ?? "eu"]
    )
    if (baseUrl === undefined) {
      // Never the value itself: a key pasted into the wrong setting must not end up in a log.
      throw new Error(`HaiAgents: the baseUrl option is not an http(s) URL; ${baseUrlExample}`)
    }
    const apiKey = Redacted.isRedacted(options.apiKey) ? options.apiKey : Redacted.make(options.apiKey)
    const timeout = Duration.decode(options.timeout ?? "60 seconds")
    const client = options.transformClient ? options.transformClient(httpClient) : httpClient
    const config: Transport.TransportConfig = {
      baseUrl,
      apiKey,
      timeout,
      longPollMargin: Duration.decode(options.longPollMargin ?? "10 seconds"),
      timeoutBy: options.timeoutBy ?? "abort",
      retrySchedule: options.retrySchedule ?? RetryPolicy.defaultSchedule,
      maxRetryAfter: Duration.decode(options.maxRetryAfter ?? RetryPolicy.defaultMaxRetryAfter),
      retryBudget: Duration.decode(options.retryBudget ?? RetryPolicy.defaultRetryBudget),
      maxBodyBytes: options.maxBodyBytes ?? 10 * 1024 * 1024,
      headers: { ...runtimeHeaders(options.clientName), ...options.headers },
      httpSpans: options.httpSpans ?? false
    }
    const run = Transport.makeRunner(client, config)
    const paginate = Transport.makePaginator(run)
    const service: Service = {
      ...Endpoints.makeResources(run, paginate),
      options: {
        baseUrl: baseUrl.toString(),
        environment: options.baseUrl !== undefined ? "custom" : options.environment ?? "eu",
        timeout
      }
    }
    // Neither the operation's span nor the HTTP request's: see `unspannedOf`.
    const quiet = Transport.makeRunner(client, config, false)
    unspanned.set(service, Endpoints.makeResources(quiet, Transport.makePaginator(quiet), false))
    return service
  })

const baseUrlExample = "e.g. https://agp.eu.hcompany.ai, or http://127.0.0.1:8000 for a local emulator"

/** The URL when `value` is an absolute http(s) URL. */
const parseBaseUrl = (value: string): URL | undefined => {
  if (!URL.canParse(value)) return undefined
  const url = new URL(value)
  return url.protocol === "http:" || url.protocol === "https:" ? url : undefined
}

// Kept beside the service rather than in it, so that a service made by hand (a test double)
// needs nothing more: it is used as it is.
const unspanned = new WeakMap<Service, Endpoints.Resources>()

/**
 * The client's operations without spans: neither the operation's own nor the platform's
 * `http.client` span of its request; they run inside the caller's span. For loops that call an
 * operation thousands of times: the session watcher long-polls through these, so a watched session
 * is one span, not two per event (and a span costs about a fifth of a long-poll's CPU). Errors
 * are the same typed errors. A service not made by {@link make} is returned as it is.
 *
 * @example
 * import { Effect } from "effect"
 * import { HaiAgents } from "@hai-effect/core"
 *
 * const poll = (id: string) =>
 *   Effect.flatMap(HaiAgents.HaiAgents, (hai) => HaiAgents.unspannedOf(hai).sessions.status(id))
 *
 * @since 0.1.0
 * @category Internals
 */
export const unspannedOf = (service: Service): Endpoints.Resources => unspanned.get(service) ?? service

/**
 * A layer of the client from options.
 *
 * @example
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer, Redacted } from "effect"
 * import { HaiAgents } from "@hai-effect/core"
 *
 * const HaiLive = HaiAgents.layer({ apiKey: Redacted.make("hk-..."), environment: "eu" }).pipe(
 *   Layer.provide(FetchHttpClient.layer)
 * )
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (options: Options): Layer.Layer<HaiAgents, never, HttpClient.HttpClient> =>
  Layer.effect(HaiAgents, make(options))

/**
 * Reads the key from `HAI_API_KEY` (or the older `H_API_KEY`) and the base URL from
 * `HAI_API_BASE_URL`, through Effect's `ConfigProvider`; other options come from the argument.
 * A base URL that is not an http(s) URL fails with a `ConfigError` that names the setting and
 * never shows its value (it may be a key pasted into the wrong place).
 *
 * @example
 * import { FetchHttpClient } from "@effect/platform"
 * import { Layer } from "effect"
 * import { HaiAgents } from "@hai-effect/core"
 *
 * const HaiLive = HaiAgents.layerConfig({ timeout: "2 minutes" }).pipe(Layer.provide(FetchHttpClient.layer))
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerConfig = (
  options?: Omit<Options, "apiKey" | "baseUrl"> & {
    readonly apiKey?: Config.Config<Redacted.Redacted<string>> | undefined
    readonly baseUrl?: Config.Config<Option.Option<string>> | string | URL | undefined
  }
): Layer.Layer<HaiAgents, ConfigError.ConfigError, HttpClient.HttpClient> =>
  Layer.effect(
    HaiAgents,
    Effect.gen(function*() {
      const apiKey = yield* (options?.apiKey ?? config.apiKey)
      const given = options?.baseUrl
      const configured: string | URL | undefined = given === undefined || typeof given === "string"
          || given instanceof URL
        ? given
        : Option.getOrUndefined(yield* given)
      if (configured !== undefined && parseBaseUrl(String(configured)) === undefined) {
        return yield* Effect.fail(
          ConfigError.InvalidData(["baseUrl"], `The baseUrl option is not an http(s) URL (${baseUrlExample})`)
        )
      }
      const baseUrl = configured ?? Option.getOrUndefined(yield* config.baseUrl)
      return yield* make({ ...options, apiKey, baseUrl })
    })
  )

/**
 * The `Config`s {@link layerConfig} reads, to compose your own.
 *
 * @since 0.1.0
 * @category Configuration
 */
export const config = {
  apiKey: Config.redacted(Config.nonEmptyString("HAI_API_KEY")).pipe(
    Config.orElse(() => Config.redacted(Config.nonEmptyString("H_API_KEY")))
  ),
  baseUrl: Config.option(
    Config.nonEmptyString().pipe(
      Config.map((value) => value.trim()),
      Config.validate({
        message: `Expected an http(s) URL (${baseUrlExample}); the value is not shown, as it may be a secret`,
        validation: (value) => parseBaseUrl(value) !== undefined
      }),
      Config.nested("HAI_API_BASE_URL")
    )
  )
}

/**
 * This SDK's version, as sent in `User-Agent`.
 *
 * @since 0.1.0
 * @category Constants
 */
export const sdkVersion: string = version
