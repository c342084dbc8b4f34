/**
 * Reading and editing `.env` files: `KEY=VALUE` lines, optional `export ` prefix, single,
 * double or back quotes, `#` comments. Edits keep every other line as it was.
 *
 * @example
 * import { DotEnv } from "@hai-effect/platform-node"
 *
 * DotEnv.parse("export HAI_API_KEY='hk-123' # mine\n") // { HAI_API_KEY: "hk-123" }
 *
 * @since 0.1.0
 */

const linePattern = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/

const unescapeDouble = (value: string): string =>
  value.replace(/\\([nrt"\\$])/g, (_, c: string) => c === "n" ? "\n" : c === "r" ? "\r" : c === "t" ? "\t" : c)

const parseValue = (raw: string): string => {
  const quote = raw[0]
  if (quote === "\"" || quote === "'" || quote === "`") {
    let end = -1
    for (let i = 1; i < raw.length; i++) {
      if (quote === "\"" && raw[i] === "\\") {
        i++
        continue
      }
      if (raw[i] === quote) {
        end = i
        break
      }
    }
    if (end > 0) {
      const inner = raw.slice(1, end)
      return quote === "\"" ? unescapeDouble(inner) : inner
    }
  }
  const comment = raw.search(/\s#/)
  return (comment >= 0 ? raw.slice(0, comment) : raw).trim()
}

const keyOf = (line: string): string | undefined => {
  if (/^\s*(#|$)/.test(line)) return undefined
  return linePattern.exec(line)?.[1]
}

/**
 * Parses the text of a `.env` file. Blank lines, comments and lines that are not assignments
 * are skipped; when a key repeats, the last assignment wins.
 *
 * @example
 * import { DotEnv } from "@hai-effect/platform-node"
 *
 * const values = DotEnv.parse([
 *   "# credentials",
 *   "export HAI_API_KEY=\"hk-abc\"",
 *   "HAI_API_BASE_URL=https://agp.hcompany.ai # US"
 * ].join("\n"))
 * // { HAI_API_KEY: "hk-abc", HAI_API_BASE_URL: "https://agp.hcompany.ai" }
 *
 * @since 0.1.0
 * @category Parsing
 */
export const parse = (text: string): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const line of text.split(/\r?\n/)) {
    if (/^\s*(#|$)/.test(line)) continue
    const match = linePattern.exec(line)
    if (match === null) continue
    out[match[1]] = parseValue(match[2].trim())
  }
  return out
}

/**
 * Formats one value for a `.env` line: bare when it is made of safe characters, else double
 * quoted with `\\`, `"`, `$` and newlines escaped.
 *
 * @example
 * import { DotEnv } from "@hai-effect/platform-node"
 *
 * DotEnv.formatValue("hk-123") // "hk-123"
 * DotEnv.formatValue("a b") // "\"a b\""
 *
 * @since 0.1.0
 * @category Formatting
 */
export const formatValue = (value: string): string =>
  /^[A-Za-z0-9_\-.:/@+=,~%?&]*$/.test(value)
    ? value
    : `"${value.replace(/[\\"$]/g, (c) => `\\${c}`).replace(/\n/g, "\\n").replace(/\r/g, "\\r")}"`

/**
 * Applies changes to the text of a `.env` file and returns the new text. A key mapped to a string
 * is set (in place of its first assignment, or appended); a key mapped to `undefined` is removed.
 * Every other line (comments, blank lines, other keys) is kept as it was.
 *
 * @example
 * import { DotEnv } from "@hai-effect/platform-node"
 *
 * DotEnv.update("# mine\nOTHER=1\nHAI_API_KEY=old\n", { HAI_API_KEY: "hk-new", H_API_KEY: undefined })
 * // "# mine\nOTHER=1\nHAI_API_KEY=hk-new\n"
 *
 * @since 0.1.0
 * @category Formatting
 */
export const update = (text: string, changes: Readonly<Record<string, string | undefined>>): string => {
  const lines = text.length === 0 ? [] : text.replace(/\r?\n$/, "").split(/\r?\n/)
  const written = new Set<string>()
  const out: Array<string> = []
  for (const line of lines) {
    const key = keyOf(line)
    if (key === undefined || !Object.prototype.hasOwnProperty.call(changes, key)) {
      out.push(line)
      continue
    }
    const value = changes[key]
    if (value === undefined || written.has(key)) continue
    written.add(key)
    out.push(`${/^\s*export\s/.test(line) ? "export " : ""}${key}=${formatValue(value)}`)
  }
  for (const [key, value] of Object.entries(changes)) {
    if (value !== undefined && !written.has(key)) out.push(`${key}=${formatValue(value)}`)
  }
  return out.length === 0 ? "" : `${out.join("\n")}\n`
}
