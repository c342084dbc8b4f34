/**
 * The emulator's own memory and long-poll capacity at 1,000 and 10,000 sessions, this tree's
 * emulator and a baseline's (another commit, `--baseline REF`, default the emulator before the
 * modules split) side by side in one run, each in its own process over a real socket.
 *
 * (a) Run: N sessions (`bench/ticker`, `steps` thinks of `ms` each) created 64 at a time, all
 *     running at once, until every one has answered. RSS (VmRSS) and peak (VmHWM) after.
 * (b) Capacity: N sessions that never finish, and one `/changes?wait_for_seconds=25` held per
 *     session at once: RSS while held; then half are force-answered (their poll must wake with the
 *     answer) and the other half must time out with 204.
 *
 *   npx tsx bench/emulator-rss.ts [--sessions 1000,10000] [--steps 10] [--ms 50] [--baseline REF]
 *                                 [--rounds 1] [--skip-capacity]
 */
import * as Undici from "@effect/platform-node/Undici"
import { execFileSync } from "node:child_process"
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs"
import * as Path from "node:path"
import { childScript, median, rssOf, startEmulator } from "./support/emulator-process.js"

const argv = process.argv.slice(2)
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`)
  return i === -1 ? fallback : argv[i + 1]
}
const sizes = flag("sessions", "1000,10000").split(",").map(Number).filter((n) => n > 0)
const steps = Number(flag("steps", "10"))
const stepMs = Number(flag("ms", "50"))
const rounds = Number(flag("rounds", "1"))
// The last commit before the emulator was split into modules (issue 15).
const baselineRef = flag("baseline", "90aac29")

const agent = new Undici.Agent({ connections: 12_000, keepAliveTimeout: 60_000 })
Undici.setGlobalDispatcher(agent)

const root = Path.resolve(import.meta.dirname, "..")

/** The baseline's emulator sources, and a child script like ours that serves them. */
const baselineChild = (ref: string): string => {
  const dir = Path.join(root, "bench/.compiled/baseline", ref.replace(/[^\w.-]/g, "_"))
  if (!existsSync(Path.join(dir, "child.ts"))) {
    mkdirSync(dir, { recursive: true })
    const tar = execFileSync("git", ["archive", "--format=tar", ref, "packages/emulator/src", "spec"], { cwd: root })
    execFileSync("tar", ["-x", "-C", dir], { input: tar })
    const child = readFileSync(childScript, "utf8").replace(
      /from "@hai-effect\/emulator\/(\w+)"/g,
      "from \"./packages/emulator/src/$1.js\""
    )
    writeFileSync(Path.join(dir, "child.ts"), child)
  }
  return Path.join(dir, "child.ts")
}

interface Emu {
  readonly url: string
  readonly apiKey: string
}

const request = async (emu: Emu, method: "GET" | "POST", path: string, body?: unknown) => {
  const res = await Undici.request(`${emu.url}${path}`, {
    method,
    dispatcher: agent,
    headers: {
      authorization: `Bearer ${emu.apiKey}`,
      ...(body !== undefined ? { "content-type": "application/json" } : {})
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    headersTimeout: 120_000,
    bodyTimeout: 120_000
  })
  const text = await res.body.text()
  return { status: res.statusCode, body: text.length > 0 ? JSON.parse(text) : undefined }
}

const forEachLimit = async <A, B>(items: ReadonlyArray<A>, limit: number, f: (a: A, i: number) => Promise<B>) => {
  const out: Array<B> = new Array(items.length)
  let next = 0
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await f(items[i], i)
    }
  }))
  return out
}

const create = async (emu: Emu, name: string, message: string) => {
  const res = await request(emu, "POST", "/api/v2/sessions", { agent: name, messages: message })
  if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.id as string
}

const hwmOf = (pid: number) => {
  const status = readFileSync(`/proc/${pid}/status`, "utf8")
  return Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024
}

interface Figures {
  runSeconds: number
  rssAfterRun: number
  peakRun: number
  rssHeld?: number
  held?: string
}

const run = async (script: string, n: number): Promise<Pick<Figures, "runSeconds" | "rssAfterRun" | "peakRun">> => {
  const emu = await startEmulator(["--concurrency", "1000000", "--tick-ms", "20"], { script })
  try {
    const t0 = performance.now()
    await forEachLimit(
      Array.from({ length: n }, (_, i) => i),
      64,
      () => create(emu, "bench/ticker", `${steps}x${stepMs}`)
    )
    while ((await request(emu, "GET", "/api/v2/sessions/quota")).body.active > 0) {
      await new Promise((r) => setTimeout(r, 200))
    }
    const runSeconds = (performance.now() - t0) / 1000
    return { runSeconds, rssAfterRun: await rssOf(emu.pid), peakRun: hwmOf(emu.pid) }
  } finally {
    emu.stop()
  }
}

const capacity = async (script: string, n: number): Promise<Pick<Figures, "rssHeld" | "held">> => {
  const emu = await startEmulator(["--concurrency", "1000000", "--tick-ms", "20"], { script })
  try {
    const ids = await forEachLimit(Array.from({ length: n }, (_, i) => i), 64, () => create(emu, "bench/hang", "hang"))
    await new Promise((r) => setTimeout(r, 1000))
    const cursors = await forEachLimit(ids, 64, async (id) => {
      const res = await request(emu, "GET", `/api/v2/sessions/${id}/changes?from_index=0`)
      return res.status === 200 ? (res.body.new_events as Array<unknown>).length : 0
    })
    let failed = 0
    const opened = performance.now()
    const outcomes = ids.map((id, i) =>
      request(emu, "GET", `/api/v2/sessions/${id}/changes?from_index=${cursors[i]}&wait_for_seconds=25`).then(
        (res) => ({ status: res.status, at: performance.now() - opened, answered: res.status === 200 }),
        () => {
          failed++
          return undefined
        }
      )
    )
    await new Promise((r) => setTimeout(r, 8_000))
    const rssHeld = await rssOf(emu.pid)
    await forEachLimit(
      ids.filter((_, i) => i % 2 === 0),
      16,
      (id) => request(emu, "POST", `/api/v2/sessions/${id}/force_answer`)
    )
    const done = await Promise.all(outcomes)
    let woke = 0
    let timedOut = 0
    done.forEach((o, i) => {
      if (o === undefined) return
      if (i % 2 === 0 && o.status === 200 && o.answered) woke++
      if (i % 2 === 1 && o.status === 204 && o.at > 20_000) timedOut++
    })
    return { rssHeld, held: `${woke + timedOut}/${n} right (woke ${woke}, timed out ${timedOut}, failed ${failed})` }
  } finally {
    emu.stop()
  }
}

const fmt = (n: number | undefined, unit = "MiB") => (n === undefined ? "-" : `${n.toFixed(0)} ${unit}`)

const main = async () => {
  const sides = [{ name: `baseline ${baselineRef}`, script: baselineChild(baselineRef) }, {
    name: "this tree",
    script: childScript
  }]
  console.log(
    `emulator-rss: sessions ${
      sizes.join(", ")
    }; each runs ${steps} thinks of ${stepMs} ms; ${rounds} round(s), sides alternating`
  )
  for (const n of sizes) {
    const figures: Record<string, Array<Figures>> = {}
    for (let r = 0; r < rounds; r++) {
      const order = r % 2 === 0 ? sides : [...sides].reverse()
      for (const side of order) {
        const f: Figures = await run(side.script, n)
        if (!argv.includes("--skip-capacity")) Object.assign(f, await capacity(side.script, n))
        ;(figures[side.name] ??= []).push(f)
      }
    }
    console.log(`\n  N = ${n}`)
    console.log(
      `  ${"".padEnd(22)} ${"run s".padStart(8)} ${"RSS after".padStart(10)} ${"peak".padStart(9)} ${
        "RSS, polls held".padStart(16)
      }  polls`
    )
    const medians: Record<string, Record<string, number>> = {}
    for (const side of sides) {
      const fs = figures[side.name]
      const m = {
        runSeconds: median(fs.map((f) => f.runSeconds)),
        rssAfterRun: median(fs.map((f) => f.rssAfterRun)),
        peakRun: median(fs.map((f) => f.peakRun)),
        rssHeld: median(fs.map((f) => f.rssHeld ?? NaN))
      }
      medians[side.name] = m
      console.log(
        `  ${side.name.padEnd(22)} ${m.runSeconds.toFixed(1).padStart(8)} ${fmt(m.rssAfterRun).padStart(10)} ${
          fmt(m.peakRun).padStart(9)
        } ${fmt(Number.isNaN(m.rssHeld) ? undefined : m.rssHeld).padStart(16)}  ${fs[fs.length - 1].held ?? "-"}`
      )
    }
    const [a, b] = sides.map((s) => medians[s.name])
    console.log(
      `  ratio this/baseline: run ${(b.runSeconds / a.runSeconds).toFixed(2)}x, RSS after ${
        (b.rssAfterRun / a.rssAfterRun).toFixed(2)
      }x, peak ${(b.peakRun / a.peakRun).toFixed(2)}x, RSS held ${(b.rssHeld / a.rssHeld).toFixed(2)}x`
    )
  }
  await agent.close()
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
