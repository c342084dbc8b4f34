/**
 * Everything `hai` prints: the {@link Output} streams (stdout for results, stderr for progress
 * and errors), tables, key/value blocks, JSON lines, masked keys and error reports.
 *
 * @since 0.1.0
 */
import * as Cause from "effect/Cause"
import * as Config from "effect/Config"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as FiberRef from "effect/FiberRef"
import * as FiberRefs from "effect/FiberRefs"
import * as HashMap from "effect/HashMap"
import * as Logger from "effect/Logger"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Util from "node:util"

// =============================================================================
// Output
// =============================================================================

/**
 * One output stream.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Stream {
  /** Whether it is a terminal (spinners and colours only then). */
  readonly isTTY: boolean
  readonly write: (text: string) => void
}

/**
 * The two output streams and the JSON switch.
 *
 * @since 0.1.0
 * @category Models
 */
export interface OutputService {
  readonly stdout: Stream
  readonly stderr: Stream
}

/**
 * Where `hai` writes. Defaults to the process's stdout and stderr; tests provide
 * {@link capture}.
 *
 * @since 0.1.0
 * @category Context
 */
export class Output extends Context.Reference<Output>()("@hai-effect/cli/Render/Output", {
  defaultValue: (): OutputService => ({
    stdout: {
      get isTTY() {
        return process.stdout.isTTY === true
      },
      write: (text) => void process.stdout.write(text)
    },
    stderr: {
      get isTTY() {
        return process.stderr.isTTY === true
      },
      write: (text) => void process.stderr.write(text)
    }
  })
}) {}

/**
 * An in-memory {@link OutputService} that records what was written.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const capture = (options?: { readonly stdoutTTY?: boolean; readonly stderrTTY?: boolean }) => {
  const out: Array<string> = []
  const err: Array<string> = []
  const service: OutputService = {
    stdout: { isTTY: options?.stdoutTTY ?? false, write: (text) => void out.push(text) },
    stderr: { isTTY: options?.stderrTTY ?? false, write: (text) => void err.push(text) }
  }
  return {
    service,
    stdout: () => out.join(""),
    stderr: () => err.join("")
  }
}

// =============================================================================
// Style
// =============================================================================

/**
 * Whether each stream gets ANSI escapes (colours, and the spinner's line rewriting).
 *
 * @since 0.1.0
 * @category Models
 */
export interface StyleService {
  readonly stdout: boolean
  readonly stderr: boolean
}

/**
 * The {@link StyleService} of the current run; plain text unless {@link detectStyle} said
 * otherwise.
 *
 * @since 0.1.0
 * @category Context
 */
export class Style extends Context.Reference<Style>()("@hai-effect/cli/Render/Style", {
  defaultValue: (): StyleService => ({ stdout: false, stderr: false })
}) {}

const nonEmptyVariable = (name: string) =>
  Config.string(name).pipe(
    Config.option,
    Config.map(Option.filter((value) => value.length > 0)),
    Effect.orElseSucceed(() => Option.none<string>())
  )

/**
 * Escapes go to a stream only when it is a terminal, `NO_COLOR` is unset or empty
 * (https://no-color.org) and `TERM` is not `dumb`.
 *
 * @since 0.1.0
 * @category Style
 */
export const detectStyle: Effect.Effect<StyleService> = Effect.gen(function*() {
  const output = yield* Output
  const noColor = yield* nonEmptyVariable("NO_COLOR")
  const term = yield* nonEmptyVariable("TERM")
  const allowed = Option.isNone(noColor) && Option.getOrUndefined(term) !== "dumb"
  return { stdout: allowed && output.stdout.isTTY, stderr: allowed && output.stderr.isTTY }
})

// =============================================================================
// Logging
// =============================================================================

const labels: Record<string, readonly [label: string, colour: string]> = {
  Fatal: ["Error", "31"],
  Error: ["Error", "31"],
  Warning: ["Warning", "33"],
  Info: ["Info", "36"],
  Debug: ["debug", "2"],
  Trace: ["trace", "2"]
}

const format = (args: ReadonlyArray<unknown>): string =>
  args.map((arg) => typeof arg === "string" ? arg : Util.inspect(arg)).join(" ")

const messageText = (message: unknown): string => Array.isArray(message) ? format(message) : format([message])

/**
 * The CLI's logger: one `Warning: ...` line per message on stderr, coloured on a terminal;
 * debug and trace lines also show their annotations and the full cause. Writes to the
 * {@link Output} of the fiber that logs, so tests capture it.
 *
 * @since 0.1.0
 * @category Logging
 */
