/**
 * A keyed in-memory table with creation and update times, and the paging and sorting the list
 * endpoints share.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"

/** @internal */
export interface Row<A> {
  readonly value: A
  readonly createdAt: number
  readonly updatedAt: number
}

/** @internal */
export interface Table<A> {
  readonly get: (key: string) => Row<A> | undefined
  readonly rows: () => Array<Row<A>>
  readonly put: (key: string, value: A) => Effect.Effect<Row<A>>
  readonly remove: (key: string) => boolean
}

/** @internal */
export const make = <A>(): Table<A> => {
  const rows = new Map<string, Row<A>>()
  return {
    get: (key) => rows.get(key),
    rows: () => Array.from(rows.values()),
    put: (key, value) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const row = { value, createdAt: rows.get(key)?.createdAt ?? now, updatedAt: now }
        rows.set(key, row)
        return row
      }),
    remove: (key) => rows.delete(key)
  }
}

/** Sort rows by `sort[0]` (`created_at`, or a field read by `key`; a leading `-` descends). @internal */
export const sortRows = <A>(
  rows: Array<Row<A>>,
  sort: ReadonlyArray<string> | null | undefined,
  key: (a: A) => string
) => {
  const s = (sort ?? ["-created_at"])[0] ?? "-created_at"
  const desc = s.startsWith("-")
  const field = desc ? s.slice(1) : s
  rows.sort((a, b) => {
    const c = field === "created_at" ? a.createdAt - b.createdAt : key(a.value).localeCompare(key(b.value))
    return desc ? -c : c
  })
  return rows
}

/** @internal */
export const stripNulls = <A extends object>(o: A): Partial<A> => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) out[k] = v
  return out as Partial<A>
}

/** @internal */
export const iso = (
  ms: number | null | undefined
) => (ms === null || ms === undefined ? null : new Date(ms).toISOString())
