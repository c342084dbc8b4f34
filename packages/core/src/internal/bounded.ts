/**
 * What an error may keep and show of a value it did not make (a server's body, an answer): a copy
 * cut to a few levels and a few kilobytes, with the client's own key taken out of every string.
 * A server can send a 100,000-deep array or a 100 MB string; an error holding either as it came
 * could not be printed (`JSON.stringify` and the renderers recurse) and would keep it all alive.
 *
 * @since 0.1.0
 * @internal
 */

/** How much of a value is kept. */
export interface Limits {
  /** Nesting levels kept; deeper values become `"[…]"` or `"{…}"`. */
  readonly depth: number
  /** Items of an array, or keys of an object, kept at each level. */
  readonly items: number
  /** Characters of a string kept. */
  readonly string: number
  /** Characters of the whole copy, roughly as JSON; past it values become `"…"`. */
  readonly total: number
}

/** The limits errors use for server bodies. */
export const defaults: Limits = { depth: 8, items: 50, string: 2000, total: 8000 }

/** The limits for a value an error must keep whole in any sane case (an answer): depth only. */
export const answerLimits: Limits = { depth: 64, items: Infinity, string: Infinity, total: Infinity }

const identity = (s: string) => s

/** Cuts `text` to `max` characters, marking the cut. */
export const cut = (text: string, max: number): string => text.length > max ? `${text.slice(0, max)}…` : text

/**
 * A copy of `value` within `limits`, with `scrub` applied to every string and key. Never throws:
 * a getter that throws or a value that cannot be copied becomes a string saying so.
 */
export const copy = (
  value: unknown,
  scrub: (text: string) => string = identity,
  limits: Limits = defaults
): unknown => {
  let left = limits.total
  const go = (v: unknown, depth: number): unknown => {
    if (left <= 0) return "…"
    switch (typeof v) {
      case "string": {
        const text = cut(scrub(v), limits.string)
        left -= text.length + 2
        return text
      }
      case "number":
      case "boolean":
        left -= 6
        return v
      case "undefined":
        return undefined
      case "object":
        break
      default:
        left -= 10
        return `[${typeof v}]`
    }
    if (v === null) {
      left -= 4
      return null
    }
    if (depth >= limits.depth) {
      left -= 5
      return Array.isArray(v) ? "[…]" : "{…}"
    }
    if (Array.isArray(v)) {
      const out: Array<unknown> = []
      for (let i = 0; i < v.length; i++) {
        if (i >= limits.items || left <= 0) {
          out.push(`… ${v.length - i} more`)
          break
        }
        out.push(go(v[i], depth + 1))
      }
      return out
    }
    const out: Record<string, unknown> = {}
    let keys: Array<string>
    try {
      keys = Object.keys(v)
    } catch {
      return "[unreadable]"
    }
    for (let i = 0; i < keys.length; i++) {
      if (i >= limits.items || left <= 0) {
        out["…"] = `${keys.length - i} more`
        break
      }
      const key = cut(scrub(keys[i]), 200)
      left -= key.length + 3
      let item: unknown
      try {
        item = (v as Record<string, unknown>)[keys[i]]
      } catch {
        item = "[unreadable]"
      }
      // Defined rather than assigned, so that a `__proto__` key stays a key.
      Object.defineProperty(out, key, {
        value: go(item, depth + 1),
        enumerable: true,
        writable: true,
        configurable: true
      })
    }
    return out
  }
  return go(value, 0)
}

/** `value` as JSON text within `limits`; never throws. */
export const render = (value: unknown, limits: Limits = defaults): string => {
  if (typeof value === "string") return cut(value, limits.string)
  try {
    return JSON.stringify(copy(value, identity, limits)) ?? String(value)
  } catch {
    return "(unprintable)"
  }
}

/**
 * A function that takes `secret` out of any text, for text the client did not write (a server
 * that echoes the request). Secrets too short to be told from ordinary text are left alone.
 */
export const scrubber = (secret: string): (text: string) => string =>
  secret.length < 8 ? identity : (text) => text.includes(secret) ? text.split(secret).join("[redacted]") : text
