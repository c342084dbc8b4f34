/**
 * Starts the emulator in a child process (so its event loop is not the one being measured) and
 * returns its URL.
 */
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import * as Path from "node:path"

export interface EmulatorProcess {
  readonly url: string
  readonly apiKey: string
  readonly pid: number
  readonly stop: () => void
}

// Found by walking up rather than from this file's place: benchmarks may run as a compiled bundle
// written elsewhere under the repository (see `bench/support/compiled.ts`).
const findRoot = (from: string): string =>
  existsSync(Path.join(from, "pnpm-workspace.yaml")) || Path.dirname(from) === from
    ? from
    : findRoot(Path.dirname(from))
const root = findRoot(import.meta.dirname)

/**
 * `script`: the emulator CLI by default; `bench/support/emulator-child.ts` for the benchmarks'
 * scripted agents. `nodeArgs`: extra flags for node (e.g. `--max-old-space-size`).
 */
export const startEmulator = (
  args: ReadonlyArray<string> = [],
  options: { readonly script?: string; readonly nodeArgs?: ReadonlyArray<string> } = {}
): Promise<EmulatorProcess> =>
  new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [
        ...(options.nodeArgs ?? []),
        // e.g. EMULATOR_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the emulator side.
        ...(process.env.EMULATOR_NODE_ARGS?.split(" ").filter((a) => a !== "") ?? []),
        "--import",
        "tsx",
        options.script ?? Path.join(root, "packages/emulator/src/bin/emulator.ts"),
        "--port",
        "0",
        ...args
      ],
      { cwd: root, stdio: ["ignore", "pipe", "inherit"] }
    )
    // Do not leave the emulator behind when this process exits (an OOM crash still can).
    const kill = () => child.kill("SIGTERM")
    process.once("exit", kill)
    let output = ""
    const timer = setTimeout(() => reject(new Error(`emulator did not start: ${output}`)), 30_000)
    child.stdout.setEncoding("utf8")
    child.stdout.on("data", (chunk: string) => {
      output += chunk
      const url = /listening on (http:\/\/\S+)/.exec(output)?.[1]
      const key = /HAI_API_KEY=(\S+)/.exec(output)?.[1]
      if (url && key) {
        clearTimeout(timer)
        resolve({
          url,
          apiKey: key,
          pid: child.pid!,
          stop: () => {
            process.off("exit", kill)
            child.kill("SIGTERM")
          }
        })
      }
    })
    child.on("exit", (code) => reject(new Error(`emulator exited (${code}): ${output}`)))
  })

/** Resident set size of a process, in MiB (Linux /proc). */
export const rssOf = async (pid: number): Promise<number> => {
  const { readFile } = await import("node:fs/promises")
  const status = await readFile(`/proc/${pid}/status`, "utf8")
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kb / 1024
}

export const childScript = Path.join(root, "bench/support/emulator-child.ts")

export const percentile = (sorted: ReadonlyArray<number>, p: number): number =>
  sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]

export const median = (values: ReadonlyArray<number>): number => percentile([...values].sort((a, b) => a - b), 50)

/** CPU time (user + system) a process has used, in seconds (Linux /proc). */
export const cpuSecondsOf = async (pid: number): Promise<number> => {
  const { readFile } = await import("node:fs/promises")
  const stat = await readFile(`/proc/${pid}/stat`, "utf8")
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime, stime in clock ticks (100 Hz)
}
