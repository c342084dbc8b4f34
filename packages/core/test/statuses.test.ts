/**
 * Which statuses end, settle or fail a session: one definition (`TrajectoryStatus`), which the
 * change feed, answers, webhooks and the emulator all read.
 */
import { assert, describe, it } from "@effect/vitest"
import { Option, Schema } from "effect"
import { Answer, ChangeFeed, TrajectoryStatus, Wire } from "../src/index.js"

// Every status of the API, and one this version does not know.
const known = Wire.TrajectoryStatus.members[0].literals as ReadonlyArray<string>
const all = [...known, "some_future_status"]

describe("TrajectoryStatus", () => {
  it("classifies every status of the API", () => {
    const table = Object.fromEntries(
      all.map((s) => [
        s,
        [
          TrajectoryStatus.isTerminal(s),
          TrajectoryStatus.isSettled(s),
          TrajectoryStatus.isFailed(s),
          TrajectoryStatus.isSucceeded(s)
        ]
      ])
    )
    assert.deepStrictEqual(table, {
      queued: [false, false, false, false],
      pending: [false, false, false, false],
      running: [false, false, false, false],
      paused: [false, false, false, false],
      idle: [false, true, false, true],
      awaiting_tool_results: [false, false, false, false],
      completed: [true, true, false, true],
      failed: [true, true, true, false],
      timed_out: [true, true, true, false],
      interrupted: [true, true, true, false],
      some_future_status: [false, false, false, false]
    })
  })

  it("the change feed and answers read the same definition", () => {
    for (const s of all) {
      assert.strictEqual(ChangeFeed.isSettled(s), TrajectoryStatus.isSettled(s), s)
      assert.strictEqual(ChangeFeed.isTerminal(s), TrajectoryStatus.isTerminal(s), s)
      assert.strictEqual(Answer.validatedStatuses.has(s), TrajectoryStatus.isSucceeded(s), s)
    }
    assert.deepStrictEqual([...ChangeFeed.terminalStatuses].sort(), [...TrajectoryStatus.terminal].sort())
  })
})

describe("Answer.find", () => {
  const answerEvent = (answer: string) =>
    Schema.decodeUnknownSync(Wire.SessionEvent)({
      type: "AgentEvent",
      timestamp: "2026-01-01T00:00:00Z",
      data: { kind: "answer_event", answer, outcome: "success" }
    })

  it("takes the turn's last answer event, else the answer of its /changes body", () => {
    const events = [{ event: answerEvent("first") }, { event: answerEvent("second") }]
    assert.deepStrictEqual(
      Answer.find(events, { answer: "from changes" }),
      Option.some({
        raw: "second",
        outcome: "success"
      })
    )
    assert.deepStrictEqual(
      Answer.find([], { answer: "from changes" }),
      Option.some({ raw: "from changes", outcome: null })
    )
    assert.deepStrictEqual(Answer.find([], { answer: null }), Option.none())
    assert.deepStrictEqual(Answer.find([]), Option.none())
  })
})
