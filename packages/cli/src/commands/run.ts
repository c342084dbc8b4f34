/**
 * `hai run TASK`: starts a session, shows its progress and prints its answer. Interrupting
 * (Ctrl-C) cancels the remote session before exiting. What it does is in `../handlers/run.ts`,
 * loaded when the command runs.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"

/**
 * The agent `hai run` uses when `--agent` is not given.
 *
 * @since 0.1.0
 * @category Constants
 */
export const defaultAgent = "h/web-surfer-holo3-1-35b"

const config = {
  task: Args.text({ name: "task" }).pipe(Args.withDescription("What the agent should do")),
  agent: Options.text("agent").pipe(
    Options.withDescription(`Agent name (default: ${defaultAgent}; \`hai agents list\` shows the others)`),
    Options.withDefault(defaultAgent)
  ),
  maxSteps: Options.integer("max-steps").pipe(Options.withDescription("Most steps"), Options.optional),
  maxTime: Options.integer("max-time").pipe(
    Options.withDescription("Most seconds the agent may run"),
    Options.optional
  ),
  override: Options.text("override").pipe(
    Options.withAlias("o"),
    Options.withDescription("Override PATH=VALUE (repeatable), e.g. agent.environments[kind=web].start_url=..."),
    Options.repeated
  ),
  answerSchema: Options.file("answer-schema").pipe(
    Options.withDescription("JSON Schema file the answer must follow"),
    Options.optional
  ),
  idleTimeout: Options.integer("idle-timeout").pipe(
    Options.withDescription("Seconds the session stays idle after answering"),
    Options.optional
  )
}

/**
 * The parsed arguments of `hai run`.
 *
 * @since 0.1.0
 * @category Models
 */
export type Parsed = Command.Command.ParseConfig<typeof config>

/**
 * `hai run TASK [--agent NAME] [--max-steps N] [--max-time S] [-o PATH=VALUE ...]
 * [--answer-schema FILE] [--idle-timeout S]`
 *
 * @since 0.1.0
 * @category Commands
 */
export const command = Command.make(
  "run",
  config,
  (parsed) => Effect.flatMap(Effect.promise(() => import("../handlers/run.js")), (handler) => handler.run(parsed))
).pipe(Command.withDescription("Run an agent on a task and print its answer"))
