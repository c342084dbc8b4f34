/**
 * Seeded, reproducible fault injection for the emulator.
 *
 * @since 0.1.0
 */
import type * as Duration from "effect/Duration"

// =============================================================================
// Models
// =============================================================================

/**
 * Faults for requests whose route matches. `route` is an operation id, a path template
 * (`"/api/v2/sessions/{id}/changes"`), `"METHOD /path/template"`, or `"*"` (default).
 *
 * @since 0.1.0
 * @category Models
 */
export interface RouteFaults {
  readonly route?: string
  /** Extra latency before the request is handled. */
  readonly latency?: Duration.DurationInput
  /** Probability (0..1) of answering 503 `{"detail": "Service Unavailable"}` without handling. */
  readonly errorRate?: number
  /** Status used for injected errors (default 503). */
  readonly errorStatus?: number
  /** Probability (0..1) of answering 429 with `Retry-After` without handling. */
  readonly rateLimitRate?: number
  /** `Retry-After` seconds for injected 429s (default 1). */
  readonly retryAfterSeconds?: number
  /** Probability (0..1) of dropping the connection (transport error) without handling. */
  readonly dropRate?: number
  /** Probability (0..1) of dropping the connection after the request was handled (lost response). */
  readonly dropResponseRate?: number
}

/**
 * The fault configuration.
 *
 * @example
 * ```ts
 * import * as Faults from "@hai-effect/emulator/Faults"
 *
 * const faults: Faults.Config = {
 *   routes: [{ route: "get_session_status_api_v2_sessions__id__status_get", errorRate: 0.2 }],
 *   earlyChangesRate: 0.1,
 *   webhooks: { duplicateRate: 0.5, reorder: true }
 * }
 * ```
 *
 * @since 0.1.0
 * @category Models
 */
export interface Config {
  readonly routes?: ReadonlyArray<RouteFaults>
  /** Probability (0..1) that a waiting `/changes` long-poll answers 204 early. */
  readonly earlyChangesRate?: number
  readonly webhooks?: {
    /** Probability (0..1) that a delivery is sent twice. */
    readonly duplicateRate?: number
    /** Hold deliveries and send each batch in a shuffled order. */
    readonly reorder?: boolean
  }
}

/**
 * No faults.
 *
 * @example
 * ```ts
 * import * as Faults from "@hai-effect/emulator/Faults"
 * Faults.none
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const none: Config = {}

/**
 * Find the faults that apply to a route (the first matching entry, else a `"*"` entry).
 *
 * @example
 * ```ts
 * import * as Faults from "@hai-effect/emulator/Faults"
 * Faults.forRoute({ routes: [{ route: "*", errorRate: 1 }] }, "GET", "/api/v2/sessions", "list")
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const forRoute = (
  config: Config,
  method: string,
  pathTemplate: string,
  operationId: string
): RouteFaults | undefined => {
  const routes = config.routes ?? []
  return routes.find((r) =>
    r.route === operationId || r.route === pathTemplate || r.route === `${method} ${pathTemplate}`
  ) ?? routes.find((r) => r.route === undefined || r.route === "*")
}

// =============================================================================
// PRNG
// =============================================================================

/**
 * A small deterministic PRNG (mulberry32).
 *
 * @example
 * ```ts
 * import * as Faults from "@hai-effect/emulator/Faults"
 * const next = Faults.prng(42)
 * next() // a number in [0, 1)
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const prng = (seed: number): () => number => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6D2B79F5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}
