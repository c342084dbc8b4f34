/**
 * The emulator's long-poll `/changes`, over a real socket, the emulator in its own process
 * (bench/support/emulator-child.ts, which registers scripted agents).
 *
 * (a) Wake-up latency: sessions whose agent thinks `steps` times, `ms` apart (each think appends
 *     two events with one timestamp), followed by clients long-polling `/changes`
 *     (`wait_for_seconds=20`). For each event: receive time - `Date.parse(event.timestamp)`;
 *     also per wake-up (the first event of each 200). Two clients in the same run, on separate
 *     sessions, rounds alternating: a bare `undici.request` loop (the emulator's own latency) and
 *     the SDK's `ChangeFeed.events` over `NodeHai.layer` (emulator append -> Stream consumer).
 *     Timestamps have millisecond resolution (truncated), so figures carry up to +1 ms.
 * (b) Capacity: `capacity` sessions whose agent hangs, one `/changes?wait_for_seconds=25` held
 *     open per session at once; checks none answers early, then force-answers half of them
 *     (their poll must wake with the answer) and lets the other half time out (204 after ~25 s).
 *     Reports the emulator's RSS (VmRSS) before, with the sessions, and with every poll held.
 *
 *   npx tsx bench/emulator-longpoll.ts [--sessions 20] [--steps 60] [--ms 200] [--rounds 3]
 *                                       [--capacity 1000,2000] [--skip-latency] [--skip-capacity]
 */
import * as Undici from "@effect/platform-node/Undici"
import { ChangeFeed } from "@hai-effect/core"
import { NodeHai } from "@hai-effect/platform-node"
import { Effect, Stream } from "effect"
import { childScript, percentile, rssOf, startEmulator } from "./support/emulator-process.js"

const argv = process.argv.slice(2)
const flag = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`)
  return i === -1 ? fallback : argv[i + 1]
}
const sessions = Number(flag("sessions", "20"))
const steps = Number(flag("steps", "60"))
const stepMs = Number(flag("ms", "200"))
const rounds = Number(flag("rounds", "3"))
const capacities = flag("capacity", "1000,2000").split(",").map(Number).filter((n) => n > 0)

const agent = new Undici.Agent({ connections: 10_000, keepAliveTimeout: 60_000 })
Undici.setGlobalDispatcher(agent)

const now = () => performance.timeOrigin + performance.now()
const fmt = (n: number) => n.toFixed(1)

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
      accept: "application/json",
      ...(body !== undefined ? { "content-type": "application/json" } : {})
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    headersTimeout: 120_000,
    bodyTimeout: 120_000
  })
  const text = await res.body.text()
  return { status: res.statusCode, body: text.length > 0 ? JSON.parse(text) : undefined }
}

const create = async (emu: Emu, agentName: string, messages: string): Promise<string> => {
  const res = await request(emu, "POST", "/api/v2/sessions", { agent: agentName, messages })
  if (res.status !== 201) throw new Error(`create: ${res.status} ${JSON.stringify(res.body)}`)
  return res.body.id as string
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

const settled = (status: string) => ["idle", "completed", "failed", "timed_out", "interrupted"].includes(status)

interface Samples {
  events: Array<number>
  wakeups: Array<number>
  /** The slowest events, for diagnosis: latency, type/kind, index. */
  slow: Array<string>
}

/** A bare long-poll loop: one `/changes` at a time, from the cursor, until the session settles. */
const bareFollow = async (emu: Emu, id: string, out: Samples) => {
  let cursor = 0
  let waitFor = 20
  while (true) {
    const res = await request(
      emu,
      "GET",
      `/api/v2/sessions/${id}/changes?from_index=${cursor}&wait_for_seconds=${waitFor}`
    )
    const received = now()
    if (res.status === 200) {
      const events = res.body.new_events as Array<{ timestamp: string; type: string; data: any }>
      if (cursor > 0) { // the first answer (creation events) is not a wake-up
        events.forEach((e, i) => {
          const latency = received - Date.parse(e.timestamp)
          out.events.push(latency)
          if (i === 0) out.wakeups.push(latency)
          if (latency > 50) out.slow.push(`${latency.toFixed(0)}ms ${e.type}/${e.data?.kind ?? ""}#${cursor + i}`)
        })
      }
      cursor += events.length
      if (settled(res.body.status) && events.length === 0) return
      if (settled(res.body.status)) waitFor = 0 // drain what is left, then stop
    } else if (res.status === 204) {
      const status = await request(emu, "GET", `/api/v2/sessions/${id}/status`)
      if (settled(status.body.status)) return
    } else {
      throw new Error(`changes: ${res.status}`)
    }
  }
}

/**
 * The SDK's feed: `ChangeFeed.rounds` (what `ChangeFeed.events` flattens) through NodeHai
 * (undici), latency measured in the consumer; the first event of a round is its wake-up.
 */
