/**
 * A session's handle: its readers (`awaitSettled`, `events`, `status`) wait on the snapshot its
 * watcher publishes, and its commands go to the service.
 *
 * @since 0.1.0
 * @internal
 */
import * as Chunk from "effect/Chunk"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as Stream from "effect/Stream"
import * as ChangeFeed from "../ChangeFeed.js"
import { HaiAgents, type Service as Client } from "../HaiAgents.js"
import * as HaiError from "../HaiError.js"
import type * as Session from "../Session.js"
import type * as SessionStore from "../SessionStore.js"
import type * as Toolkit from "../Toolkit.js"
import * as TrajectoryStatus from "../TrajectoryStatus.js"
import type * as Wire from "../Wire.js"
import * as Cancelling from "./cancelling.js"
import type * as Cell from "./cell.js"
import * as Request from "./request.js"
import * as Turn from "./turn.js"
import * as Watcher from "./watcher.js"

export interface Options<A, I, T extends Toolkit.Any> extends Omit<Watcher.Options<T>, "state"> {
  readonly session: Wire.Session
  readonly answer: Schema.Schema<A, I> | undefined
  readonly state: Cell.Cell<Watcher.Snapshot>
  /** Leave the watcher to the caller rather than fork it in the scope (see {@link Watched}). */
  readonly watchInline?: boolean | undefined
}

/**
 * A handle, and the watcher that feeds it: already running in the scope, or (`watchInline`) to be
 * run by the caller. `Session.run` without deadlines runs it inline: a session that nobody can
 * steer needs no second fiber.
 */
export interface Watched<A, R> {
  readonly handle: Session.Handle<A>
  readonly watch: Effect.Effect<void, never, R>
}

type SnapshotTest = (s: Watcher.Snapshot) => boolean

// Settled since the turn began, or over: a failed or stopped watcher ends every wait.
const settledSince = (start: number): SnapshotTest => (s) =>
  Option.isSome(s.failure) || !s.watching || (s.settled && (s.count > start || TrajectoryStatus.isTerminal(s.status)))

const timedOut = (id: string, state: Cell.Cell<Watcher.Snapshot>, timeout: Duration.Duration) =>
  new HaiError.WaitTimeout({
    sessionId: id,
    lastStatus: state.unsafeGet().status,
    waitedMillis: Duration.toMillis(timeout)
  })

/** The wait's deadline timers, tied to the wait's scope. */
const deadlines = (hai: Client, id: string, wait: Session.WaitOptions, onHard: () => void) =>
  Effect.all([
    wait.softDeadline === undefined ? Effect.void : Effect.forkScoped(
      Effect.sleep(wait.softDeadline).pipe(
        Effect.zipRight(hai.sessions.forceAnswer(id)),
        Effect.catchAll((e) => Effect.logWarning("force answer at the soft deadline failed", e.message))
      )
    ),
    wait.hardDeadline === undefined ? Effect.void : Effect.forkScoped(
      Effect.sleep(wait.hardDeadline).pipe(
        Effect.zipRight(Effect.sync(onHard)),
        // Retried through faults; a failure is logged by `Cancelling.cancel`.
        Effect.zipRight(Effect.ignore(Cancelling.cancel(hai, id)))
      )
    )
  ], { discard: true })

// Each step waits for the snapshot to move past what was emitted and takes every event since,
// as one chunk: no queue of snapshots per reader, and a slow reader gets larger chunks, not a
// backlog. The events come first, then the watcher's failure if it failed, then the end. The
// position is the unfold's state, so each run of the stream starts from the first event.
const eventsOf = (
  state: Cell.Cell<Watcher.Snapshot>,
  log: Watcher.Log
): Stream.Stream<ChangeFeed.IndexedEvent, HaiError.SessionError> =>
  Stream.unfoldChunkEffect(log.base, (emitted) =>
    Effect.flatMap(
      state.await((s) => s.count > emitted || !s.watching || Option.isSome(s.failure)),
      (s): Effect.Effect<
        Option.Option<readonly [Chunk.Chunk<ChangeFeed.IndexedEvent>, number]>,
        HaiError.SessionError
      > => {
        if (s.count > emitted) {
          const chunk = Chunk.unsafeFromArray(log.events.slice(emitted - log.base, s.count - log.base))
          return Effect.succeed(Option.some([chunk, s.count] as const))
        }
        return Option.isSome(s.failure) ? Effect.fail(s.failure.value) : Effect.succeed(Option.none())
      }
    ))

/** What a handle knows of its session's turns; `start` and `hardDeadlineHit` change as it goes. */
interface Turns<A, I> extends Turn.Context<A, I> {
  readonly state: Cell.Cell<Watcher.Snapshot>
  /**
   * The index the current turn began at; -1: the first wait resolves on any settled state, even
   * one reached before this handle existed. Moved by `send` once the service took the message.
   */
  start: number
  hardDeadlineHit: boolean
}

