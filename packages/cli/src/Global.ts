/**
 * The `hai` root command and its global options (`--api-key`, `--base-url`, `--json`,
 * `--log-level`). The client they make is in {@link Client}: this module is loaded by every run of
 * `hai`, `--help` included, and stays free of the SDK.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type * as Effect from "effect/Effect"
import * as LogLevel from "effect/LogLevel"
import type * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import { version as internalVersion } from "./internal/version.js"

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
export const globalFlags = { withValue: ["--api-key", "--base-url", "--log-level"], boolean: ["--json"] } as const

/**
 * The values `--log-level` takes.
 *
 * @since 0.1.0
 * @category Options
 */
export const logLevels = ["all", "trace", "debug", "info", "warning", "error", "fatal", "none"] as const

const levelOf: Record<(typeof logLevels)[number], LogLevel.LogLevel> = {
  all: LogLevel.All,
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal,
  none: LogLevel.None
}

/**
 * Takes `--log-level LEVEL` (or `--log-level=LEVEL`) out of an argv whose global options were
 * hoisted by {@link hoistGlobals}. @effect/cli's own `--log-level` is only found when no other
 * option precedes it (`hai --json --log-level debug whoami` was an invalid subcommand), so hai
 * reads it itself.
 *
 * @since 0.1.0
 * @category Parsing
 */
export const takeLogLevel = (
  argv: ReadonlyArray<string>
):
  | { readonly _tag: "Parsed"; readonly argv: Array<string>; readonly logLevel: LogLevel.LogLevel | undefined }
  | { readonly _tag: "Invalid"; readonly value: string } =>
{
  const rest: Array<string> = []
  let logLevel: LogLevel.LogLevel | undefined
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === "--") {
      rest.push(...argv.slice(i))
      break
    }
    if (arg !== "--log-level" && !arg.startsWith("--log-level=")) {
      rest.push(arg)
      continue
    }
    const value = arg === "--log-level" ? argv[++i] ?? "" : arg.slice("--log-level=".length)
    const level = (levelOf as Record<string, LogLevel.LogLevel | undefined>)[value.toLowerCase()]
    if (level === undefined) return { _tag: "Invalid", value }
    logLevel = level
  }
  return { _tag: "Parsed", argv: rest, logLevel }
}

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