export const logger: Logger.Logger<unknown, void> = Logger.make(
  ({ annotations, cause, context, logLevel, message }) => {
    const services = FiberRefs.getOrDefault(context, FiberRef.currentContext)
    const output = Context.get(services, Output)
    const style = Context.get(services, Style)
    const [label, colour] = labels[logLevel._tag] ?? [logLevel.label, "0"]
    const verbose = logLevel._tag === "Debug" || logLevel._tag === "Trace"
    let text = messageText(message)
    if (verbose) {
      for (const [key, value] of HashMap.toEntries(annotations)) text += ` ${key}=${format([value])}`
    }
    if (!Cause.isEmpty(cause)) {
      const detail = verbose ? Cause.pretty(cause) : Cause.pretty(cause).split("\n")[0]!
      text += `\n  ${detail.split("\n").join("\n  ")}`
    }
    const head = style.stderr ? `\x1b[${colour}m${label}:\x1b[0m` : `${label}:`
    output.stderr.write(`${head} ${text}\n`)
  }
)

// =============================================================================
// Printing
// =============================================================================

/**
 * Writes a line to stdout.
 *
 * @since 0.1.0
 * @category Printing
 */
export const line = (text = ""): Effect.Effect<void> => Effect.map(Output, (o) => o.stdout.write(`${text}\n`))

/**
 * Writes a line to stderr.
 *
 * @since 0.1.0
 * @category Printing
 */
export const info = (text = ""): Effect.Effect<void> => Effect.map(Output, (o) => o.stderr.write(`${text}\n`))

/**
 * Writes one JSON document on one line to stdout.
 *
 * @since 0.1.0
 * @category Printing
 */
export const json = (value: unknown): Effect.Effect<void> => line(JSON.stringify(value))

/**
 * Prints a value: one JSON line when `asJson`, else the text the function makes.
 *
 * @since 0.1.0
 * @category Printing
 */
export const either = <A>(asJson: boolean, value: A, text: (value: A) => string): Effect.Effect<void> =>
  asJson ? json(value) : line(text(value))

// =============================================================================
// Formatting
// =============================================================================

/**
 * A plain-text table with a header row; columns padded to their widest cell.
 *
 * @since 0.1.0
 * @category Formatting
 */
export const table = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const format = (cells: ReadonlyArray<string>) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ").trimEnd()
  return [format(headers), ...rows.map(format)].join("\n")
}

/**
 * `key: value` lines, keys aligned; `undefined` and `null` values are skipped.
 *
 * @since 0.1.0
 * @category Formatting
 */
export const fields = (entries: ReadonlyArray<readonly [string, unknown]>): string => {
  const shown = entries.filter(([, v]) => v !== undefined && v !== null)
  const width = Math.max(0, ...shown.map(([k]) => k.length))
  return shown.map(([k, v]) => `${`${k}:`.padEnd(width + 1)} ${typeof v === "string" ? v : JSON.stringify(v)}`).join(
    "\n"
  )
}

/**
 * Shortens text to `max` characters on one line.
 *
 * @since 0.1.0
 * @category Formatting
 */
export const truncate = (text: string, max: number): string => {
  const flat = text.replace(/\s+/g, " ").trim()
  return flat.length > max ? `${flat.slice(0, Math.max(0, max - 1))}…` : flat
}

/**
 * A key shown without revealing it: its prefix and last four characters (`hk-…abcd`).
 *
 * @since 0.1.0
 * @category Formatting
 */
export const maskKey = (key: Redacted.Redacted<string> | string): string => {
  const value = Redacted.isRedacted(key) ? Redacted.value(key) : key
  const prefix = value.startsWith("hk-") ? "hk-" : ""
  return value.length <= prefix.length + 8 ? `${prefix}…` : `${prefix}…${value.slice(-4)}`
}

/**
 * An answer for the terminal: strings as is, other values as indented JSON.
 *
 * @since 0.1.0
 * @category Formatting
 */
export const answer = (value: unknown): string =>
  value === undefined || value === null
    ? "(no answer)"
    : typeof value === "string"
    ? value
    : JSON.stringify(value, null, 2)

/**
 * One line describing a session event: its type, its kind for agent events, and its text.
 *
 * @since 0.1.0
 * @category Formatting
 */