// Within `maxRounds` rounds of the watcher from now, or a typed failure; the session goes on.
const withinRounds = <A, I>(turns: Turns<A, I>, start: number, maxRounds: number) => {
  const done = settledSince(start)
  const from = turns.state.unsafeGet().rounds ?? 0
  return Effect.flatMap(
    turns.state.await((s) => done(s) || (s.rounds ?? 0) - from >= maxRounds),
    (s) =>
      done(s) ? Effect.succeed(s) : Effect.fail(
        new HaiError.WaitRoundsExceeded({ sessionId: turns.sessionId, lastStatus: s.status, maxRounds })
      )
  )
}

const settled = <A, I>(turns: Turns<A, I>, start: number, wait: Session.WaitOptions | undefined) => {
  const timeout = wait?.timeout
  const waiting: Effect.Effect<Watcher.Snapshot, HaiError.WaitRoundsExceeded> = wait?.maxRounds === undefined
    ? turns.state.await(settledSince(start))
    : withinRounds(turns, start, Math.max(1, wait.maxRounds))
  return timeout === undefined ? waiting : Effect.timeoutFail(waiting, {
    duration: timeout,
    onTimeout: () => timedOut(turns.sessionId, turns.state, Duration.decode(timeout))
  })
}

/** The turn's context as of now, with the answer Schema of this wait when it has its own (`false`: none). */
const contextOf = <A, I>(
  turns: Turns<A, I>,
  wait: Session.AwaitOptions<unknown, unknown> | undefined
): Turn.Context<A, I> =>
  wait?.answer === undefined
    ? turns
    : { ...turns, answer: wait.answer === false ? undefined : wait.answer as unknown as Schema.Schema<A, I> }

// A scope only when there are deadline timers to tie to the wait: a plain wait (every turn of
// most handles) holds nothing more than its callback while the session works.
const awaitSettled = <A, I>(turns: Turns<A, I>, wait: Session.AwaitOptions<unknown, unknown> | undefined) =>
  Effect.suspend(() => {
    const start = turns.start
    const settle = Effect.flatMap(
      settled(turns, start, wait),
      (snapshot) => Turn.finish(contextOf(turns, wait), snapshot, start)
    )
    return wait?.softDeadline === undefined && wait?.hardDeadline === undefined
      ? settle
      : Effect.scoped(
        Effect.zipRight(deadlines(turns.hai, turns.sessionId, wait, () => (turns.hardDeadlineHit = true)), settle)
      )
  }).pipe(Effect.withSpan("Session.awaitSettled", { attributes: { "hai.session_id": turns.sessionId } }))

const send = <A, I>(turns: Turns<A, I>, input: Session.Message | ReadonlyArray<Session.Message>) =>
  Effect.suspend(() => {
    const current = turns.state.unsafeGet()
    return Effect.map(turns.hai.sessions.sendMessages(turns.sessionId, Request.messagesBody(input)), () => {
      // Only a message the service took starts a turn; a refused one leaves the current turn settled.
      turns.start = current.count
    })
  }).pipe(Effect.withSpan("Session.send", { attributes: { "hai.session_id": turns.sessionId } }))

// Getters: each operation is built when read, as most handles (every `Session.run`) use a few of
// them at most, and a thousand watched sessions would otherwise carry them all.
const handleOf = <A, I>(turns: Turns<A, I>, session: Wire.Session): Session.Handle<A> => {
  const { hai, sessionId: id, state } = turns
  return {
    id,
    session,
    get status() {
      return Effect.map(state.get, (s) => s.status)
    },
    get statusChanges() {
      return Stream.changes(Stream.map(state.changes, (s) => s.status))
    },
    get get() {
      return hai.sessions.get(id)
    },
    changes: (feed) => Stream.provideService(ChangeFeed.events(id, feed), HaiAgents, hai),
    get events() {
      return eventsOf(state, turns.log)
    },
    // One implementation for the overloads: the answer's type follows the wait's own Schema.
    awaitSettled: ((wait?: Session.AwaitOptions<unknown, unknown>) => awaitSettled(turns, wait)) as Session.Handle<
      A
    >["awaitSettled"],
    send: (input) => send(turns, input),
    get pause() {
      return hai.sessions.pause(id)
    },
    get resume() {
      return hai.sessions.resume(id)
    },
    get forceAnswer() {
      return hai.sessions.forceAnswer(id)
    },
    get cancel() {
      return Cancelling.cancel(hai, id)
    },
    get share() {
      return hai.sessions.share(id)
    },
    get unshare() {
      return hai.sessions.unshare(id)
    }
  }
}

export const make = <A, I, T extends Toolkit.Any>(
  options: Options<A, I, T>
): Effect.Effect<
  Watched<A, Toolkit.Requirements<T>>,
  never,
  HaiAgents | SessionStore.SessionStore | Scope.Scope | Toolkit.Requirements<T>
> =>
  Effect.gen(function*() {
    const hai = yield* HaiAgents
    const watcher = yield* Watcher.make(options)
    if (!options.watchInline) yield* Effect.forkScoped(watcher.run)
    const turns: Turns<A, I> = {
      hai,
      sessionId: options.sessionId,
      state: options.state,
      log: watcher.log,
      answer: options.answer,
      hardDeadlineHit: false,
      start: -1
    }
    return { handle: handleOf(turns, options.session), watch: options.watchInline ? watcher.run : Effect.void }
  })
