/**
 * Typed helpers for `overrides`: dotted paths over the resolved session request, list items
 * picked with `[field=value]`. Combine them with {@link merge}; raw paths are still accepted
 * anywhere overrides are.
 *
 * @example
 * import { Overrides, Session } from "@hai-effect/core"
 *
 * Session.run({
 *   agent: "h/web-surfer-holo3-1-35b",
 *   messages: "Check my order status",
 *   overrides: Overrides.merge(
 *     Overrides.browserProfile("0b7e..."),
 *     Overrides.vault("5d2a..."),
 *     Overrides.startUrl("https://shop.example.com/orders")
 *   )
 * })
 *
 * @since 0.1.0
 */

/**
 * @since 0.1.0
 * @category Models
 */
export type Overrides = Readonly<Record<string, unknown>>

/**
 * The families of environment an agent can drive.
 *
 * @since 0.2.0
 * @category Models
 */
export type EnvironmentKind = "web" | "desktop" | "android" | "workstation"

/**
 * Where a desktop or workstation runs: H's cloud, or the user's own device.
 *
 * @since 0.2.0
 * @category Models
 */
export type Host = "cloud" | "user_device"

/**
 * How hard the agent's model thinks before each step; `"disabled"` turns reasoning off.
 *
 * @since 0.2.0
 * @category Models
 */
export type ReasoningEffort = "disabled" | "low" | "medium" | "xhigh"

/**
 * The path of a field of the agent's environment of one kind.
 *
 * @example
 * import { Overrides } from "@hai-effect/core"
 *
 * Overrides.environmentPath("android", "image") // "agent.environments[kind=android].image"
 *
 * @since 0.2.0
 * @category Paths
 */
export const environmentPath = (kind: EnvironmentKind, field: string): string =>
  `agent.environments[kind=${kind}].${field}`

/**
 * Sets any field of the agent's environment of one kind.
 *
 * @example
 * import { Overrides } from "@hai-effect/core"
 *
 * Overrides.environment("workstation", "session_id", "ws_123")
 *
 * @since 0.2.0
 * @category Constructors
 */
export const environment = (kind: EnvironmentKind, field: string, value: unknown): Overrides => ({
  [environmentPath(kind, field)]: value
})

/**
 * The path of a field of the web environment.
 *
 * @since 0.1.0
 * @category Paths
 */
export const webPath = (field: string): string => environmentPath("web", field)

/**
 * Sets any field of the agent's web environment.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const web = (field: string, value: unknown): Overrides => ({ [webPath(field)]: value })

/**
 * Runs the browser with a saved profile (cookies, local storage).
 *
 * @since 0.1.0
 * @category Constructors
 */
export const browserProfile = (profileId: string): Overrides => web("browser_profile_id", profileId)

/**
 * Lets the agent read credentials from a vault.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const vault = (vaultId: string): Overrides => web("vault_id", vaultId)

/**
 * Opens the browser on this URL.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const startUrl = (url: string): Overrides => web("start_url", url)

/**
 * Reuses the browser of another session.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const browserSession = (sessionId: string): Overrides => web("session_id", sessionId)

/**
 * Runs a desktop or workstation environment in H's cloud or on the user's own device.
 *
 * @example
 * import { Overrides } from "@hai-effect/core"
 *
 * Overrides.host("desktop", "user_device")
 *
 * @since 0.2.0
 * @category Constructors
 */
export const host = (kind: "desktop" | "workstation" | "web", where: Host): Overrides =>
  environment(kind, "host", where)

/**
 * Starts an environment only when the agent first uses it, so a session that never needs its
 * browser or device does not pay for one.
 *
 * @example
 * import { Overrides } from "@hai-effect/core"
 *
 * Overrides.lazy("android")
 *
 * @since 0.2.0
 * @category Constructors
 */
export const lazy = (kind: EnvironmentKind, enabled = true): Overrides => environment(kind, "lazy", enabled)

/**
 * Boots the Android environment from this image.
 *
 * @example
 * import { Overrides } from "@hai-effect/core"
 *
 * Overrides.androidImage("pixel-8-api-35")
 *
 * @since 0.2.0
 * @category Constructors
 */
export const androidImage = (image: string): Overrides => environment("android", "image", image)

/**
 * Connects the environment of one kind to an existing session of it (a desktop, a phone, a
 * workstation or a browser already running) instead of starting a new one.
 *
 * @example
 * import { Overrides } from "@hai-effect/core"
 *
 * Overrides.attachTo("desktop", "desk_42")
 *
 * @since 0.2.0
 * @category Constructors
 */
export const attachTo = (kind: EnvironmentKind, sessionId: string): Overrides =>
  environment(kind, "session_id", sessionId)

/**
 * Sets the agent's reasoning effort for this session.
 *
 * @example
 * import { Overrides, Session } from "@hai-effect/core"
 *
 * Session.run({
 *   agent: "h/web-surfer-holo3-1-35b",
 *   messages: "Compare these three laptops",
 *   overrides: Overrides.reasoningEffort("xhigh")
 * })
 *
 * @since 0.2.0
 * @category Constructors
 */
export const reasoningEffort = (effort: ReasoningEffort | null): Overrides => ({
  [paths.reasoningEffort]: effort
})

/**
 * Merges overrides; later ones win on the same path.
 *
 * @since 0.1.0
 * @category Combinators
 */
export const merge = (...overrides: ReadonlyArray<Overrides | undefined>): Overrides =>
  Object.assign({}, ...overrides.filter((o) => o !== undefined))

/**
 * The paths the session runtime fills itself.
 *
 * @since 0.1.0
 * @category Paths
 */
export const paths = {
  tools: "agent.tools",
  answerFormat: "agent.answer_format",
  reasoningEffort: "agent.reasoning_effort"
} as const
