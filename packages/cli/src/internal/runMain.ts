/**
 * How `hai` runs as a process, and what Ctrl-C does to it.
 *
 * `NodeRuntime.runMain` interrupts the program on the first SIGINT and then removes its
 * listener, so the next SIGINT kills the process at once. A terminal's Ctrl-C reaches every
 * process of the foreground group, and the wrappers in front of `hai` (`pnpm`, `tsx`, `npx`)
 * pass it on again: one key press is several signals, and the second one killed `hai` while
 * it was still cancelling the remote session, which then ran on and was billed. Here the
 * listeners stay until the process exits: the first signal interrupts the program (its
 * finalizers cancel what it started), later ones are ignored for a grace period, and only a
 * signal after that quits without waiting.
 *
 * A reader that leaves (`hai sessions list --json | head -1`) makes the next write to stdout fail
 * with EPIPE, which Node raises as an unhandled stream error: a stack trace and exit code 1. Here
 * it ends `hai` the way SIGPIPE ends other Unix tools: quietly, with 141 (128 + SIGPIPE), the
 * program interrupted first so that its finalizers still cancel what it started. A program that
 * has already finished keeps its own exit code.
 *
 * @internal
 */
import * as Runtime from "@effect/platform/Runtime"
import type * as Exit from "effect/Exit"

/** What the runner needs from the process; the tests give a fake one. */
export interface Host {
  readonly onSignal: (listener: () => void) => void
  readonly offSignal: (listener: () => void) => void
  readonly exit: (code: number) => void
  /** Writes a line for the user (stderr). */
  readonly notice: (text: string) => void
  readonly now: () => number
  /** Calls the listener once stdout or stderr has lost its reader (EPIPE). */
  readonly onBrokenPipe: (listener: () => void) => void
}

const signals = ["SIGINT", "SIGTERM"] as const

/** The real process. */
export const nodeHost: Host = {
  onSignal: (listener) => {
    for (const signal of signals) process.on(signal, listener)
  },
  offSignal: (listener) => {
    for (const signal of signals) process.removeListener(signal, listener)
  },
  exit: (code) => process.exit(code),
  notice: (text) => void process.stderr.write(`${text}\n`),
  now: () => Date.now(),
  onBrokenPipe: (listener) => {
    let broken = false
    for (const stream of [process.stdout, process.stderr]) {
      // Stays for the life of the process: writes still pending when the program ends fail too.
      stream.on("error", (error: NodeJS.ErrnoException) => {
        if (error.code === "EPIPE" || broken) {
          if (!broken) {
            broken = true
            listener()
          }
          return
        }
        throw error
      })
    }
  }
}

/** How long after the first signal later ones are ignored. */
export const graceMillis = 5_000

/**
 * Signals this close to the first are the same key press passed on by a wrapper (`pnpm`
 * forwards its own SIGINT to its child), not the user pressing again: they are ignored silently.
 */
const echoMillis = 1_000

/** The exit code of a program stopped by a signal (128 + SIGINT). */
export const interruptedExitCode = 130

/** The exit code of a program whose output lost its reader (128 + SIGPIPE). */
export const brokenPipeExitCode = 141

/**
 * A `runMain` whose signal listeners stay until the process exits (see the module's comment).
 * `teardown` picks the exit code as for `NodeRuntime.runMain`.
 */
export const make = (host: Host = nodeHost, grace: number = graceMillis) =>
  Runtime.makeRunMain(({ fiber, teardown }) => {
    // Node ends a process whose event loop is empty; the program may be waiting on nothing
    // that keeps it alive (a timer in a TestClock-free sleep is enough, a Deferred is not).
    const keepAlive = setInterval(() => {}, 2 ** 31 - 1)
    let first: number | undefined
    let told = false
    const onSignal = () => {
      const now = host.now()
      if (first === undefined) {
        first = now
        fiber.unsafeInterruptAsFork(fiber.id())
        return
      }
      const waited = now - first
      if (waited >= grace) {
        host.notice("Quitting without waiting for the cleanup to finish.")
        host.exit(interruptedExitCode)
      } else if (!told && waited >= echoMillis) {
        told = true
        host.notice(
          `Still cleaning up (cancelling what this command started); press Ctrl-C again after ${
            Math.ceil((grace - waited) / 1000)
          } s to quit without waiting.`
        )
      }
    }
    host.onSignal(onSignal)
    let ended = false
    let brokenPipe = false
    host.onBrokenPipe(() => {
      if (ended) return
      brokenPipe = true
      fiber.unsafeInterruptAsFork(fiber.id())
    })
    fiber.addObserver((exit: Exit.Exit<unknown, unknown>) => {
      ended = true
      clearInterval(keepAlive)
      if (brokenPipe) return host.exit(brokenPipeExitCode)
      teardown(exit, (code) => {
        if (first !== undefined || code !== 0) host.exit(code)
        else host.offSignal(onSignal)
      })
    })
  })
