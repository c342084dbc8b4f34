/**
 * Helpers for properties over JSON values: every path into a value, a value with one path
 * replaced or removed, and the keys with which effect's own decoders misbehave.
 */

/** Every path into a JSON value (the root included). */
export const paths = (
  value: unknown,
  prefix: ReadonlyArray<string | number> = []
): Array<ReadonlyArray<string | number>> => {
  const out: Array<ReadonlyArray<string | number>> = [prefix]
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...prefix, i])))
  else if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...prefix, k]))
  }
  return out
}

/** Replaces (or deletes) the value at one path of a JSON value. */
export const mutate = (
  value: unknown,
  at: ReadonlyArray<string | number>,
  replacement: unknown,
  remove: boolean
): unknown => {
  if (at.length === 0) return replacement
  const copy: any = Array.isArray(value) ? [...value] : { ...(value as object) }
  const [head, ...rest] = at
  if (rest.length === 0 && remove) {
    if (Array.isArray(copy)) copy.splice(head as number, 1)
    else delete copy[head]
  } else copy[head] = mutate(copy[head], rest, replacement, remove)
  return copy
}

/**
 * Own keys that break effect's decoders today (see "exotic ... in valid JSON" in
 * wire.property.test.ts, which pins each one deterministically).
 */
export const exoticKeys = ["__proto__", "toString", "valueOf"]

export const hasExoticKeys = (value: unknown): boolean =>
  Array.isArray(value)
    ? value.some(hasExoticKeys)
    : value !== null && typeof value === "object"
    ? Object.keys(value).some((k) => exoticKeys.includes(k)) || Object.values(value).some(hasExoticKeys)
    : false
