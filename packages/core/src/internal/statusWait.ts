/**
 * A wait on a session's status alone: `GET /status` each round, no events read, then the answer
 * once. For callers that follow sessions without reading their events (and lend them no tools).
 *
 * @since 0.1.0
 * @internal
 */
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type * as Schema from "effect/Schema"
import { HaiAgents } from "../HaiAgents.js"
import * as HaiError from "../HaiError.js"
import * as RetryPolicy from "../RetryPolicy.js"
import type * as Session from "../Session.js"
import * as TrajectoryStatus from "../TrajectoryStatus.js"
import type * as Wire from "../Wire.js"
import { defaultRetrySchedule } from "./changeFeed.js"
import * as Retrying from "./retrying.js"
import * as Turn from "./turn.js"

export const awaitStatus = <A, I>(
  sessionId: string,
  options: Session.StatusWaitOptions<A, I> | undefined
): Effect.Effect<Session.StatusResult<A>, HaiError.SessionError, HaiAgents> =>
  Effect.gen(function*() {
    const hai = yield* HaiAgents
    const poll = Retrying.retryWhen(hai.sessions.status(sessionId), defaultRetrySchedule, RetryPolicy.isTransient)
    const maxRounds = options?.maxRounds === undefined ? undefined : Math.max(1, options.maxRounds)
    const spaced = Schedule.spaced(options?.interval ?? "2 seconds")
    // Each round is one `/status`; the schedule's output is the last status read.
    const capped: Schedule.Schedule<unknown> = maxRounds === undefined
      ? spaced
      : Schedule.intersect(spaced, Schedule.recurs(maxRounds - 1))
    const rounds = Schedule.passthrough(
      Schedule.whileInput(capped, (s: Wire.SessionStatus) => !TrajectoryStatus.isSettled(s.status))
    )
    let lastStatus = "pending"
    const watched = Effect.repeat(Effect.tap(poll, (s) => (lastStatus = s.status)), rounds)
    const timeout = options?.timeout
    const last = yield* timeout === undefined ? watched : Effect.timeoutFail(watched, {
      duration: timeout,
      onTimeout: () =>
        new HaiError.WaitTimeout({ sessionId, lastStatus, waitedMillis: Duration.toMillis(Duration.decode(timeout)) })
    })
    const status = last.status
    if (!TrajectoryStatus.isSettled(status)) {
      return yield* new HaiError.WaitRoundsExceeded({ sessionId, lastStatus: status, maxRounds: maxRounds ?? 0 })
    }
    if (TrajectoryStatus.isFailed(status)) {
      return yield* Turn.failed({ hai, sessionId, hardDeadlineHit: false }, status, undefined)
    }
    const changes = yield* hai.sessions.changes(sessionId, { from_index: 0, include_events: false })
    const latest = Option.getOrUndefined(changes)
    const raw = latest?.answer ?? undefined
    const ctx = { sessionId, answer: options?.answer as Schema.Schema<A, I> | undefined }
    const answer = yield* Turn.decoded(ctx, status, raw, 0)
    return {
      id: sessionId,
      status,
      answer,
      rawAnswer: raw,
      outcome: latest?.outcome ?? last.outcome ?? null,
      error: last.error ?? null,
      errorCode: last.error_code ?? null,
      metrics: latest?.metrics
    }
  }).pipe(Effect.withSpan("Session.awaitStatus", { attributes: { "hai.session_id": sessionId } }))
