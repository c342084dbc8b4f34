/**
 * How a settled turn becomes a `Session.Result`, or the typed failure that says why it is none:
 * its events, its answer (found in its events or in a `/changes` answer of the turn, else asked
 * for), the failure of a session that did not settle well, and the answer decoded with the
 * caller's Schema.
 *
 * @since 0.1.0
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Schema from "effect/Schema"
import * as Answer from "../Answer.js"
import type { Service as Client } from "../HaiAgents.js"
import * as HaiError from "../HaiError.js"
import type * as Session from "../Session.js"
import * as TrajectoryStatus from "../TrajectoryStatus.js"
import type * as Wire from "../Wire.js"
import type * as Watcher from "./watcher.js"

/** The session a turn belongs to. */
interface Target {
  readonly hai: Client
  readonly sessionId: string
  /** Whether a hard deadline of a wait cancelled the session. */
  readonly hardDeadlineHit: boolean
}

export interface Context<A, I> extends Target {
  readonly log: Watcher.Log
  readonly answer: Schema.Schema<A, I> | undefined
}

const noAnswer: Answer.Found = { raw: undefined, outcome: null }

/**
 * The turn's answer. When neither its events nor its `/changes` answers carried one (the answer
 * event came before this handle joined), a session that settled well is asked for its latest.
 */
const answerOf = (
  ctx: Target,
  status: Wire.TrajectoryStatus,
  events: ReadonlyArray<{ readonly event: Wire.SessionEvent }>,
  changes: Wire.SessionChanges | undefined
): Effect.Effect<Answer.Found, HaiError.HaiError> => {
  const found = Answer.find(events, changes)
  if (Option.isSome(found)) return Effect.succeed(found.value)
  if (!TrajectoryStatus.isSucceeded(status)) return Effect.succeed(noAnswer)
  return Effect.map(
    ctx.hai.sessions.changes(ctx.sessionId, { from_index: 0, include_events: false }),
    Option.match({
      onNone: () => noAnswer,
      onSome: (latest) => ({ raw: latest.answer ?? undefined, outcome: latest.outcome ?? null })
    })
  )
}

/** A session that ended without completing, with the service's own account of why. */
const failed = (
  ctx: Target,
  status: Wire.TrajectoryStatus,
  changes: Wire.SessionChanges | undefined
): Effect.Effect<never, HaiError.HaiError | HaiError.SessionFailed> =>
  Effect.flatMap(ctx.hai.sessions.status(ctx.sessionId), (final) =>
    Effect.fail(
      new HaiError.SessionFailed({
        sessionId: ctx.sessionId,
        status,
        error: final.error ?? changes?.error ?? null,
        errorCode: final.error_code ?? changes?.error_code ?? null,
        ...(ctx.hardDeadlineHit ? { reason: "hard deadline reached" } : {})
      })
    ))

const decoded = <A, I>(
  ctx: Context<A, I>,
  status: Wire.TrajectoryStatus,
  raw: unknown
): Effect.Effect<A, HaiError.AnswerValidationError> => {
  if (ctx.answer === undefined || !TrajectoryStatus.isSucceeded(status)) {
    // Without a Schema the answer is the raw one, and `A` is `unknown` unless the caller said otherwise.
    return Effect.succeed(raw as A)
  }
  if (raw === undefined || raw === null) {
    return Effect.fail(
      new HaiError.AnswerValidationError({
        sessionId: ctx.sessionId,
        raw: raw ?? null,
        issues: `the session settled (${status}) without an answer`
      })
    )
  }
  return Answer.decode(ctx.answer, raw, ctx.sessionId)
}

/** The result of the turn that started at index `start`, as of `snapshot`. */
export const finish = <A, I>(
  ctx: Context<A, I>,
  snapshot: Watcher.Snapshot,
  start: number
): Effect.Effect<Session.Result<A>, HaiError.SessionError> => {
  if (Option.isSome(snapshot.failure)) return Effect.fail(snapshot.failure.value)
  const { log, sessionId } = ctx
  const status = snapshot.status
  const events = log.events.slice(Math.max(0, start - log.base), snapshot.count - log.base)
  const changes = log.lastChanges
  const ofTurn = Option.isSome(changes) && log.lastChangesAt > start ? changes.value : undefined
  if (TrajectoryStatus.isFailed(status)) return failed(ctx, status, ofTurn)
  if (!snapshot.watching && !TrajectoryStatus.isSettled(status)) {
    return Effect.fail(
      new HaiError.SessionFailed({ sessionId, status, reason: "the watcher stopped before the session settled" })
    )
  }
  return Effect.flatMap(
    answerOf(ctx, status, events, ofTurn),
    (found) =>
      Effect.map(decoded(ctx, status, found.raw), (answer): Session.Result<A> => ({
        id: sessionId,
        status,
        answer,
        rawAnswer: found.raw,
        outcome: found.outcome,
        error: ofTurn?.error ?? null,
        errorCode: ofTurn?.error_code ?? null,
        events,
        metrics: ofTurn?.metrics ?? (Option.isSome(changes) ? changes.value.metrics : undefined),
        changes,
        nextIndex: snapshot.count
      }))
  )
}
