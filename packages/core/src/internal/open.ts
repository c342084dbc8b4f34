/**
 * A session opened in a scope, started or attached: its snapshot, its cancellation when the scope
 * closes (as the caller's `cancelOnClose` says), the checkpoint it resumes from, and its handle.
 *
 * @since 0.1.0
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Scope from "effect/Scope"
import { HaiAgents, type Service as Client } from "../HaiAgents.js"
import type * as HaiError from "../HaiError.js"
import type * as Session from "../Session.js"
import * as SessionStore from "../SessionStore.js"
import type * as Toolkit from "../Toolkit.js"
import * as TrajectoryStatus from "../TrajectoryStatus.js"
import type * as Wire from "../Wire.js"
import * as Cancelling from "./cancelling.js"
import * as Cell from "./cell.js"
import * as Handle from "./handle.js"
import * as Request from "./request.js"
import type * as Watcher from "./watcher.js"

const snapshot = (status: Wire.TrajectoryStatus, count: number) =>
  Cell.make<Watcher.Snapshot>({ count, status, settled: false, watching: true, failure: Option.none() })

/** The cancel owed when the scope closes: always, never, or when the session had not settled. */
const cancelOnClose = (
  hai: Client,
  sessionId: string,
  state: Cell.Cell<Watcher.Snapshot>,
  policy: "unsettled" | "always" | "never",
  timeout: Duration.DurationInput
): Effect.Effect<void> =>
  Effect.suspend(() => {
    const owed = policy === "always"
      || (policy === "unsettled" && !TrajectoryStatus.isSettled(state.unsafeGet().status))
    if (!owed) return Effect.void
    // Retried through faults within the timeout; a failure is logged by `Cancelling.cancel`.
    return Cancelling.cancel(hai, sessionId, timeout).pipe(
      Effect.timeout(timeout),
      Effect.catchAllCause((cause) =>
        Cause.isFailType(cause) && cause.error._tag !== "TimeoutException"
          ? Effect.void
          : Effect.logWarning(`could not cancel session ${sessionId} on close; cancel it by hand`, cause)
      ),
      Effect.withSpan("Session.cancelOnClose", { attributes: { "hai.session_id": sessionId } })
    )
  })

/** The store in context, else a fresh one in memory. */
const withStore = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<A, E, Exclude<R, SessionStore.SessionStore>> =>
  Effect.flatMap(
    Effect.serviceOption(SessionStore.SessionStore),
    (store) =>
      Option.isSome(store)
        ? Effect.provideService(effect, SessionStore.SessionStore, store.value)
        : Effect.flatMap(
          SessionStore.makeMemory,
          (memory) => Effect.provideService(effect, SessionStore.SessionStore, memory)
        )
  )

/** Creates the session (one POST, with its idempotency key) and watches it. */
export const start = <A, I, T extends Toolkit.Any>(
  request: Session.StartRequest<A, I, T>,
  until: "settled" | "terminal",
  watchInline = false
): Effect.Effect<
  Handle.Watched<A, Toolkit.Requirements<T>>,
  HaiError.HaiError,
  HaiAgents | Scope.Scope | Toolkit.Requirements<T>
> =>
  Effect.gen(function*() {
    const hai = yield* HaiAgents
    const body = yield* Request.toWireRequest(request)
    const state = snapshot("queued", 0)
    // The key is ours to know, so that a create that gives up can be sent again to find the session.
    const idempotencyKey = request.idempotencyKey ?? globalThis.crypto.randomUUID()
    // The create is interruptible (its retries may take minutes); the cancel on close is owed from
    // the moment it returns. A create that gives up may still have made a session: it is reclaimed
    // (found under the same key and cancelled) in the background, bounded, outliving this fiber.
    const session = yield* Effect.uninterruptibleMask((restore) =>
      restore(hai.sessions.create(body, { idempotencyKey })).pipe(
        Effect.onError((cause) =>
          Cancelling.mayHaveCreated(cause)
            ? Effect.asVoid(Effect.forkDaemon(Effect.interruptible(Cancelling.reclaim(hai, body, idempotencyKey))))
            : Effect.void
        ),
        Effect.tap((session) =>
          Effect.addFinalizer(() =>
            cancelOnClose(
              hai,
              session.id,
              state,
              request.cancelOnClose ?? "unsettled",
              request.cancelTimeout ?? "10 seconds"
            )
          )
        )
      )
    )
    yield* Effect.annotateCurrentSpan("hai.session_id", session.id)
    state.unsafeUpdate((s) => ({ ...s, status: session.status.status }))
    return yield* withStore(Handle.make({
      sessionId: session.id,
      session,
      fromIndex: 0,
      answer: request.answer,
      tools: request.tools,
      toolConcurrency: request.toolConcurrency ?? 4,
      watch: request.watch,
      until,
      onEvent: request.onEvent,
      delivery: request.delivery,
      pending: [],
      state,
      watchInline
    }))
  })

/** Reads the session and watches it from the saved checkpoint, else from `fromIndex`. */
export const attach = <A, I, T extends Toolkit.Any>(
  sessionId: string,
  options: Session.AttachOptions<A, I, T> | undefined
): Effect.Effect<
  Session.Handle<A>,
  HaiError.HaiError | HaiError.PersistenceError,
  HaiAgents | Scope.Scope | Toolkit.Requirements<T>
> =>
  Effect.gen(function*() {
    const hai = yield* HaiAgents
    yield* Effect.annotateCurrentSpan("hai.session_id", sessionId)
    const session = yield* hai.sessions.get(sessionId)
    const state = snapshot(session.status.status, 0)
    const policy = options?.cancelOnClose ?? "never"
    if (policy !== "never") {
      yield* Effect.addFinalizer(() =>
        cancelOnClose(hai, sessionId, state, policy, options?.cancelTimeout ?? "10 seconds")
      )
    }
    return yield* withStore(Effect.gen(function*() {
      const store = yield* SessionStore.SessionStore
      const checkpoint = options?.fromIndex === undefined ? yield* store.loadCheckpoint(sessionId) : Option.none()
      const fromIndex = Option.isSome(checkpoint) ? checkpoint.value.cursor : options?.fromIndex ?? 0
      state.unsafeUpdate((s) => ({ ...s, count: fromIndex }))
      const { handle } = yield* Handle.make({
        sessionId,
        session,
        fromIndex,
        answer: options?.answer,
        tools: options?.tools,
        toolConcurrency: options?.toolConcurrency ?? 4,
        watch: options?.watch,
        until: "terminal",
        onEvent: options?.onEvent,
        delivery: options?.delivery,
        pending: Option.isSome(checkpoint) ? checkpoint.value.pending : [],
        state
      })
      return handle
    }))
  })