export const describeEvent = (event: { readonly type: unknown; readonly data?: unknown }): string => {
  const data = (event.data ?? {}) as Record<string, unknown>
  const kind = typeof data.kind === "string" ? data.kind : undefined
  const text = [
    data.text,
    data.content,
    data.message,
    data.thought,
    data.answer,
    data.error,
    data.status,
    data.state,
    data.reason,
    data.live_view_url
  ].find(
    (v) => typeof v === "string" && v.length > 0
  ) as string | undefined
  const head = kind ? `${String(event.type)}/${kind}` : String(event.type)
  return text ? `${head}: ${truncate(text, 160)}` : head
}

// =============================================================================
// Errors
// =============================================================================

/**
 * What to print for a failure: a one-line message, detail lines (`loc: msg` of a 422) and a hint.
 *
 * @since 0.1.0
 * @category Errors
 */
export interface ErrorReport {
  readonly message: string
  readonly details: ReadonlyArray<string>
  readonly hint: string | undefined
}

const hints: Record<string, string> = {
  MissingApiKey: "Run `hai login`, or pass --api-key, or set HAI_API_KEY.",
  Unauthorized: "Check the key with `hai whoami`; `hai login` mints a new one.",
  TransportError: "Check the network and --base-url; `hai doctor` tests the connection.",
  RateLimited: "Wait a little, or check the quota with `hai whoami`.",
  Conflict: "The session is not in a state that allows this; `hai sessions status ID` shows its status.",
  InvalidBaseUrl: "Pass a full URL, e.g. --base-url https://agp.eu.hcompany.ai"
}

// The list command that shows the ids a 404 was about: the path says which resource, and on a
// create (no id in the path) the server's detail names what it could not find (the agent, a skill).
const notFoundHint = (url: unknown, detail: unknown): string => {
  const path = typeof url === "string" && URL.canParse(url) ? new URL(url).pathname : ""
  const text = typeof detail === "string" ? detail : JSON.stringify(detail ?? "")
  const lists: ReadonlyArray<readonly [RegExp, RegExp, string]> = [
    [/\/agents(\/|$)/, /\bagent\b/i, "Check the name; `hai agents list` shows the agents you can use."],
    [/\/skills(\/|$)/, /\bskill\b/i, "Check the name; `hai skills list` shows the skills you can use."],
    [/\/sessions\/[^/]+/, /\bsession\b/i, "Check the id; `hai sessions list` shows recent sessions."]
  ]
  const found = lists.find(([inPath]) => inPath.test(path)) ?? lists.find(([, inDetail]) => inDetail.test(text))
  return found !== undefined ? found[2] : "Check the id, and that the key's organisation and region own it."
}

/**
 * Builds the {@link ErrorReport} of any failure; 422 details become `loc: msg` lines.
 *
 * @since 0.1.0
 * @category Errors
 */
export const errorReport = (error: unknown): ErrorReport => {
  const e = (error ?? {}) as Record<string, unknown>
  const tag = typeof e._tag === "string" ? e._tag : undefined
  if (tag === "Unprocessable" && Array.isArray(e.detail)) {
    const details = e.detail.map((d: any) =>
      `${Array.isArray(d?.loc) ? d.loc.join(".") : "?"}: ${typeof d?.msg === "string" ? d.msg : JSON.stringify(d)}`
    )
    return {
      message: `${String(e.method)} ${String(e.url)} was rejected as invalid (422):`,
      details,
      hint: "Fix the fields named above."
    }
  }
  const message = error instanceof Error || typeof e.message === "string"
    ? String(e.message)
    : typeof error === "string"
    ? error
    : JSON.stringify(error)
  const hint = typeof e.hint === "string"
    ? e.hint
    : tag === "NotFound"
    ? notFoundHint(e.url, e.detail)
    : tag
    ? hints[tag]
    : undefined
  return { message: message.length > 0 ? message : String(tag ?? "unknown error"), details: [], hint }
}

/**
 * Prints `Error: ...` on stderr, with detail lines and a hint.
 *
 * @since 0.1.0
 * @category Errors
 */
export const printError = (error: unknown): Effect.Effect<void> => {
  const report = errorReport(error)
  return Effect.map(Output, (o) => {
    o.stderr.write(`Error: ${report.message}\n`)
    for (const detail of report.details) o.stderr.write(`  ${detail}\n`)
    if (report.hint && !report.message.includes(report.hint)) o.stderr.write(`Hint: ${report.hint}\n`)
  })
}
