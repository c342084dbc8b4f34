/**
 * @since 0.1.0
 */

/**
 * One-line layers of the `HaiAgents` client on Node.js (undici).
 *
 * @since 0.1.0
 */
export * as NodeHai from "./NodeHai.js"

/**
 * Finding, saving and removing the API key (option, env, `./.env`, `~/.config/hai/.env`).
 *
 * @since 0.1.0
 */
export * as Credentials from "./Credentials.js"

/**
 * Reading and editing `.env` files.
 *
 * @since 0.1.0
 */
export * as DotEnv from "./DotEnv.js"

/**
 * A crash-safe, file-backed `KeyValueStore`.
 *
 * @since 0.1.0
 */
export * as FileKeyValueStore from "./FileKeyValueStore.js"

/**
 * @since 0.1.0
 */
export * as UndiciHttpClient from "./UndiciHttpClient.js"

/**
 * The `request_otp` tool with codes read from an IMAP mailbox.
 *
 * @since 0.1.0
 */
export * as ImapOtp from "./ImapOtp.js"
