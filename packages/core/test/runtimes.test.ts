import { assert, describe, it } from "@effect/vitest"
import * as Emulator from "@hai-effect/emulator/Emulator"
import { Effect, Layer } from "effect"
import { execFile } from "node:child_process"
import * as Path from "node:path"

const root = Path.join(import.meta.dirname, "../../..")
const bun = Path.join(root, "node_modules/.bin/bun")
const script = Path.join(import.meta.dirname, "runtimes/session-fetch.ts")

const runIn = (command: string, args: ReadonlyArray<string>) =>
  Effect.async<string, Error>((resume) => {
    const child = execFile(command, [...args], { cwd: root, timeout: 60_000 }, (error, stdout, stderr) =>
      resume(error ? Effect.fail(new Error(`${error.message}\n${stderr}`)) : Effect.succeed(stdout)))
    return Effect.sync(() =>
      child.kill()
    )
  })

const served = Emulator.layerServer({ port: 0 }).pipe(
  Layer.provideMerge(Emulator.layer({ tick: "20 millis", region: "us" }))
)

describe("other runtimes", () => {
  it.scopedLive(
    "a session with a tool and an answer Schema runs under Bun through its own fetch",
    () =>
      Effect.gen(function*() {
        const server = yield* Emulator.EmulatorServer
        const output = yield* runIn(bun, [script, server.url, "hk-emulator"])
        const result = JSON.parse(output.trim().split("\n").pop()!)
        assert.strictEqual(result.runtime, "bun")
        assert.strictEqual(result.status, "completed")
        assert.isString(result.answer.value)
        assert.isAbove(result.events, 5)
      }).pipe(Effect.provide(served)),
    90_000
  )

  it.scopedLive("and under Node through its global fetch", () =>
    Effect.gen(function*() {
      const server = yield* Emulator.EmulatorServer
      const output = yield* runIn(process.execPath, ["--import", "tsx", script, server.url, "hk-emulator"])
      const result = JSON.parse(output.trim().split("\n").pop()!)
      assert.strictEqual(result.runtime, "node")
      assert.strictEqual(result.status, "completed")
    }).pipe(Effect.provide(served)), 90_000)
})
