/**
 * Runs `hai` commands in-process against the emulator, with captured output, an isolated
 * environment and temporary home/working directories.
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Credentials from "@hai-effect/platform-node/Credentials"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { afterAll } from "vitest"
import * as Cli from "../../src/Cli.js"
import * as Interactive from "../../src/Interactive.js"
import * as Render from "../../src/Render.js"

/** The emulator (fast ticks) and an `HttpClient` into it. */
export const EmulatorLive = Emulator.layerClient.pipe(
  Layer.provideMerge(
    Emulator.layer({
      region: "us",
      tick: "20 millis",
      cancelDelay: "20 millis",
      apiKeys: ["hk-emulator", "hk-test-key-1234"]
    })
  )
)

/**
 * The emulator served on a real socket (port 0) and a fetch `HttpClient`: sessions created here
 * run in the server's fibers, as against the real service. Pass `env: socketEnv(url)`.
 */
export const EmulatorSocketLive = Layer.mergeAll(
  Emulator.layerServer({ port: 0 }),
  FetchHttpClient.layer
).pipe(
  Layer.provideMerge(Emulator.layer({ tick: "20 millis", cancelDelay: "20 millis" }))
)

/** The environment pointing `hai` at a served emulator. */
export const socketEnv = (url: string) => ({ HAI_API_KEY: "hk-emulator", HAI_API_BASE_URL: url })

const made: Array<string> = []
// Removed once the test file is done (a test may still read one after its command ran).
afterAll(() => {
  for (const dir of made.splice(0)) Fs.rmSync(dir, { recursive: true, force: true })
})

/** A fresh temporary directory, removed after the test file. */
export const tempDir = (prefix = "hai-cli-") => {
  const dir = Fs.mkdtempSync(Path.join(Os.tmpdir(), prefix))
  made.push(dir)
  return dir
}

export interface RunOptions {
  readonly env?: Record<string, string>
  readonly home?: string
  readonly cwd?: string
  readonly stderrTTY?: boolean
  readonly stdoutTTY?: boolean
  readonly input?: Partial<Interactive.InputService>
  readonly browser?: Interactive.BrowserService
  /** Where the output goes (to read it while the command runs). */
  readonly capture?: ReturnType<typeof Render.capture>
  /** Replaces the emulator's `HttpClient`. */
  readonly httpClient?: HttpClient.HttpClient
}

export interface RunResult {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
  /** stdout split in lines, each parsed as JSON. */
  readonly json: () => Array<any>
}

/** Runs `hai ...args`; the key defaults to the emulator's. */
export const hai = (args: ReadonlyArray<string>, options: RunOptions = {}) =>
  Effect.gen(function*() {
    const capture = options.capture ?? Render.capture({
      ...(options.stderrTTY !== undefined ? { stderrTTY: options.stderrTTY } : {}),
      ...(options.stdoutTTY !== undefined ? { stdoutTTY: options.stdoutTTY } : {})
    })
    const env = options.env ?? { HAI_API_KEY: "hk-emulator" }
    const home = options.home ?? tempDir()
    const cwd = options.cwd ?? tempDir()
    const input: Interactive.InputService = {
      isTTY: false,
      readSecret: () => Effect.dieMessage("no TTY in tests"),
      readAll: Effect.succeed(""),
      ...options.input
    }
    const code = yield* Cli.main(["node", "hai", ...args]).pipe(
      Effect.provideService(Render.Output, capture.service),
      Effect.provideService(Credentials.Location, { cwd, home }),
      Effect.provideService(Interactive.Input, input),
      Effect.provideService(Interactive.Browser, options.browser ?? { open: () => Effect.succeed(false) }),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      Effect.provide(NodeContext.layer),
      (effect) => options.httpClient ? Effect.provideService(effect, HttpClient.HttpClient, options.httpClient) : effect
    )
    const stdout = capture.stdout()
    return {
      code,
      stdout,
      stderr: capture.stderr(),
      json: () => stdout.split("\n").filter((l) => l.trim().length > 0).map((l) => JSON.parse(l))
    } satisfies RunResult
  })
