/**
 * Help without loading the CLI. What `hai --help` prints is a function of the command tree (fixed
 * at build time), the argv and whether stdout gets escapes, so the build renders every help
 * invocation with the real CLI and records the text beside the bundle (`help.json`, see
 * {@link HelpTable}); the executable's entry prints a recorded text when the argv is exactly one of
 * those invocations, and imports the CLI otherwise. Loading effect and @effect/cli costs more than
 * the whole start-up budget of `hai --help`.
 *
 * This module is the entry's: it imports nothing but Node.
 *
 * @internal
 */
import * as Fs from "node:fs"

/** The contents of `help.json`. */
export interface HelpTable {
  /** The distinct texts, referred to by index. */
  readonly texts: ReadonlyArray<string>
  /** By {@link keyOf} of the arguments after `hai`. */
  readonly invocations: Readonly<Record<string, Recorded>>
}

/** One invocation: its stdout without and with escapes (indexes into `texts`), and exit code. */
export interface Recorded {
  readonly plain: number
  readonly ansi: number
  readonly code: number
}

/** The variable that turns the recorded help off (the tests compare it with the CLI's). */
export const disableVariable = "HAI_NO_FAST_HELP"

/** An argv as a key (no argument can hold a NUL). */
export const keyOf = (args: ReadonlyArray<string>): string => args.join("\u0000")

/** Whether an argv may be a help invocation, before reading the table. */
export const mayBeHelp = (args: ReadonlyArray<string>): boolean => {
  const last = args[args.length - 1]
  return last === "--help" || last === "-h"
}

/** The rule of `Render.detectStyle` for stdout, read straight from the process. */
export const ansiFor = (isTTY: boolean, env: Readonly<Record<string, string | undefined>>): boolean =>
  isTTY && (env.NO_COLOR ?? "") === "" && env.TERM !== "dumb"

/**
 * Prints the recorded help for `args` and returns true, or returns false (nothing printed) when
 * `args` is no recorded invocation, the table is missing or the fast path is turned off.
 */
export const serve = (table: URL, args: ReadonlyArray<string>): boolean => {
  const env = process.env
  if (!mayBeHelp(args) || (env[disableVariable] ?? "") !== "") return false
  let parsed: HelpTable
  try {
    parsed = JSON.parse(Fs.readFileSync(table, "utf8"))
  } catch {
    return false
  }
  const recorded = Object.hasOwn(parsed.invocations, keyOf(args)) ? parsed.invocations[keyOf(args)] : undefined
  if (recorded === undefined) return false
  const text = parsed.texts[ansiFor(process.stdout.isTTY === true, env) ? recorded.ansi : recorded.plain]!
  // A reader that left (`hai --help | head -1`): the CLI, done writing, keeps its exit code and
  // prints nothing; so does this.
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error
  })
  process.stdout.write(text)
  process.exitCode = recorded.code
  return true
}
