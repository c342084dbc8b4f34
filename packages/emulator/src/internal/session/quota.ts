/**
 * The org's concurrency quota and the queue behind it: how many sessions hold a slot, which are
 * waiting for one, and starting the oldest waiting ones as slots free.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { SessionRecord, Status } from "./model.js"
import { ACTIVE } from "./model.js"

/** @internal */
export interface Quota {
  readonly limit: number
  /** Sessions holding a slot (kept up to date on each status change, never counted by a scan). */
  readonly active: () => number
  readonly isFull: () => boolean
  readonly enqueue: (record: SessionRecord) => void
  /** Account for a status change; starts queued sessions when a slot was freed. */
  readonly onStatus: (record: SessionRecord, previous: Status, next: Status) => Effect.Effect<void>
  /** Creates and dispatches take turns: a create sees the quota as the last dispatch left it. */
  readonly exclusive: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}

/** @internal */
export const make = (limit: number, start: (record: SessionRecord) => Effect.Effect<void>): Quota => {
  const lock = Effect.unsafeMakeSemaphore(1)
  let active = 0
  // Oldest first; a record leaves it when its status leaves `queued`.
  let queue: Array<SessionRecord> = []

  const dispatch: Effect.Effect<void> = lock.withPermits(1)(Effect.suspend(function loop(): Effect.Effect<void> {
    if (queue.length === 0 || active >= limit) return Effect.void
    return Effect.zipRight(start(queue[0]), Effect.suspend(loop))
  }))

  return {
    limit,
    active: () => active,
    isFull: () => active >= limit,
    enqueue: (record) => {
      queue.push(record)
    },
    onStatus: (record, previous, next) =>
      Effect.suspend(() => {
        const delta = (ACTIVE.has(next) ? 1 : 0) - (ACTIVE.has(previous) ? 1 : 0)
        active += delta
        if (previous === "queued") queue = queue.filter((r) => r !== record)
        return delta < 0 && queue.length > 0 ? dispatch : Effect.void
      }),
    exclusive: (effect) => lock.withPermits(1)(effect)
  }
}
