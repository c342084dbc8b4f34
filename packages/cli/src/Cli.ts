/**
 * The `hai` command line: the command tree, and {@link main}, which runs it on an argv and turns
 * failures into `Error: ...` lines on stderr and an exit code.
 *
 * @since 0.1.0
 */
import * as Command from "@effect/cli/Command"
import * as HelpDoc from "@effect/cli/HelpDoc"
import * as ValidationError from "@effect/cli/ValidationError"
import * as Effect from "effect/Effect"
import * as Logger from "effect/Logger"
import * as Agents from "./commands/agents.js"
import * as Doctor from "./commands/doctor.js"
import * as EmulatorCommand from "./commands/emulator.js"
import * as Login from "./commands/login.js"
import * as Mcp from "./commands/mcp.js"
import * as Run from "./commands/run.js"
import * as Sessions from "./commands/sessions.js"
import * as Global from "./Global.js"
import * as CliConsole from "./internal/console.js"
import * as Render from "./Render.js"

/**
 * The whole command tree.
 *
 * @since 0.1.0
 * @category Commands
 */
export const command = Global.hai.pipe(
  Command.withDescription("Drive H Company's Computer-Use agents from the terminal"),
  Command.withSubcommands([
    Run.command,
    Sessions.command,
    Agents.agents,
    Agents.skills,
    Login.login,
    Login.logout,
    Login.whoami,
    Doctor.command,
    Mcp.command,
    EmulatorCommand.command
  ])
)

/**
 * Runs the CLI on a full argv (`[node, script, ...args]`); global options (`--json`,
 * `--api-key`, `--base-url`, `--log-level`) may appear anywhere before `--`. Fails with a
 * `ValidationError` for invalid arguments (already reported on stderr).
 *
 * @since 0.1.0
 * @category Running
 */
export const run = (argv: ReadonlyArray<string>) =>
  Effect.suspend(() => {
    const parsed = Global.takeLogLevel(Global.hoistGlobals(argv))
    if (parsed._tag === "Invalid") {
      const message = `Invalid --log-level ${JSON.stringify(parsed.value)}: use one of ${Global.logLevels.join(", ")}.`
      return Effect.zipRight(
        Render.info(`Error: ${message}`),
        Effect.fail(ValidationError.invalidValue(HelpDoc.p(message)))
      )
    }
    const program = Command.run(command, { name: "hai", version: Global.version })(parsed.argv)
    return parsed.logLevel === undefined ? program : Logger.withMinimumLogLevel(program, parsed.logLevel)
  })

/**
 * Runs the CLI and succeeds with the exit code: 0, 1 after printing `Error: ...` (with a hint and
 * the `loc: msg` lines of a 422) on stderr, 2 for invalid arguments (already reported). Logs go
 * to stderr through {@link Render.logger}, and what @effect/cli prints (help, usage errors)
 * without its placeholder descriptions, with escapes only for a terminal without `NO_COLOR`.
 *
 * @since 0.1.0
 * @category Running
 */
export const main = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const output = yield* Render.Output
    const style = yield* Render.detectStyle
    const base = yield* Effect.console
    return yield* run(argv).pipe(
      Effect.as(0),
      Effect.catchAll((error) =>
        ValidationError.isValidationError(error) ? Effect.succeed(2) : Effect.as(Render.printError(error), 1)
      ),
      Effect.withConsole(CliConsole.make(base, output, style)),
      Effect.provideService(Render.Style, style),
      Effect.provide(Logger.replace(Logger.defaultLogger, Render.logger))
    )
  })
