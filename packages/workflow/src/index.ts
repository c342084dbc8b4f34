/**
 * @since 0.1.0
 */

/**
 * Agent sessions as durable workflow steps.
 *
 * @since 0.1.0
 */
export * as DurableSession from "./DurableSession.js"

/**
 * The engines durable sessions run on: in memory, SQLite, PostgreSQL.
 *
 * @since 0.1.0
 */
export * as DurableEngine from "./DurableEngine.js"

/**
 * Webhooks that wake waiting steps.
 *
 * @since 0.1.0
 */
export * as DurableWebhooks from "./DurableWebhooks.js"

/**
 * Which wait a session's webhooks must wake.
 *
 * @since 0.1.0
 */
export * as SessionRoutes from "./SessionRoutes.js"

/**
 * At most N remote sessions active per runner.
 *
 * @since 0.1.0
 */
export * as SessionLimit from "./SessionLimit.js"
