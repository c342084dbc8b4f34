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
