/**
 * @since 0.1.0
 */

/**
 * The command tree and its runner.
 *
 * @since 0.1.0
 */
export * as Cli from "./Cli.js"

/**
 * Global options.
 *
 * @since 0.1.0
 */
export * as Global from "./Global.js"

/**
 * The client a command talks to the API with, made from the global options.
 *
 * @since 0.1.0
 */
export * as Client from "./Client.js"

/**
 * Output streams and formatting.
 *
 * @since 0.1.0
 */
export * as Render from "./Render.js"

/**
 * The browser and stdin, injectable.
 *
 * @since 0.1.0
 */
export * as Interactive from "./Interactive.js"

/**
 * The CLI's own errors.
 *
 * @since 0.1.0
 */
export * as CliError from "./CliError.js"
