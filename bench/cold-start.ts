/**
 * Cold start of the `hai` command, side by side in one run: `hai --help` and the MCP server's
 * start-up (spawn to the answer to `initialize` over stdio), for
 *
 * - `installed`: the CLI tarball installed with `npm install -g` (the bundled executable);
 * - `pnpm hai`: the workspace's command, which runs the same bundle from the sources;
 * - `tsx`: the sources compiled on the fly by tsx (what `pnpm hai` was before the bundle);
 * - `effect + @effect/cli`: a one-option @effect/cli command printing its help, bundled the same
 *   way (bench/support/cli-floor.ts): the floor of any `hai --help` built on them;
 * - `node -e 0`: an empty program, the floor of any of them on this machine now.
 *
 * Prints medians of wall time and of CPU time (user + system, steadier on a shared machine) and
 * their ratio to tsx. The target for the installed `hai --help` is 0.25 s of wall time on a quiet
 * machine.
 *
 *   npx tsx bench/cold-start.ts [--quick]
 */
import * as esbuild from "esbuild"
import { execFileSync, spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { mcpHandshake } from "../scripts/support/cli.js"

const quick = process.argv.includes("--quick")
const root = Path.join(import.meta.dirname, "..")
const rounds = quick ? 5 : 15
const slowRounds = quick ? 3 : 5

const work = Fs.mkdtempSync(Path.join(Os.tmpdir(), "hai-cold-start-"))
const home = Path.join(work, "home")
Fs.mkdirSync(home)
const env = {
  ...process.env,
  HOME: home,
  NO_COLOR: "1",
  HAI_API_KEY: "hk-emulator",
  HAI_API_BASE_URL: "http://127.0.0.1:9"
}

console.log("building and installing the CLI tarball...")
execFileSync("pnpm", ["build"], { cwd: root, stdio: "ignore" })
execFileSync("pnpm", ["--filter", "@hai-effect/cli", "pack", "--pack-destination", work], {
  cwd: root,
  stdio: "ignore"
})
const tarball = Fs.readdirSync(work).find((f) => f.endsWith(".tgz"))!
execFileSync("npm", ["install", "--global", "--prefix", Path.join(work, "global"), Path.join(work, tarball)], {
  cwd: work,
  stdio: "ignore"
})
// Warm the workspace bundle so `pnpm hai` is measured as a developer runs it the second time.
execFileSync("pnpm", ["--silent", "hai", "--help"], { cwd: root, stdio: "ignore", env })

const floor = Path.join(work, "cli-floor.mjs")
esbuild.buildSync({
  entryPoints: [Path.join(import.meta.dirname, "support/cli-floor.ts")],
  outfile: floor,
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  minifyWhitespace: true,
  minifySyntax: true,
  logLevel: "warning"
})

const tsx = Path.join(root, "node_modules/.bin/tsx")
const commands: Record<string, { readonly command: string; readonly args: ReadonlyArray<string> }> = {
  installed: { command: Path.join(work, "global/bin/hai"), args: [] },
  "pnpm hai": { command: "pnpm", args: ["--silent", "hai"] },
  tsx: { command: tsx, args: [Path.join(root, "packages/cli/src/bin.ts")] },
  "effect + @effect/cli": { command: process.execPath, args: [floor] },
  // Node starting an empty program: how much of the figures above is the machine's load.
  "node -e 0": { command: process.execPath, args: ["-e", "0", "--"] }
}
const hasTime = Fs.existsSync("/usr/bin/time")

interface Sample {
  readonly wall: number
  readonly cpu: number
}

const help = (name: string): Sample => {
  const { args, command } = commands[name]
  const started = performance.now()
  const ran = hasTime
    ? spawnSync("/usr/bin/time", ["-f", "%U %S", command, ...args, "--help"], { cwd: root, env })
    : spawnSync(command, [...args, "--help"], { cwd: root, env })
  const wall = (performance.now() - started) / 1000
  if (ran.status !== 0) throw new Error(`${name} --help failed: ${ran.stderr}`)
  const times = hasTime ? ran.stderr.toString().trim().split("\n").pop()!.split(" ").map(Number) : [NaN, NaN]
  return { wall, cpu: times[0] + times[1] }
}

const mcp = async (name: string): Promise<Sample> => {
  const { args, command } = commands[name]
  const handshake = await mcpHandshake(command, [...args, "mcp", "serve"], root, env)
  return { wall: handshake.initializeMillis / 1000, cpu: NaN }
}

const median = (xs: ReadonlyArray<number>) => {
  const sorted = [...xs].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

const main = async () => {
  const samples: Record<string, Array<Sample>> = {}
  const add = (key: string, sample: Sample) => (samples[key] ??= []).push(sample)
  // Interleaved, so a burst of load on the machine hits every variant alike.
  for (let round = 0; round < rounds; round++) {
    for (const name of Object.keys(commands)) {
      if (name === "tsx" && round >= slowRounds) continue
      add(`hai --help: ${name}`, help(name))
      if (name !== "node -e 0" && name !== "effect + @effect/cli") {
        add(`mcp serve to initialize: ${name}`, await mcp(name))
      }
    }
  }
  const table: Array<string> = []
  const baseline = (key: string) => samples[key.replace(/: [^:]+$/, ": tsx")]
  for (const [key, xs] of Object.entries(samples)) {
    const wall = median(xs.map((s) => s.wall))
    const cpu = median(xs.map((s) => s.cpu))
    const ratio = wall / median(baseline(key).map((s) => s.wall))
    table.push(
      `${key.padEnd(36)} median ${wall.toFixed(3)} s wall${Number.isNaN(cpu) ? "" : `, ${cpu.toFixed(3)} s cpu`}`
        + `  (x${ratio.toFixed(2)} of tsx, n=${xs.length})`
    )
  }
  console.log(`\n${table.join("\n")}`)
  const installed = median(samples["hai --help: installed"].map((s) => s.wall))
  console.log(
    `\ninstalled hai --help: ${installed.toFixed(3)} s (target 0.25 s on a quiet machine; load average ${
      Os.loadavg()[0].toFixed(1)
    } on ${Os.cpus().length} cores now)`
  )
}

main().finally(() => Fs.rmSync(work, { recursive: true, force: true })).catch((error) => {
  console.error(error)
  process.exitCode = 1
})