const sdkFollow = (id: string, out: Samples) =>
  ChangeFeed.rounds(id).pipe(
    Stream.runForEach((round) =>
      Effect.sync(() => {
        const received = now()
        round.events.forEach(({ event, index }, i) => {
          if (round.nextIndex - round.events.length === 0) return // the first answer: not a wake-up
          const latency = received - Date.parse(event.timestamp)
          out.events.push(latency)
          if (i === 0 && index > 0) out.wakeups.push(latency)
          if (latency > 50) out.slow.push(`${latency.toFixed(0)}ms ${event.type}#${index}`)
        })
      })
    )
  )

const summarize = (xs: ReadonlyArray<number>) => {
  const sorted = [...xs].sort((a, b) => a - b)
  return { n: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted[sorted.length - 1] }
}

const latency = async () => {
  const emu = await startEmulator(["--concurrency", "100000"], { script: childScript })
  const layer = NodeHai.layer({ apiKey: emu.apiKey, baseUrl: emu.url })
  const message = `${steps}x${stepMs}`
  const pooled: Record<"bare" | "sdk", Samples> = {
    bare: { events: [], wakeups: [], slow: [] },
    sdk: { events: [], wakeups: [], slow: [] }
  }
  const perRound: Record<"bare" | "sdk", Array<{ p50: number; p99: number }>> = { bare: [], sdk: [] }
  console.log(
    `emulator-longpoll (a) wake-up latency: ${sessions} sessions x ${steps} thinks of ${stepMs} ms, ${rounds} round(s) per client, starts staggered over ${stepMs} ms`
  )
  try {
    const runSide = async (side: "bare" | "sdk", warmup = false) => {
      const out: Samples = { events: [], wakeups: [], slow: [] }
      await Promise.all(Array.from({ length: sessions }, async (_, i) => {
        await new Promise((r) => setTimeout(r, (i * stepMs) / sessions))
        const id = await create(emu, "bench/ticker", warmup ? `10x${stepMs}` : message)
        if (side === "bare") await bareFollow(emu, id, out)
        else await Effect.runPromise(sdkFollow(id, out).pipe(Effect.provide(layer)))
      }))
      if (warmup) return
      const e = summarize(out.events)
      const w = summarize(out.wakeups)
      perRound[side].push({ p50: e.p50, p99: e.p99 })
      pooled[side].events.push(...out.events)
      pooled[side].wakeups.push(...out.wakeups)
      console.log(
        `  ${side.padEnd(4)}: events n=${e.n} p50=${fmt(e.p50)} ms p99=${fmt(e.p99)} ms max=${
          fmt(e.max)
        } ms | wake-ups n=${w.n} p50=${fmt(w.p50)} p99=${fmt(w.p99)} ms; > 50 ms: ${out.slow.length}${
          out.slow.length > 0 ? ` (e.g. ${out.slow.slice(0, 6).join(", ")})` : ""
        }`
      )
    }
    // Warm-up (JIT of both processes, connection pools), not counted.
    await runSide("bare", true)
    await runSide("sdk", true)
    for (let r = 0; r < rounds; r++) {
      console.log(`  round ${r + 1}`)
      if (r % 2 === 0) {
        await runSide("bare")
        await runSide("sdk")
      } else {
        await runSide("sdk")
        await runSide("bare")
      }
    }
    for (const side of ["bare", "sdk"] as const) {
      const e = summarize(pooled[side].events)
      const medP50 = perRound[side].map((x) => x.p50).sort((a, b) => a - b)
      const medP99 = perRound[side].map((x) => x.p99).sort((a, b) => a - b)
      console.log(
        `emulator-longpoll latency ${
          side === "bare" ? "bare undici loop" : "SDK ChangeFeed  "
        }: all events n=${e.n} p50=${fmt(e.p50)} ms p99=${fmt(e.p99)} ms; median of rounds p50=${
          fmt(percentile(medP50, 50))
        } p99=${fmt(percentile(medP99, 50))} ms${side === "sdk" ? " (targets p50 <= 5, p99 <= 25)" : ""}`
      )
    }
    console.log(`  emulator RSS after: ${(await rssOf(emu.pid)).toFixed(0)} MiB`)
  } finally {
    emu.stop()
  }
}

