/**
 * Everything `hai` prints: the {@link Output} streams (stdout for results, stderr for progress
 * and errors), tables, key/value blocks, JSON lines, masked keys and error reports.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"

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
  NotFound: "Check the id; `hai sessions list` shows recent sessions.",
  RateLimited: "Wait a little, or check the quota with `hai whoami`.",
  InvalidBaseUrl: "Pass a full URL, e.g. --base-url https://agp.eu.hcompany.ai"
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
  const hint = typeof e.hint === "string" ? e.hint : tag ? hints[tag] : undefined
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
