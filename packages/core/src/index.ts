/**
 * @since 0.1.0
 */

/**
 * The client of the Computer-Use Agents API.
 *
 * @since 0.1.0
 */
export * as HaiAgents from "./HaiAgents.js"

/**
 * Every way a call can fail, as tagged errors.
 *
 * @since 0.1.0
 */
export * as HaiError from "./HaiError.js"

/**
 * When failed calls are retried.
 *
 * @since 0.1.0
 */
export * as RetryPolicy from "./RetryPolicy.js"

/**
 * The wire model: one Schema per API schema.
 *
 * @since 0.1.0
 */
export * as Wire from "./Wire.js"

/**
 * Structured answers from Schemas.
 *
 * @since 0.1.0
 */
export * as Answer from "./Answer.js"

/**
 * A session's events as a Stream.
 *
 * @since 0.1.0
 */
export * as ChangeFeed from "./ChangeFeed.js"

/**
 * Typed helpers for override paths.
 *
 * @since 0.1.0
 */
export * as Overrides from "./Overrides.js"

/**
 * Sessions that run, stream, steer and clean up after themselves.
 *
 * @since 0.1.0
 */
export * as Session from "./Session.js"

/**
 * Wake-up signals for session watchers (webhooks).
 *
 * @since 0.1.0
 */
export * as SessionSignals from "./SessionSignals.js"

/**
 * The cursor and tool ledger of watched sessions.
 *
 * @since 0.1.0
 */
export * as SessionStore from "./SessionStore.js"

/**
 * Functions the agent may call.
 *
 * @since 0.1.0
 */
export * as Tool from "./Tool.js"

/**
 * Sets of tools.
 *
 * @since 0.1.0
 */
export * as Toolkit from "./Toolkit.js"

/**
 * One-time codes: find them in messages, and a ready tool that hands them to the agent.
 *
 * @since 0.1.0
 */
export * as Otp from "./Otp.js"
