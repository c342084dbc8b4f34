/**
 * Runs every example as a child process (`tsx`), two at a time, each with a time limit, and
 * prints a summary. The last line is `N passed, N failed`; the exit code is non-zero when any
 * example failed or timed out.
 *
 *   npx tsx examples/run-all.ts                 # every example
 *   npx tsx examples/run-all.ts quickstart fleet  # only those whose file name contains a word
 *
 * Environment: EXAMPLE_TIMEOUT_MS (default 60000), EXAMPLE_CONCURRENCY (default 2),
 * EXAMPLE_VERBOSE=1 to print every example's output even when it passed.
 */
import { spawn } from "node:child_process"
import { readdirSync } from "node:fs"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, "..")
const tsx = join(root, "node_modules", ".bin", process.platform === "win32" ? "tsx.cmd" : "tsx")
const timeoutMs = Number(process.env.EXAMPLE_TIMEOUT_MS ?? 60_000)
const concurrency = Math.max(1, Number(process.env.EXAMPLE_CONCURRENCY ?? 2))
const verbose = process.env.EXAMPLE_VERBOSE === "1"
const filters = process.argv.slice(2)

/** Not an example: this runner (helpers live in support/, which is not scanned). */
const skip = new Set(["run-all.ts"])
const examples = readdirSync(here)
  .filter((f) => f.endsWith(".ts") && !skip.has(f))
  .filter((f) => filters.length === 0 || filters.some((w) => f.includes(w)))
  .sort()

interface Outcome {
  readonly file: string
  readonly ok: boolean
  readonly millis: number
  readonly reason: string
  readonly output: string
}

const runOne = (file: string): Promise<Outcome> =>
  new Promise((resolve) => {
    const started = Date.now()
    const child = spawn(tsx, [join(here, file)], {
      cwd: root,
      env: { ...process.env, FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
      detached: process.platform !== "win32"
    })
    let output = ""
    child.stdout.on("data", (chunk) => (output += chunk))
    child.stderr.on("data", (chunk) => (output += chunk))
    let timedOut = false
    const timer = setTimeout(() => {
      timedOut = true
      try {
        // the whole process group: tsx runs the example in a child of its own
        if (child.pid !== undefined && process.platform !== "win32") process.kill(-child.pid, "SIGKILL")
        else child.kill("SIGKILL")
      } catch {
        child.kill("SIGKILL")
      }
    }, timeoutMs)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      const millis = Date.now() - started
      const ok = !timedOut && code === 0
      const reason = timedOut ? `timed out after ${timeoutMs} ms` : code === 0 ? "ok" : `exit ${code ?? signal}`
      resolve({ file, ok, millis, reason, output })
    })
  })

const main = async () => {
  console.log(`running ${examples.length} examples, ${concurrency} at a time, ${timeoutMs} ms each`)
  const queue = [...examples]
  const outcomes: Array<Outcome> = []
  const worker = async () => {
    while (queue.length > 0) {
      const file = queue.shift()!
      const outcome = await runOne(file)
      outcomes.push(outcome)
      console.log(
        `${outcome.ok ? "PASS" : "FAIL"} ${file} (${(outcome.millis / 1000).toFixed(1)} s)${
          outcome.ok ? "" : `: ${outcome.reason}`
        }`
      )
      if (!outcome.ok || verbose) {
        console.log(outcome.output.split("\n").map((line) => `    ${line}`).join("\n"))
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  const failed = outcomes.filter((o) => !o.ok)
  console.log(`${outcomes.length - failed.length} passed, ${failed.length} failed`)
  process.exit(failed.length > 0 || outcomes.length === 0 ? 1 : 0)
}

main()
