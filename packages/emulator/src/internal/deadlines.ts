import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import type * as Scope from "effect/Scope"

interface Entry {
  readonly at: number
  /** Dropped once fired or cancelled: it holds the waiter (and so its fiber). */
  onTimeout: (() => void) | undefined
}

interface Timer {
  at: number
  fiber: Fiber.RuntimeFiber<void> | undefined
}

/** @internal */
export interface Deadlines {
  /** Call `onTimeout` at `at` (Clock millis) unless the returned cancel is called before. */
  readonly unsafeAdd: (at: number, onTimeout: () => void) => () => void
  /**
   * Make sure a timer wakes up by `at`: run it after `unsafeAdd` (a timer that finds nothing
   * left to wait for stops). Most of the time one already does, and this is `Effect.void`.
   */
  readonly ensureTimer: (at: number) => Effect.Effect<void>
}

/**
 * Timeouts for many waiters (the long-polls) on one timer fiber that sleeps on the Clock until the
 * earliest deadline, so a TestClock still drives them. A timeout per poll (`Effect.timeoutOption`)
 * races two fibers for each request, which costs more than the rest of the request
 * (`pnpm bench --only emulator-longpoll` measures the emulator's long-polls).
 *
 * One heap and timer per Clock: an emulator shared by tests that each have their own TestClock
 * times each poll out on its own test's clock, as a timeout per poll would.
 *
 * @internal
 */
export const make = (scope: Scope.Scope): (clock: Clock.Clock) => Deadlines => {
  const byClock = new WeakMap<Clock.Clock, Deadlines>()
  return (clock) => {
    let deadlines = byClock.get(clock)
    if (deadlines === undefined) {
      deadlines = forClock(scope, clock)
      byClock.set(clock, deadlines)
    }
    return deadlines
  }
}

const forClock = (scope: Scope.Scope, clock: Clock.Clock): Deadlines => {
  // A binary min-heap on `at`. A cancelled entry stays until it reaches the top, or until such
  // entries are half of the heap (then it is rebuilt without them).
  const heap: Array<Entry> = []
  let cancelled = 0

  const up = (i: number) => {
    const e = heap[i]
    while (i > 0) {
      const parent = (i - 1) >> 1
      if (heap[parent].at <= e.at) break
      heap[i] = heap[parent]
      i = parent
    }
    heap[i] = e
  }
  const down = (i: number) => {
    const e = heap[i]
    while (true) {
      const l = 2 * i + 1
      if (l >= heap.length) break
      const c = l + 1 < heap.length && heap[l + 1].at < heap[l].at ? l + 1 : l
      if (heap[c].at >= e.at) break
      heap[i] = heap[c]
      i = c
    }
    heap[i] = e
  }
  const pop = (): Entry => {
    const top = heap[0]
    const last = heap.pop()!
    if (heap.length > 0) {
      heap[0] = last
      down(0)
    }
    if (top.onTimeout === undefined) cancelled--
    return top
  }
  const compact = () => {
    let n = 0
    for (const e of heap) if (e.onTimeout !== undefined) heap[n++] = e
    heap.length = n
    cancelled = 0
    for (let i = (n >> 1) - 1; i >= 0; i--) down(i)
  }

  // The timer responsible for the heap; a superseded one exits when it wakes.
  let armed: Timer | undefined

  const run = (timer: Timer): Effect.Effect<void> =>
    Effect.suspend(() => {
      if (armed !== timer) return Effect.void
      const now = clock.unsafeCurrentTimeMillis()
      while (heap.length > 0 && (heap[0].onTimeout === undefined || heap[0].at <= now)) {
        const e = pop()
        const fire = e.onTimeout
        e.onTimeout = undefined
        fire?.()
      }
      if (heap.length === 0) {
        armed = undefined
        return Effect.void
      }
      timer.at = heap[0].at
      return Effect.zipRight(clock.sleep(Duration.millis(timer.at - now)), run(timer))
    })

  const ensureTimer = (at: number): Effect.Effect<void> => {
    if (armed !== undefined && armed.at <= at) return Effect.void
    const previous = armed
    const timer: Timer = { at, fiber: undefined }
    armed = timer
    return Effect.gen(function*() {
      if (previous?.fiber !== undefined) yield* Fiber.interruptFork(previous.fiber)
      timer.fiber = yield* Effect.forkIn(Effect.interruptible(run(timer)), scope)
    })
  }

  const unsafeAdd = (at: number, onTimeout: () => void): () => void => {
    const entry: Entry = { at, onTimeout }
    heap.push(entry)
    up(heap.length - 1)
    return () => {
      if (entry.onTimeout === undefined) return
      entry.onTimeout = undefined
      if (++cancelled > 1024 && cancelled * 2 > heap.length) compact()
    }
  }

  return { ensureTimer, unsafeAdd }
}
