/**
 * The `Console` that @effect/cli prints through (help, usage errors, the version), so that its
 * text follows the rules of hai's own output.
 *
 * @internal
 */
import type * as Console from "effect/Console"
import * as Effect from "effect/Effect"
import * as Util from "node:util"
import type * as Render from "../Render.js"

// CSI sequences (colours, cursor and line control): all that @effect/cli and hai ever write.
const ansiSequence = /\x1b\[[0-9;?]*[ -/]*[@-~]/g

/** The text without its ANSI escapes. */
export const stripAnsi = (text: string): string => text.replace(ansiSequence, "")

// What @effect/cli prints for an option or argument of a primitive type: it says nothing the
// usage line does not, and it stands first, before the description the command gives.
const placeholders = new Set([
  "A user-defined piece of text.",
  "A user-defined piece of text that is confidential.",
  "An integer.",
  "A floating point number.",
  "A true or false value."
])

/**
 * Help and usage text as @effect/cli renders it, made fit for the stream: its placeholder
 * descriptions dropped, and its escapes too when the stream gets none.
 */
export const tidy = (text: string, ansi: boolean): string => {
  const lines = text.split("\n")
  const kept: Array<string> = []
  for (let i = 0; i < lines.length; i++) {
    if (placeholders.has(stripAnsi(lines[i]!).trim())) {
      if (i + 1 < lines.length && stripAnsi(lines[i + 1]!).trim() === "") i++
      continue
    }
    kept.push(ansi ? lines[i]! : stripAnsi(lines[i]!))
  }
  return kept.join("\n")
}

const format = (args: ReadonlyArray<unknown>): string =>
  args.map((arg) => typeof arg === "string" ? arg : Util.inspect(arg)).join(" ")

/** A `Console` whose printing methods write to `output` through {@link tidy}. */
export const make = (
  base: Console.Console,
  output: Render.OutputService,
  style: Render.StyleService
): Console.Console => {
  const toStdout = (...args: ReadonlyArray<unknown>) => output.stdout.write(`${tidy(format(args), style.stdout)}\n`)
  const toStderr = (...args: ReadonlyArray<unknown>) => output.stderr.write(`${tidy(format(args), style.stderr)}\n`)
  const out = (...args: ReadonlyArray<unknown>) => Effect.sync(() => toStdout(...args))
  const err = (...args: ReadonlyArray<unknown>) => Effect.sync(() => toStderr(...args))
  return {
    ...base,
    log: out,
    info: out,
    debug: err,
    warn: err,
    error: err,
    unsafe: { ...base.unsafe, log: toStdout, info: toStdout, debug: toStderr, warn: toStderr, error: toStderr }
  }
}
