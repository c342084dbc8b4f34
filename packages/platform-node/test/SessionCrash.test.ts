/**
 * The session runtime across real crashes: a child process watches a session with a file-backed
 * SessionStore and is killed (SIGKILL) at seeded moments, then restarted, until the session
 * settled. Nothing it was handed is lost (events are delivered at least once), no tool call whose
 * outcome was saved is reported interrupted to the agent (the outcome is posted after a restart),
 * and an idempotent tool killed mid-run is run again. A kill between a handler's end and the save
 * of its outcome leaves that outcome unknown, so such a call may be reported interrupted.
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { HaiAgents } from "@hai-effect/core"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Faults from "@hai-effect/emulator/Faults"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Effect, Layer } from "effect"
import * as ChildProcess from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"

const fixture = new URL("./fixtures/session-watcher.ts", import.meta.url).pathname

/** Four rounds of work, each with a call to an idempotent tool and to one that is not, then an answer. */
const crashScenario: Scenario.Scenario = (ctx) =>
  ctx.turn === 0
    ? [
      ...[0, 1, 2, 3].flatMap((r) => [
        Scenario.think("tick"),
        Scenario.think("tick"),
        Scenario.think("tick"),
        Scenario.callTools([
          { name: "lookup", args: { token: `lookup-${r}` } },
          { name: "charge", args: { token: `charge-${r}` } }
        ])
      ]),
      Scenario.answer({ ok: true })
    ]
    : [Scenario.answer({ ok: true })]

const layer = Layer.unwrapEffect(
  Effect.map(
    Emulator.EmulatorServer,
    (s) => HaiAgents.layer({ apiKey: "hk-emulator", baseUrl: s.url }).pipe(Layer.provide(NodeHttpClient.layerUndici))
  )
).pipe(
  Layer.provideMerge(Emulator.layerServer({ port: 0 })),
  Layer.provideMerge(Emulator.layer({ tick: "20 millis", seed: 8 }))
)

/** Runs the watcher once; kills it `killAfter` ms after it is ready, if given. Resolves with how it ended. */
const watchOnce = (args: ReadonlyArray<string>, killAfter: number | undefined) =>
  Effect.async<"killed" | "done", Error>((resume) => {
    const child = ChildProcess.spawn(process.execPath, ["--import", "tsx", fixture, ...args], {
      cwd: Path.dirname(fixture),
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()))
    child.stdout.on("data", (chunk: Buffer) => {
      if (killAfter !== undefined && chunk.toString().includes("ready")) {
        setTimeout(() => child.kill("SIGKILL"), killAfter)
      }
    })
    child.once("error", (e) => resume(Effect.fail(e)))
    child.once("exit", (code, signal) =>
      resume(
        signal === "SIGKILL"
          ? Effect.succeed("killed")
          : code === 0
          ? Effect.succeed("done")
          : Effect.fail(new Error(`watcher exited ${code}: ${stderr}`))
      ))
    return Effect.sync(() => child.kill("SIGKILL"))
  }).pipe(
    // generous: a loaded machine takes seconds to start the child
    Effect.timeoutFail({
      duration: "180 seconds",
      onTimeout: () => new Error(`watcher hung: ${args.join(" ")}: ${Fs.readFileSync(args[3], "utf8").slice(-500)}`)
    })
  )

interface Figures {
  eventsLost: number
  trialsLosing: number
  reportedInterrupted: number
  finishedButReportedInterrupted: number
  savedButReportedInterrupted: number
  idempotentReportedInterrupted: number
  chargeRunTwice: number
  kills: number
}

describe("crashes", () => {
  it.scopedLive(
    "20 seeded SIGKILLs of a watcher: no event lost, no saved tool outcome reported interrupted",
    () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        const server = yield* Emulator.EmulatorServer
        const hai = yield* HaiAgents.HaiAgents
        yield* emulator.registerScenario("crash", crashScenario)
        const random = Faults.prng(2027)
        const root = Fs.mkdtempSync(Path.join(Os.tmpdir(), "hai-crash-"))
        yield* Effect.addFinalizer(() => Effect.sync(() => Fs.rmSync(root, { recursive: true, force: true })))
        const figures: Figures = {
          eventsLost: 0,
          trialsLosing: 0,
          reportedInterrupted: 0,
          finishedButReportedInterrupted: 0,
          savedButReportedInterrupted: 0,
          idempotentReportedInterrupted: 0,
          chargeRunTwice: 0,
          kills: 0
        }
        const trials = Array.from({ length: Number(process.env.CRASH_TRIALS ?? 20) }, (_, trial) => ({
          trial,
          // two kills per trial, each a seeded time after the watcher is ready
          kills: [0, 1].map(() => 20 + Math.floor(random() * 600))
        }))
        yield* Effect.forEach(trials, ({ kills, trial }) =>
          Effect.gen(function*() {
            const dir = Path.join(root, `store-${trial}`)
            const logFile = Path.join(root, `log-${trial}`)
            Fs.writeFileSync(logFile, "")
            const session = yield* hai.sessions.create({ agent: "crash", messages: `crash trial ${trial}` })
            const args = [server.url, session.id, dir, logFile, "at-least-once"]
            for (const killAfter of kills) {
              if ((yield* watchOnce(args, killAfter)) === "done") break
              figures.kills++
            }
            assert.strictEqual(yield* watchOnce(args, undefined), "done")
            const [snapshot] = (yield* emulator.sessions).filter((s) => s.id === session.id)
            const lines = Fs.readFileSync(logFile, "utf8").split("\n")
            const delivered = new Set(lines.filter((l) => l.startsWith("event ")).map((l) => Number(l.slice(6))))
            const lost = snapshot.events.filter((_, i) => !delivered.has(i)).length
            figures.eventsLost += lost
            if (lost > 0) figures.trialsLosing++
            for (const e of snapshot.events) {
              const data = e.data as any
              if (
                e.type !== "AgentEvent" || data?.kind !== "error_event"
                || !String(data.error).includes("ToolInterrupted")
              ) {
                continue
              }
              const token = data.tool_req.args.token as string
              figures.reportedInterrupted++
              if (lines.includes(`end ${token}`)) figures.finishedButReportedInterrupted++
              if (lines.includes(`saved ${token}`)) figures.savedButReportedInterrupted++
              if (token.startsWith("lookup")) figures.idempotentReportedInterrupted++
            }
            for (let r = 0; r < 4; r++) {
              if (lines.filter((l) => l === `start charge-${r}`).length > 1) figures.chargeRunTwice++
            }
          }), { concurrency: 4, discard: true })
        const summary = JSON.stringify(figures)
        assert.isAbove(figures.kills, trials.length, summary)
        assert.strictEqual(figures.eventsLost, 0, `events lost: ${summary}`)
        assert.strictEqual(figures.chargeRunTwice, 0, `a tool that is not idempotent ran twice: ${summary}`)
        assert.strictEqual(figures.savedButReportedInterrupted, 0, `saved outcomes reported interrupted: ${summary}`)
        assert.strictEqual(
          figures.idempotentReportedInterrupted,
          0,
          `idempotent calls reported interrupted: ${summary}`
        )
      }).pipe(Effect.provide(layer)),
    600_000
  )
})
