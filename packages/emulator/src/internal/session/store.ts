/**
 * The sessions in memory, and the only way their state changes: `modify` swaps a record's state
 * and calls its listeners, so a long-poll or a waiting agent wakes on the very update it waits for.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type * as Scope from "effect/Scope"
import * as Deadlines from "../deadlines.js"
import type { NewEvent, SessionRecord, SessionState, Status, WireEvent } from "./model.js"
import { iso } from "./model.js"

/** A state as it was when seen, with the length the shared log had then. @internal */
export interface Seen {
  readonly state: SessionState
  readonly length: number
}

/** @internal */
export interface Store {
  readonly records: Map<string, SessionRecord>
  readonly find: (id: string) => SessionRecord | undefined
  readonly all: () => ReadonlyArray<SessionRecord>
  /** Replace the state with `f`'s, then run the status hook if the status changed. */
  readonly modify: <A>(
    record: SessionRecord,
    f: (s: SessionState, now: number) => readonly [A, SessionState]
  ) => Effect.Effect<A>
  readonly update: (record: SessionRecord, f: (s: SessionState, now: number) => SessionState) => Effect.Effect<void>
  /** The first state (the current one, or a later one) that satisfies `pred`. */
  readonly waitFor: (record: SessionRecord, pred: (s: SessionState) => boolean) => Effect.Effect<SessionState>
  /** The first state satisfying `pred` within `millis` (`undefined` on timeout). */
  readonly waitWithin: (
    record: SessionRecord,
    pred: (s: SessionState) => boolean,
    millis: number
  ) => Effect.Effect<Seen | undefined>
}

/**
 * Pushes onto the shared log: only call it on a state `modify` is about to commit.
 *
 * @internal
 */
export const append = (s: SessionState, now: number, events: ReadonlyArray<NewEvent>): SessionState => {
  const timestamp = iso(now)
  const log = s.events as Array<WireEvent>
  for (const e of events) log.push({ timestamp, type: e.type, data: e.data })
  return { ...s, lastActivityAt: now }
}

/** @internal */
export const make = (deps: {
  readonly scope: Scope.Scope
  /** Runs after a status change was committed (quota, queue, webhooks). */
  readonly onStatus: (record: SessionRecord, previous: Status, next: Status) => Effect.Effect<void>
}): Store => {
  const records = new Map<string, SessionRecord>()

  const modify = <A>(
    record: SessionRecord,
    f: (s: SessionState, now: number) => readonly [A, SessionState]
  ): Effect.Effect<A> =>
    Effect.uninterruptible(Clock.clockWith((clock) => {
      const prev = record.state
      const [a, next] = f(prev, clock.unsafeCurrentTimeMillis())
      if (next !== prev) {
        record.state = next
        for (const listener of record.listeners) listener(next)
      }
      return prev.status === next.status
        ? Effect.succeed(a)
        : Effect.as(deps.onStatus(record, prev.status, next.status), a)
    }))

  const waitFor = (record: SessionRecord, pred: (s: SessionState) => boolean): Effect.Effect<SessionState> =>
    Effect.suspend(() =>
      pred(record.state) ? Effect.succeed(record.state) : Effect.async<SessionState>((resume) => {
        if (pred(record.state)) return resume(Effect.succeed(record.state))
        const listener = (s: SessionState) => {
          if (!pred(s)) return
          record.listeners.delete(listener)
          resume(Effect.succeed(s))
        }
        record.listeners.add(listener)
        return Effect.sync(() => record.listeners.delete(listener))
      })
    )

  const seen = (state: SessionState): Seen => ({ state, length: state.events.length })
  const deadlines = Deadlines.make(deps.scope)

  // A listener and a deadline, no fiber of its own. Both are registered before the timer is armed
  // (an interruption before the fiber suspends leaves them to the next matching state or to the
  // deadline, which then do nothing).
  const waitWithin = (record: SessionRecord, pred: (s: SessionState) => boolean, millis: number) =>
    Clock.clockWith((clock) => {
      if (pred(record.state)) return Effect.succeed<Seen | undefined>(seen(record.state))
      const at = clock.unsafeCurrentTimeMillis() + millis
      const timeouts = deadlines(clock)
      let outcome: Seen | undefined | null = null
      let resume: ((outcome: Seen | undefined) => void) | undefined
      const settle = (o: Seen | undefined) => {
        if (outcome !== null) return
        outcome = o
        record.listeners.delete(listener)
        cancel()
        resume?.(o)
      }
      const listener = (s: SessionState) => {
        if (pred(s)) settle(seen(s))
      }
      const cancel = timeouts.unsafeAdd(at, () => settle(undefined))
      record.listeners.add(listener)
      return Effect.zipRight(
        timeouts.ensureTimer(at),
        Effect.async<Seen | undefined>((cb) => {
          if (outcome !== null) return cb(Effect.succeed(outcome))
          resume = (o) => cb(Effect.succeed(o))
          return Effect.sync(() => settle(undefined))
        })
      )
    })

  return {
    records,
    find: (id) => records.get(id),
    all: () => Array.from(records.values()),
    modify,
    update: (record, f) => modify(record, (s, now) => [undefined, f(s, now)] as const),
    waitFor,
    waitWithin
  }
}
