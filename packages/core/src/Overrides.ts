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
 * The path of a field of the web environment.
 *
 * @since 0.1.0
 * @category Paths
 */
export const webPath = (field: string): string => `agent.environments[kind=web].${field}`

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
  answerFormat: "agent.answer_format"
} as const
