/**
 * The errors of the Promise client itself. Every rejection of a `HaiClient` call is an `Error`
 * with a `_tag`: the SDK's own tagged errors (`NotFound`, `RateLimited`, ...), these two, or, for
 * an aborted call, the `AbortSignal`'s reason.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * The client cannot be built from its options and the environment: no API key, or a base URL
 * that is not a URL. The message names the option and the variable to set; it never shows a
 * value (a key pasted in the wrong place stays hidden).
 *
 * @example
 * import { ConfigurationError, HaiClient } from "@hai-effect/client"
 *
 * const client = new HaiClient()
 * client.sessions.list().catch((error) => {
 *   if (error instanceof ConfigurationError) console.error(error.message) // what to set
 * })
 *
 * @since 0.1.0
 * @category Errors
 */
export class ConfigurationError extends Schema.TaggedError<ConfigurationError>(
  "@hai-effect/client/ConfigurationError"
)("ConfigurationError", {
  message: Schema.String,
  /** The option of `new HaiClient(...)` at fault (`apiKey`, `baseUrl`). */
  option: Schema.String,
  /** The environment variables that could have set it, in the order they are read. */
  variables: Schema.Array(Schema.String)
}) {}

/**
 * A failure the SDK did not expect (a defect: a bug, or a callback of yours that threw). `cause`
 * holds what was thrown; the message says where to look.
 *
 * @example
 * import { HaiClient, UnexpectedError } from "@hai-effect/client"
 *
 * const client = new HaiClient()
 * client.sessions.list().catch((error) => {
 *   if (error instanceof UnexpectedError) console.error(error.message, error.cause)
 * })
 *
 * @since 0.1.0
 * @category Errors
 */
export class UnexpectedError extends Schema.TaggedError<UnexpectedError>("@hai-effect/client/UnexpectedError")(
  "UnexpectedError",
  { message: Schema.String, cause: Schema.Defect }
) {}
