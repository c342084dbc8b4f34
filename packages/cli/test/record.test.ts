import { assert, describe, layer } from "@effect/vitest"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { EmulatorLive, hai, tempDir } from "./support/Harness.js"

describe("hai sessions record", () => {
  layer(EmulatorLive, { excludeTestServices: true })((it) => {
    it.effect("saves a session's events and timing, which the emulator replays", () =>
      Effect.gen(function*() {
        const run = yield* hai(["run", "Find the weather in Paris", "--json"])
        assert.strictEqual(run.code, 0, run.stderr)
        const id = run.json()[0].id as string
        const out = Path.join(tempDir(), "run.json")
        const recorded = yield* hai(["sessions", "record", id, "--out", out])
        assert.strictEqual(recorded.code, 0, recorded.stderr)
        assert.match(recorded.stdout, new RegExp(`Recorded \\d+ events of ${id} \\(completed\\) to `))
        const file = JSON.parse(Fs.readFileSync(out, "utf8"))
        assert.strictEqual(file.format, "hai-recording/1")
        assert.strictEqual(file.source.sessionId, id)
        assert.strictEqual(file.events[0].type, "RequestStartEvent")
        assert.strictEqual(file.events[file.events.length - 1].type, "AgentCompletionEvent")
        // The file is what `Scenario.fromRecording` takes.
        const replay = yield* Scenario.fromRecording(out, { speed: 100 })
        const emulator = yield* Emulator.Emulator
        yield* emulator.registerScenario("replayed", replay)
        assert.strictEqual(replay.recording.events.length, file.events.length)

        const missing = yield* hai(["sessions", "record", "00000000-0000-4000-8000-000000000000", "--out", out])
        assert.notStrictEqual(missing.code, 0)
      }))
  })
})
