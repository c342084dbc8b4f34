/**
 * The `hai` root command and its global options (`--api-key`, `--base-url`, `--json`), and how
 * subcommands get a client from them.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type * as HttpClient from "@effect/platform/HttpClient"
import * as HaiAgents from "@hai-effect/core/HaiAgents"
import * as Credentials from "@hai-effect/platform-node/Credentials"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import { version as internalVersion } from "./internal/version.js"

/**
 * The name sent in `X-HCompany-Client-Name`.
 *
 * @since 0.1.0
 * @category Constants
 */
export const clientName = "hai-cli"

/**
 * The CLI's version.
 *
 * @since 0.1.0
 * @category Constants
 */
export const version: string = internalVersion

/**
 * The options every subcommand sees.
 *
 * @since 0.1.0
 * @category Options
 */
export const options = {
  apiKey: Options.redacted("api-key").pipe(
    Options.withDescription("API key (default: HAI_API_KEY, H_API_KEY, ./.env, ~/.config/hai/.env)"),
    Options.optional
  ),
  baseUrl: Options.text("base-url").pipe(
    Options.withDescription("API base URL (default: HAI_API_BASE_URL, else the EU region)"),
    Options.optional
  ),
  json: Options.boolean("json").pipe(Options.withDescription("Print JSON (one object per line)"))
}

/**
 * The names of the global options, which may appear anywhere on the command line.
 *
 * @since 0.1.0
 * @category Options
 */
export const globalFlags = { withValue: ["--api-key", "--base-url"], boolean: ["--json"] } as const

/**
 * The root command, without its subcommands (see `Cli.command`).
 *
 * @since 0.1.0
 * @category Commands
 */
export const hai = Command.make("hai", options)

/**
 * The parsed global options.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Globals {
  readonly apiKey: Option.Option<Redacted.Redacted<string>>
  readonly baseUrl: Option.Option<string>
  readonly json: boolean
}

/**
 * The global options of the current run.
 *
 * @since 0.1.0
 * @category Accessors
 */
export const globals: Effect.Effect<Globals, never, Command.Command.Context<"hai">> = hai

/**
 * Finds the credentials the way the SDK does, the global options first.
 *
 * @since 0.1.0
 * @category Accessors
 */
export const credentials: Effect.Effect<
  Credentials.Resolved,
  Credentials.ResolveError,
  Command.Command.Context<"hai">
> = Effect.flatMap(globals, (g) =>
  Credentials.resolve({
    apiKey: Option.getOrUndefined(g.apiKey),
    baseUrl: Option.getOrUndefined(g.baseUrl)
  }))

/**
 * Runs an effect with a `HaiAgents` client built from the resolved credentials over the
 * `HttpClient` in context.
 *
 * @since 0.1.0
 * @category Combinators
 */
export const withClient = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<
  A,
  E | Credentials.ResolveError,
  Exclude<R, HaiAgents.HaiAgents> | HttpClient.HttpClient | Command.Command.Context<"hai">
> =>
  Effect.gen(function*() {
    const found = yield* credentials
    const client = yield* HaiAgents.make({ apiKey: found.apiKey, baseUrl: found.baseUrl, clientName })
    return yield* Effect.provideService(effect, HaiAgents.HaiAgents, client)
  })

/**
 * Moves the global options found after a subcommand to the front, so that
 * `hai sessions list --json` means `hai --json sessions list`. Stops at `--`.
 *
 * @since 0.1.0
 * @category Parsing
 */
export const hoistGlobals = (argv: ReadonlyArray<string>): Array<string> => {
  const [node, script, ...rest] = argv
  const hoisted: Array<string> = []
  const others: Array<string> = []
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i]!
    if (arg === "--") {
      others.push(...rest.slice(i))
      break
    }
    const name = arg.includes("=") ? arg.slice(0, arg.indexOf("=")) : arg
    if ((globalFlags.boolean as ReadonlyArray<string>).includes(arg)) {
      hoisted.push(arg)
    } else if ((globalFlags.withValue as ReadonlyArray<string>).includes(name)) {
      if (name !== arg) hoisted.push(name, arg.slice(name.length + 1))
      else {
        hoisted.push(arg)
        if (i + 1 < rest.length) hoisted.push(rest[++i]!)
      }
    } else {
      others.push(arg)
    }
  }
  return [node ?? "node", script ?? "hai", ...hoisted, ...others]
}