const capacity = async (n: number) => {
  const emu = await startEmulator(["--concurrency", "100000"], { script: childScript })
  const wait = 25
  try {
    const rssIdle = await rssOf(emu.pid)
    const t0 = now()
    const ids = await forEachLimit(Array.from({ length: n }, (_, i) => i), 64, () => create(emu, "bench/hang", "hang"))
    const createS = (now() - t0) / 1000
    await new Promise((r) => setTimeout(r, 1000))
    const cursors = await forEachLimit(ids, 64, async (id) => {
      const res = await request(emu, "GET", `/api/v2/sessions/${id}/changes?from_index=0&wait_for_seconds=0`)
      return res.status === 200 ? (res.body.new_events as Array<unknown>).length : 0
    })
    const rssSessions = await rssOf(emu.pid)

    let early = 0
    let failed = 0
    const errors = new Map<string, number>()
    const outcomes: Array<{ status: number; at: number; answered: boolean } | undefined> = new Array(n)
    const opened = now()
    const polls = ids.map((id, i) =>
      request(emu, "GET", `/api/v2/sessions/${id}/changes?from_index=${cursors[i]}&wait_for_seconds=${wait}`).then(
        (res) => {
          const at = now()
          if (at - opened < 8_000) early++
          outcomes[i] = {
            status: res.status,
            at,
            answered: res.status === 200
              && (res.body.new_events as Array<{ type: string; data: any }>).some((e) =>
                e.type === "AgentEvent" && e.data?.kind === "answer_event"
              )
          }
        },
        (error: unknown) => {
          failed++
          const key = String((error as any)?.code ?? (error as any)?.message ?? error)
          errors.set(key, (errors.get(key) ?? 0) + 1)
        }
      )
    )
    // Let every poll reach the emulator, then measure while they are all held.
    await new Promise((r) => setTimeout(r, 8_000))
    const rssHeld = await rssOf(emu.pid)
    const heldAt8s = n - early - failed
    const openSockets = Object.values((agent as any).stats ?? {}).reduce(
      (sum: number, s: any) => sum + (s.connected ?? 0),
      0
    )
    // Wake the even half with a force answer; the odd half must time out with 204 after ~25 s.
    const forced = new Map<number, number>()
    const forcedDone = new Map<number, number>()
    await forEachLimit(ids.map((id, i) => ({ id, i })).filter(({ i }) => i % 2 === 0), 8, async ({ i, id }) => {
      const sent = now()
      const res = await request(emu, "POST", `/api/v2/sessions/${id}/force_answer`)
      if (res.status >= 300) throw new Error(`force_answer: ${res.status}`)
      forced.set(i, sent)
      forcedDone.set(i, now())
    })
    await Promise.all(polls)
    const wakeLatency: Array<number> = []
    const wakeAfterReply: Array<number> = []
    const timeoutElapsed: Array<number> = []
    let wokeOk = 0
    let timedOutOk = 0
    let wrong = 0
    outcomes.forEach((o, i) => {
      if (o === undefined) return
      if (i % 2 === 0) {
        if (o.status === 200 && o.answered) {
          wokeOk++
          wakeLatency.push(o.at - (forced.get(i) ?? o.at))
          wakeAfterReply.push(o.at - (forcedDone.get(i) ?? o.at))
        } else wrong++
      } else {
        if (o.status === 204) {
          timedOutOk++
          timeoutElapsed.push((o.at - opened) / 1000)
        } else wrong++
      }
    })
    const w = summarize(wakeLatency)
    const wr = summarize(wakeAfterReply)
    const t = summarize(timeoutElapsed)
    console.log(
      `emulator-longpoll (b) capacity N=${n}: created in ${
        createS.toFixed(1)
      } s; held at 8 s: ${heldAt8s}/${n} (early answers ${early}, failed ${failed}${
        errors.size > 0 ? ` ${JSON.stringify(Object.fromEntries(errors))}` : ""
      }); client sockets connected: ${openSockets}`
    )
    console.log(
      `  woke on force_answer with the answer: ${wokeOk}/${
        Math.ceil(n / 2)
      } (force_answer sent, 8 at a time -> poll answered p50=${fmt(w.p50)} ms p99=${
        fmt(w.p99)
      } ms; from force_answer's reply p50=${fmt(wr.p50)} p99=${fmt(wr.p99)} ms); timed out 204: ${timedOutOk}/${
        Math.floor(n / 2)
      } after p50=${t.p50?.toFixed(2)} s max=${t.max?.toFixed(2)} s; wrong answers: ${wrong}`
    )
    console.log(
      `  emulator RSS: idle ${rssIdle.toFixed(0)} MiB, ${n} hanging sessions ${
        rssSessions.toFixed(0)
      } MiB, + ${n} polls held ${rssHeld.toFixed(0)} MiB (${
        (((rssHeld - rssIdle) * 1024) / n).toFixed(0)
      } KiB per session+poll); after ${(await rssOf(emu.pid)).toFixed(0)} MiB`
    )
    return failed === 0 && early === 0 && wrong === 0
  } finally {
    emu.stop()
  }
}

const main = async () => {
  if (!argv.includes("--skip-latency")) await latency()
  if (!argv.includes("--skip-capacity")) {
    for (const n of capacities) {
      const ok = await capacity(n)
      if (!ok) {
        console.log(`emulator-longpoll (b): N=${n} did not hold; larger N skipped`)
        break
      }
    }
  }
  await agent.close()
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
