/**
 * Ctrl-C during `hai run`, in a real terminal (tmux), through `pnpm hai` and through the
 * compiled executable: the remote session must end `interrupted` on the emulator's side.
 */
import { afterAll, assert, beforeAll, describe, layer } from "@effect/vitest"
import * as Emulator from "@hai-effect/emulator/Emulator"
import { Effect, Layer, Option } from "effect"
import * as Path from "node:path"
import * as Binary from "./support/Binary.js"
import { tempDir } from "./support/Harness.js"
import * as Terminal from "./support/Terminal.js"

const root = Path.join(import.meta.dirname, "../../..")

// A slow pace: the session is still running when the key is pressed, and would run for many
// seconds more if nobody cancelled it.
const Served = Emulator.layerServer({ port: 0 }).pipe(
  Layer.provideMerge(Emulator.layer({ tick: "2 seconds", cancelDelay: "100 millis" }))
)

let compiled: string
beforeAll(async () => {
  compiled = (await Binary.executable()).line
}, 120_000)

const panes: Array<Terminal.Pane> = []
afterAll(() => {
  for (const pane of panes.splice(0)) pane.close()
})

const terminal = (url: string) =>
  Effect.sync(() => {
    const pane = Terminal.open({
      cwd: root,
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: tempDir(),
        HAI_API_KEY: "hk-emulator",
        HAI_API_BASE_URL: url
      }
    })
    panes.push(pane)
    return pane
  })

/** The session's status on the emulator once it stopped changing for a moment (or 10 s). */
const finalStatus = (id: string) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator.Emulator
    for (let i = 0; i < 100; i++) {
      const session = yield* emulator.session(id)
      const status = Option.match(session, { onNone: () => "unknown", onSome: (s) => s.status })
      if (["interrupted", "completed", "failed", "timed_out", "idle"].includes(status)) return status
      yield* Effect.sleep("100 millis")
    }
    return "still running"
  })

const startRun = (pane: Terminal.Pane, command: string) =>
  Effect.promise(async () => {
    pane.run(`${command} run 'Read every story on the front page'`)
    return (await pane.waitFor(/Session ([0-9a-f-]{36})/, 60_000))[1]!
  })

describe("Ctrl-C during hai run", () => {
  layer(Served, { excludeTestServices: true, timeout: 120_000 })((it) => {
    const cases = [
      { via: "pnpm hai", command: () => "pnpm hai" },
      { via: "the compiled executable", command: () => compiled }
    ]
    for (const { command, via } of cases) {
      it.effect(`a key press cancels the session (${via})`, () =>
        Effect.gen(function*() {
          const server = yield* Emulator.EmulatorServer
          const pane = yield* terminal(server.url)
          const id = yield* startRun(pane, command())
          pane.keys("C-c")
          const code = yield* Effect.promise(() => pane.exitCode(20_000))
          assert.include(pane.text(), `Interrupted: cancelling session ${id}.`)
          assert.notStrictEqual(code, 0)
          assert.strictEqual(yield* finalStatus(id), "interrupted", pane.text())
        }), 120_000)

      it.effect(`a SIGINT to the whole process group cancels the session (${via})`, () =>
        Effect.gen(function*() {
          const server = yield* Emulator.EmulatorServer
          const pane = yield* terminal(server.url)
          const id = yield* startRun(pane, command())
          process.kill(-pane.foregroundGroup(), "SIGINT")
          yield* Effect.promise(() => pane.exitCode(20_000))
          assert.strictEqual(yield* finalStatus(id), "interrupted", pane.text())
        }), 120_000)
    }

    it.effect(
      "a second Ctrl-C while the cancel is in flight does not kill it (compiled)",
      () =>
        Effect.gen(function*() {
          const server = yield* Emulator.EmulatorServer
          const emulator = yield* Emulator.Emulator
          yield* emulator.setFaults({ routes: [{ route: "DELETE /api/v2/sessions/{id}", latency: "3 seconds" }] })
          const pane = yield* terminal(server.url)
          const id = yield* startRun(pane, compiled)
          pane.keys("C-c")
          yield* Effect.promise(() => pane.waitFor(/Interrupted: cancelling session/, 10_000))
          yield* Effect.sleep("1500 millis")
          pane.keys("C-c")
          const code = yield* Effect.promise(() => pane.exitCode(20_000))
          yield* emulator.setFaults({})
          assert.strictEqual(code, 130, pane.text())
          assert.include(pane.text(), "Still cleaning up")
          assert.strictEqual(yield* finalStatus(id), "interrupted", pane.text())
        }).pipe(Effect.ensuring(Effect.flatMap(Emulator.Emulator, (e) => e.setFaults({})))),
      120_000
    )
  })
})
