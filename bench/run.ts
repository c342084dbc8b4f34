/**
 * Runs every benchmark in sequence, each in its own process (tsx), and prints their figures.
 *
 *   pnpm bench [--quick] [--only name,name]
 *
 * `--quick` uses smaller sizes (a few minutes in all); the full run takes about 6 to 8 minutes on
 * two cores. Exits 1 when a benchmark fails (bundle-size over budget or pulling in `node:`, fleet
 * losing or duplicating an event, a script crashing); figures above their targets are printed,
 * not failed: the machines these run on are shared and noisy.
 */
import { spawn } from "node:child_process"
import * as Path from "node:path"

const quick = process.argv.includes("--quick")
const onlyIndex = process.argv.indexOf("--only")
const only = onlyIndex === -1 ? undefined : new Set(process.argv[onlyIndex + 1].split(","))

const benchmarks: ReadonlyArray<
  { readonly name: string; readonly args: ReadonlyArray<string>; readonly label?: string }
> = [
  { name: "bundle-size", args: [] },
  // `hai --help` and the MCP server's start-up: installed binary vs `pnpm hai` vs tsx.
  { name: "cold-start", args: quick ? ["--quick"] : [] },
  { name: "get-vs-fetch", args: quick ? ["500", "3", "100"] : ["2000", "5", "200"] },
  // The transport's own primitives (retrying, fastDecode, UndiciHttpClient) against what they replace.
  { name: "primitives", args: quick ? ["3"] : ["7"] },
  { name: "requests-per-session", args: quick ? ["20"] : ["40"] },
  { name: "webhook-savings", args: quick ? ["10", "20", "5"] : ["20", "30", "5"] },
  { name: "webhook-verify", args: quick ? ["7"] : ["21"] },
  // The session runtime's own primitives (deadline, cell) against the Effect machinery they replace.
  { name: "session-primitives", args: quick ? ["3"] : ["5"] },
  {
    name: "emulator-longpoll",
    args: quick
      ? ["--sessions", "10", "--steps", "20", "--rounds", "1", "--capacity", "500"]
      : ["--sessions", "20", "--steps", "60", "--rounds", "3", "--capacity", "1000,2000"]
  },
  // The emulator's own memory and long-poll capacity, against the emulator before its modules split.
  {
    name: "emulator-rss",
    args: quick ? ["--sessions", "1000", "--steps", "5"] : ["--sessions", "1000,10000"]
  },
  // A step a second per agent is the stress case (2,000 events/s); a step every 3 s is closer to
  // what a browsing agent does (a model call and a page action per step).
  { name: "fleet", args: quick ? ["200", "--steps", "10"] : ["1000", "--steps", "20"] },
  {
    name: "fleet",
    label: "fleet-3s-steps",
    args: quick
      ? ["200", "--steps", "5", "--ms", "3000", "--only", "steady"]
      : ["1000", "--steps", "10", "--ms", "3000", "--only", "steady"]
  },
  // Durable sessions over three PostgreSQL runners against plain Session.run, the wake-up at a steady
  // rate, then a queue of many more.
  {
    name: "durable",
    args: quick
      ? ["--sessions", "200", "--steady", "200", "--queued", "1000", "--limit", "100"]
      : ["--sessions", "1000", "--steady", "600", "--queued", "10000", "--limit", "400"]
  },
  // Both again with each session read as a Stream (`Session.start`, `handle.events`).
  {
    name: "fleet",
    label: "fleet-stream",
    args: quick
      ? ["200", "--steps", "10", "--only", "steady", "--consumer", "stream"]
      : ["1000", "--steps", "20", "--only", "steady", "--consumer", "stream"]
  },
  {
    name: "fleet",
    label: "fleet-stream-3s-steps",
    args: quick
      ? ["200", "--steps", "5", "--ms", "3000", "--only", "steady", "--consumer", "stream"]
      : ["1000", "--steps", "10", "--ms", "3000", "--only", "steady", "--consumer", "stream"]
  }
]

const runOne = (name: string, args: ReadonlyArray<string>) =>
  new Promise<{ readonly code: number; readonly seconds: number }>((resolve) => {
    const started = performance.now()
    console.log(`\n=== ${name} ${args.join(" ")}`)
    const child = spawn(process.execPath, ["--import", "tsx", Path.join(import.meta.dirname, `${name}.ts`), ...args], {
      stdio: "inherit"
    })
    child.on(
      "exit",
      (code, signal) =>
        resolve({ code: code ?? (signal !== null ? 1 : 0), seconds: (performance.now() - started) / 1000 })
    )
  })

const main = async () => {
  const summary: Array<string> = []
  let failed = false
  for (const { args, label, name } of benchmarks) {
    if (only && !only.has(name) && !(label !== undefined && only.has(label))) continue
    const { code, seconds } = await runOne(name, args)
    if (code !== 0) failed = true
    summary.push(`${label ?? name}: ${code === 0 ? "ok" : `FAILED (exit ${code})`} in ${seconds.toFixed(0)} s`)
  }
  console.log(`\n=== summary${quick ? " (quick)" : ""}\n${summary.join("\n")}`)
  if (failed) process.exitCode = 1
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
