/**
 * The `hai` executable as a process of its own (see support/Binary.ts): what the in-process
 * harness cannot see, such as the loggers the runtime installs and what reaches a pipe.
 */
import { assert, beforeAll, describe, layer } from "@effect/vitest"
import * as Emulator from "@hai-effect/emulator/Emulator"
import { Effect, Layer } from "effect"
import { execFile, spawn } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Binary from "./support/Binary.js"
import { tempDir } from "./support/Harness.js"

const executables: Record<string, Binary.Executable> = { "from source, as pnpm hai": Binary.fromSource }
beforeAll(async () => {
  executables.compiled = await Binary.executable()
}, 120_000)

const Served = Emulator.layerServer({ port: 0 }).pipe(Layer.provideMerge(Emulator.layer({ tick: "20 millis" })))

/**
 * Runs `hai ...args` with a clean environment, stdout and stderr piped. Asynchronously: the
 * emulator it talks to runs in this process.
 */
const hai = (executable: Binary.Executable, args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.async<{ readonly code: number; readonly stdout: string; readonly stderr: string }>((resume) => {
    const [command, ...prefix] = executable.argv
    execFile(command!, [...prefix, ...args], {
      encoding: "utf8",
      cwd: tempDir(),
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tempDir(), ...env },
      timeout: 60_000
    }, (error, stdout, stderr) => {
      const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1
      resume(Effect.succeed({ code, stdout, stderr }))
    })
  })

/** Runs `hai ...args` with a stdout whose reader is gone before `hai` writes to it. */
const haiIntoClosedPipe = (executable: Binary.Executable, args: ReadonlyArray<string>, env: Record<string, string>) =>
  Effect.async<{ readonly code: number | null; readonly stderr: string }>((resume) => {
    const [command, ...prefix] = executable.argv
    const child = spawn(command!, [...prefix, ...args], {
      cwd: tempDir(),
      env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: tempDir(), NO_COLOR: "1", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    child.stdout.destroy()
    let stderr = ""
    child.stderr.on("data", (chunk: Buffer) => void (stderr += chunk.toString()))
    child.on("close", (code) => resume(Effect.succeed({ code, stderr })))
  })

describe("the hai executable", () => {
  layer(Served, { excludeTestServices: true, timeout: 120_000 })((it) => {
    for (const via of ["compiled", "from source, as pnpm hai"]) {
      it.effect(`warns once, on stderr, about a key file others can read (${via})`, () =>
        Effect.gen(function*() {
          const server = yield* Emulator.EmulatorServer
          const config = tempDir()
          const file = Path.join(config, "hai", ".env")
          Fs.mkdirSync(Path.dirname(file), { recursive: true })
          Fs.writeFileSync(file, `HAI_API_KEY=hk-emulator\nHAI_API_BASE_URL=${server.url}\n`)
          Fs.chmodSync(file, 0o644)
          const r = yield* hai(executables[via]!, ["whoami", "--json"], { XDG_CONFIG_HOME: config })
          assert.strictEqual(r.code, 0, r.stderr)
          const output = r.stdout + r.stderr
          assert.strictEqual(output.split("can be read by other users").length - 1, 1, output)
          assert.match(r.stderr, /^Warning: The credentials file /)
          // stdout holds the result alone, whatever is logged.
          assert.strictEqual(JSON.parse(r.stdout).key, "hk-…")
        }), 120_000)
    }

    it.effect("global options before the subcommand; nothing but text on a pipe", () =>
      Effect.gen(function*() {
        const server = yield* Emulator.EmulatorServer
        const env = { HAI_API_KEY: "hk-emulator", HAI_API_BASE_URL: server.url }
        const debug = yield* hai(executables.compiled!, ["--log-level", "debug", "--json", "whoami"], env)
        assert.strictEqual(debug.code, 0, debug.stderr)
        assert.strictEqual(JSON.parse(debug.stdout).source, "env:HAI_API_KEY")
        assert.match(debug.stderr, /^debug: ← 200 GET \S+\/api\/v2\/sessions\/quota$/m)
        const help = yield* hai(executables.compiled!, ["run", "--help"], env)
        assert.strictEqual(help.code, 0, help.stderr)
        assert.include(help.stdout, "--agent text")
        assert.notInclude(help.stdout + help.stderr, "\x1b[")
        assert.notInclude(help.stdout, "A user-defined piece of text")
      }), 120_000)

    it.effect(
      "a reader that leaves (hai ... | head -1) ends hai quietly, without a stack trace",
      () =>
        Effect.gen(function*() {
          const server = yield* Emulator.EmulatorServer
          const env = { HAI_API_KEY: "hk-emulator", HAI_API_BASE_URL: server.url }
          for (const args of [["--help"], ["whoami", "--json"], ["sessions", "list", "--json"]]) {
            const r = yield* haiIntoClosedPipe(executables.compiled!, args, env)
            assert.strictEqual(r.stderr, "", args.join(" "))
            // Finished before the error reached it (0), or interrupted by it like SIGPIPE would (141).
            assert.include([0, 141], r.code, args.join(" "))
          }
        }),
      120_000
    )
  })
})
