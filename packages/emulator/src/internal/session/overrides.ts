/**
 * `overrides` on a session request: dotted paths over the resolved request, list items picked by
 * `[field=value]` (`agent.environments[kind=web].start_url`).
 *
 * @internal
 */
import { isPlainObject } from "./model.js"

interface Part {
  readonly key: string
  readonly select?: readonly [field: string, value: string]
}

const parsePath = (path: string): ReadonlyArray<Part> =>
  path.split(".").map((part) => {
    const m = /^([^[\]]+)\[([^=\]]+)=([^\]]*)\]$/.exec(part)
    return m ? { key: m[1], select: [m[2], m[3]] as const } : { key: part }
  })

type Json = Record<string, unknown>

const child = (parent: Json, part: Part, last: boolean, value: unknown): Json | undefined => {
  if (part.select !== undefined) {
    const [field, wanted] = part.select
    const existing = parent[part.key]
    const list: Array<unknown> = Array.isArray(existing) ? existing : (parent[part.key] = [])
    let item = list.find((x): x is Json => isPlainObject(x) && String(x[field]) === wanted)
    if (item === undefined) {
      item = { [field]: wanted }
      list.push(item)
    }
    if (last && isPlainObject(value)) Object.assign(item, value)
    return item
  }
  if (last) {
    parent[part.key] = value
    return undefined
  }
  const next = parent[part.key]
  if (isPlainObject(next)) return next
  const made: Json = {}
  parent[part.key] = made
  return made
}

/**
 * Apply `overrides` to `target` in place (and return it).
 *
 * @internal
 */
export const apply = (target: Json, overrides: Readonly<Record<string, unknown>>): Json => {
  for (const [path, value] of Object.entries(overrides)) {
    const parts = parsePath(path)
    let cur: Json | undefined = target
    for (let i = 0; i < parts.length && cur !== undefined; i++) {
      cur = child(cur, parts[i], i === parts.length - 1, value)
    }
  }
  return target
}
