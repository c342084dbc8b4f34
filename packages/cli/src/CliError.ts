/**
 * The CLI's own failures (bad option values, files that cannot be read, a failed sign-in).
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * A failure of the command line itself, with a hint for the user.
 *
 * @since 0.1.0
 * @category Errors
 */
export class CliError extends Schema.TaggedError<CliError>("@hai-effect/cli/CliError")("CliError", {
  message: Schema.String,
  hint: Schema.optional(Schema.String)
}) {}
