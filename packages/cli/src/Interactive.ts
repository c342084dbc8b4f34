/**
 * What `hai login` needs from the user's machine: a {@link Browser} to open the sign-in page and
 * an {@link Input} to read a key. Both default to the real thing; tests provide fakes.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as ChildProcess from "node:child_process"
import { CliError } from "./CliError.js"

// =============================================================================
// Browser
// =============================================================================

/**
 * Opens URLs.
 *
 * @since 0.1.0
 * @category Models
 */
export interface BrowserService {
  /** Opens the URL; succeeds with whether a browser could be started. */
  readonly open: (url: string) => Effect.Effect<boolean>
}

const opener = (): { readonly command: string; readonly args: ReadonlyArray<string> } =>
  process.platform === "darwin"
    ? { command: "open", args: [] }
    : process.platform === "win32"
    ? { command: "cmd", args: ["/c", "start", "\"\""] }
    : { command: "xdg-open", args: [] }

/**
 * The system browser (`open`, `xdg-open` or `start`).
 *
 * @since 0.1.0
 * @category Context
 */
export class Browser extends Context.Reference<Browser>()("@hai-effect/cli/Interactive/Browser", {
  defaultValue: (): BrowserService => ({
    open: (url) =>
      Effect.async<boolean>((resume) => {
        const { args, command } = opener()
        try {
          const child = ChildProcess.spawn(command, [...args, url], { stdio: "ignore", detached: true })
          child.once("error", () => resume(Effect.succeed(false)))
          child.once("spawn", () => {
            child.unref()
            resume(Effect.succeed(true))
          })
        } catch {
          resume(Effect.succeed(false))
        }
      })
  })
}) {}

// =============================================================================
// Input
// =============================================================================

/**
 * Reads what the user types or pipes.
 *
 * @since 0.1.0
 * @category Models
 */
export interface InputService {
  /** Whether stdin is a terminal. */
  readonly isTTY: boolean
  /** Reads one line without echoing it (on a terminal). */
  readonly readSecret: (prompt: string) => Effect.Effect<Redacted.Redacted<string>, CliError>
  /** Reads stdin to its end. */
  readonly readAll: Effect.Effect<string, CliError>
}

const readHidden = (prompt: string) =>
  Effect.async<Redacted.Redacted<string>, CliError>((resume) => {
    const stdin = process.stdin
    process.stderr.write(prompt)
    let value = ""
    const cleanup = () => {
      stdin.removeListener("data", onData)
      stdin.setRawMode?.(false)
      stdin.pause()
      process.stderr.write("\n")
    }
    const onData = (chunk: Buffer) => {
      for (const char of chunk.toString("utf8")) {
        if (char === "\r" || char === "\n") {
          cleanup()
          return resume(Effect.succeed(Redacted.make(value.trim())))
        }
        if (char === "\u0003") {
          cleanup()
          return resume(Effect.fail(new CliError({ message: "Cancelled." })))
        }
        if (char === "\u007f" || char === "\b") value = value.slice(0, -1)
        else value += char
      }
    }
    stdin.setRawMode?.(true)
    stdin.resume()
    stdin.on("data", onData)
    return Effect.sync(cleanup)
  })

/**
 * The process's stdin.
 *
 * @since 0.1.0
 * @category Context
 */
export class Input extends Context.Reference<Input>()("@hai-effect/cli/Interactive/Input", {
  defaultValue: (): InputService => ({
    get isTTY() {
      return process.stdin.isTTY === true
    },
    readSecret: readHidden,
    readAll: Effect.tryPromise({
      try: async () => {
        const chunks: Array<Buffer> = []
        for await (const chunk of process.stdin) chunks.push(Buffer.from(chunk))
        return Buffer.concat(chunks).toString("utf8")
      },
      catch: (e) => new CliError({ message: `Cannot read stdin: ${String(e)}` })
    })
  })
}) {}
