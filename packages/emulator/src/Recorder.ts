/**
 * Records a session from any server the SDK talks to (the hosted API or the emulator), for
 * `Scenario.fromRecording` to replay offline.
 *
 * @since 0.1.0
 */
import * as HaiAgents from "@hai-effect/core/HaiAgents"
import type * as HaiError from "@hai-effect/core/HaiError"
import * as Wire from "@hai-effect/core/Wire"
import type * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type { RecordedEvent, Recording } from "./Recording.js"

const encodeEvent = Schema.encodeSync(Wire.SessionEvent)
const settled = new Set(["idle", "completed", "failed", "timed_out", "interrupted"])

/**
 * Record a session from the server `HaiAgents` talks to (the hosted API or the emulator): follows
 * its `/changes` until it settles (`until: "terminal"` keeps following through idle phases), then
 * returns every event with its timestamp, the request and the outcome.
 *
 * @example
 * ```ts
 * import * as Recorder from "@hai-effect/emulator/Recorder"
 *
 * const recording = Recorder.record("6f1c...")
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const record = Effect.fn("Recorder.record")(function*(
  sessionId: string,
  options: { readonly until?: "settled" | "terminal"; readonly timeout?: Duration.DurationInput } = {}
) {
  const hai = yield* HaiAgents.HaiAgents
  const done = options.until === "terminal"
    ? (status: string) => status !== "idle" && settled.has(status)
    : (status: string) => settled.has(status)
  const events: Array<RecordedEvent> = []
  let last: Wire.SessionChanges | undefined
  // Long-polls until the session is done, then drains what is left without waiting.
  const follow: Effect.Effect<void, HaiError.HaiError> = Effect.gen(function*() {
    let draining = false
    while (true) {
      const round = yield* hai.sessions.changes(sessionId, {
        from_index: events.length,
        wait_for_seconds: draining ? 0 : 20
      })
      if (Option.isSome(round)) {
        last = round.value
        const fresh = round.value.new_events ?? []
        for (const e of fresh) events.push(encodeEvent(e) as RecordedEvent)
        if (draining && fresh.length === 0) return
        draining = done(round.value.status)
      } else if (draining) {
        return
      } else {
        draining = done((yield* hai.sessions.status(sessionId)).status)
      }
    }
  })
  yield* options.timeout === undefined ? follow : Effect.timeout(follow, options.timeout)
  const session = yield* hai.sessions.get(sessionId)
  const recordedAt = new Date(yield* Effect.clockWith((c) => c.currentTimeMillis)).toISOString()
  const recording: Recording = {
    format: "hai-recording/1",
    source: { baseUrl: hai.options.baseUrl, sessionId, recordedAt },
    request: Schema.encodeSync(Wire.SessionRequest)(session.request),
    status: String(last?.status ?? session.status.status),
    answer: last?.answer ?? null,
    outcome: last?.outcome === undefined || last.outcome === null ? null : String(last.outcome),
    error: last?.error ?? null,
    error_code: last?.error_code === undefined || last.error_code === null ? null : String(last.error_code),
    events
  }
  return recording
})
