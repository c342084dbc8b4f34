/**
 * Cancelling sessions when things go wrong: a cancel that keeps trying through transient faults
 * within a budget and says so when it cannot, and the reclaim of a session that a create may have
 * made before it gave up (an error after its retries, or an interrupt).
 *
 * @since 0.1.0
 * @internal
 */
import * as Cause from "effect/Cause"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import type { Service as Client } from "../HaiAgents.js"
import type * as HaiError from "../HaiError.js"
import * as RetryPolicy from "../RetryPolicy.js"
import * as TrajectoryStatus from "../TrajectoryStatus.js"
import type * as Wire from "../Wire.js"

/** The default budget of a cancel's retries, and of the reclaim of a session a create gave up on. */
export const defaultCancelBudget: Duration.DurationInput = "30 seconds"
export const defaultReclaimBudget: Duration.DurationInput = "5 minutes"

// Each attempt is a call that the transport already retries on its own schedule; these are the
// rounds of such calls, for faults that outlast one call's retries.
const rounds = (budget: Duration.DurationInput) =>
  RetryPolicy.withinBudget(
    Schedule.exponential("500 millis", 2).pipe(
      Schedule.jittered,
      Schedule.union(Schedule.spaced("10 seconds")),
      Schedule.intersect(Schedule.recurs(20))
    ),
    budget
  )

/**
 * Cancels a session, retried while the failure is transient and the budget lasts. A session that
 * is gone (404) or already over (409) counts as cancelled. A failure is logged (as a warning, with
 * what to do) and returned, typed.
 */
export const cancel = (
  hai: Client,
  sessionId: string,
  budget: Duration.DurationInput = defaultCancelBudget
): Effect.Effect<void, HaiError.HaiError> =>
  hai.sessions.cancel(sessionId).pipe(
    Effect.retry({ schedule: rounds(budget), while: RetryPolicy.isTransient }),
    Effect.catchIf(
      (error) => error._tag === "NotFound" || error._tag === "Conflict",
      () => Effect.void
    ),
    Effect.tapError((error) =>
      Effect.logWarning(
        `could not cancel session ${sessionId} (${error._tag}: ${error.message}); it may still be running: cancel it by hand`
      )
    )
  )

/**
 * Whether a create that ended so may have made a session: it was interrupted, or its last failure
 * was of the moment (an earlier attempt may have reached the service and lost its answer).
 */
export const mayHaveCreated = (cause: Cause.Cause<HaiError.HaiError>): boolean =>
  Cause.isInterrupted(cause) || Option.exists(Cause.failureOption(cause), RetryPolicy.isTransient)

/**
 * Learns the session a create that gave up may have made, by sending the same create again under
 * the same `Idempotency-Key` (the service answers with the session it made for that key), and
 * cancels it. Bounded by `budget`; logged either way. When the first create never reached the
 * service, this one makes the session, which is cancelled at once.
 */
export const reclaim = (
  hai: Client,
  body: typeof Wire.SessionRequest.Encoded,
  idempotencyKey: string,
  budget: Duration.DurationInput = defaultReclaimBudget
): Effect.Effect<void> =>
  hai.sessions.create(body, { idempotencyKey }).pipe(
    Effect.retry({ schedule: rounds(budget), while: RetryPolicy.isTransient }),
    Effect.flatMap((session) =>
      TrajectoryStatus.isTerminal(session.status.status)
        ? Effect.void
        : Effect.zipRight(
          cancel(hai, session.id, budget),
          Effect.logInfo(
            `cancelled session ${session.id}, made by a create that gave up (Idempotency-Key ${idempotencyKey})`
          )
        )
    ),
    Effect.catchAll((error) =>
      Effect.logWarning(
        `a create gave up and the session it may have made (Idempotency-Key ${idempotencyKey}) could not be found and cancelled (${error._tag}: ${error.message}): check the sessions list`
      )
    ),
    Effect.withSpan("Session.reclaim", { attributes: { "hai.idempotency_key": idempotencyKey } })
  )
