/**
 * The session runtime's own primitives against the Effect machinery they replace, side by side:
 * each case runs each variant in a fresh process (compiled, bare node, `--expose-gc`), the variants
 * alternating, `rounds` times; printed are the median of each variant and its ratio to `effect`.
 *
 * - deadline-cpu: one request's time limit, per request, on an in-memory client that answers at
 *   once (what every request pays). `own`: `internal/deadline.ts` (a timer aborts the request
 *   through its scope); `effect`: `Effect.timeoutFail` (what `timeoutBy: "interrupt"` does);
 *   `fork-timer`: the same abort, its timer a fiber sleeping on the fiber's `Clock` (the way
 *   one path could serve every clock, `TestClock` included).
 * - deadline-memory: heap held by each of 2,000 requests waiting at once (a long-poll), same variants.
 * - snapshot: 1,000 sessions, each with a writer (the watcher) publishing 40 rounds, a reader of
 *   its events (a wait per round) and a turn wait, as `internal/handle.ts` does. `own`:
 *   `internal/cell.ts` (a value, waits as callbacks); `effect`: a `SubscriptionRef` and a
 *   `Deferred` per wait. CPU per published round, and heap per session while all wait.
 *
 *   npx tsx bench/session-primitives.ts [rounds=5] [--only deadline-cpu,deadline-memory,snapshot]
 */
import { HttpClient, HttpClientError, HttpClientResponse } from "@effect/platform"
import { Deferred, Duration, Effect, Exit, Fiber, FiberId, Option, Scope, Stream, SubscriptionRef } from "effect"
import { spawn } from "node:child_process"
import * as Cell from "../packages/core/src/internal/cell.js"
import * as Deadline from "../packages/core/src/internal/deadline.js"
import { compile } from "./support/compiled.js"
import { median } from "./support/emulator-process.js"

const argv = process.argv.slice(2)
const flag = (name: string) => {
  const i = argv.indexOf(`--${name}`)
  return i === -1 ? undefined : argv[i + 1]
}

const gc = () => (globalThis as { gc?: () => void }).gc?.()
const heapAfterGc = () => {
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

interface Figure {
  readonly value: number
  readonly unit: string
  readonly extra?: { readonly value: number; readonly unit: string }
}

// =============================================================================
// deadline
// =============================================================================

type Exchange = (
  client: HttpClient.HttpClient.With<HttpClientError.HttpClientError, Scope.Scope>
) => Effect.Effect<string, HttpClientError.HttpClientError, Scope.Scope>

const exchange: Exchange = (client) => Effect.flatMap(client.get("http://bench.local/x"), (r) => r.text)

/** The abort of `deadline.ts`, its timer a root fiber sleeping on the caller's clock. */
const forkTimer = (client: HttpClient.HttpClient): Deadline.Deadlined => {
  const scoped = HttpClient.withScope(client)
  return (exchange, millis, onTimeout) =>
    Effect.clockWith((clock) =>
      Effect.flatMap(Scope.make(), (scope) => {
        let timedOut = false
        const abort = Scope.close(scope, Exit.void)
        const timer = Effect.runFork(
          Effect.zipRight(clock.sleep(Duration.millis(millis)), Effect.suspend(() => ((timedOut = true), abort)))
        )
        return exchange(scoped).pipe(
          Effect.provideService(Scope.Scope, scope),
          Effect.onExit((exit) => {
            timer.unsafeInterruptAsFork(FiberId.none)
            return Exit.isFailure(exit) ? abort : Effect.void
          }),
          Effect.mapError((error) => timedOut ? onTimeout() : error)
        )
      })
    )
}

const deadlinedBy = (variant: string, client: HttpClient.HttpClient): Deadline.Deadlined =>
  variant === "own"
    ? Deadline.make(client, "abort")
    : variant === "effect"
    ? Deadline.make(client, "interrupt")
    : forkTimer(client)

const instant = HttpClient.make((request) =>
  Effect.sync(() => HttpClientResponse.fromWeb(request, new Response("{\"status\":\"running\"}", { status: 200 })))
)

// Answers only when aborted, as a server that holds a long-poll open.
const holding = HttpClient.make((request, _url, signal) =>
  Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((resume) => {
    const onAbort = () =>
      resume(Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", description: "aborted" })))
    signal.addEventListener("abort", onAbort, { once: true })
    return Effect.sync(() => signal.removeEventListener("abort", onAbort))
  })
)

const deadlineCpu = (variant: string): Effect.Effect<Figure> =>
  Effect.gen(function*() {
    const deadlined = deadlinedBy(variant, instant)
    const one = deadlined(exchange, 30_000, () => "timeout")
    const calls = 20_000
    for (let i = 0; i < 2_000; i++) yield* one
    const start = process.cpuUsage()
    for (let i = 0; i < calls; i++) yield* one
    const cpu = process.cpuUsage(start)
    return { value: (cpu.user + cpu.system) / calls, unit: "us CPU per request" }
  }).pipe(Effect.orDie)

const deadlineMemory = (variant: string): Effect.Effect<Figure> =>
  Effect.gen(function*() {
    const deadlined = deadlinedBy(variant, holding)
    const n = 2_000
    const before = heapAfterGc()
    const fibers = yield* Effect.forEach(
      Array.from({ length: n }),
      () => Effect.fork(deadlined(exchange, 60_000, () => "timeout")),
      { concurrency: "unbounded" }
    )
    yield* Effect.sleep("100 millis")
    const held = heapAfterGc() - before
    yield* Fiber.interruptAll(fibers)
    return { value: held / n / 1024, unit: "KiB of heap per waiting request" }
  })

// =============================================================================
// snapshot
// =============================================================================

interface Snapshot {
  readonly count: number
  readonly settled: boolean
}

interface Holder {
  readonly update: (f: (s: Snapshot) => Snapshot) => Effect.Effect<Snapshot>
  readonly await: (test: (s: Snapshot) => boolean) => Effect.Effect<Snapshot>
}

const ownHolder = (initial: Snapshot): Effect.Effect<Holder> =>
  Effect.sync(() => {
    const cell = Cell.make(initial)
    return { update: cell.update, await: cell.await }
  })

// What the Effect modules offer for the same: a SubscriptionRef, and a Deferred per wait,
// completed by the writer and removed from the set when the wait ends.
const effectHolder = (initial: Snapshot): Effect.Effect<Holder> =>
  Effect.map(SubscriptionRef.make(initial), (ref) => {
    const waits = new Set<{ readonly test: (s: Snapshot) => boolean; readonly deferred: Deferred.Deferred<Snapshot> }>()
    return {
      update: (f) =>
        Effect.tap(SubscriptionRef.updateAndGet(ref, f), (next) =>
          Effect.forEach(
            [...waits].filter((w) => w.test(next)),
            (w) => Effect.zipRight(Effect.sync(() => waits.delete(w)), Deferred.succeed(w.deferred, next)),
            { discard: true }
          )),
      await: (test) =>
        Effect.flatMap(SubscriptionRef.get(ref), (now) =>
          test(now) ? Effect.succeed(now) : Effect.flatMap(Deferred.make<Snapshot>(), (deferred) => {
            const wait = { test, deferred }
            waits.add(wait)
            return Effect.ensuring(
              Deferred.await(deferred),
              Effect.sync(() =>
                waits.delete(wait)
              )
            )
          }))
    }
  })

const snapshot = (variant: string): Effect.Effect<Figure> =>
  Effect.gen(function*() {
    const sessions = 1_000
    const rounds = 40
    const make = variant === "own" ? ownHolder : effectHolder
    const before = heapAfterGc()
    const holders = yield* Effect.forEach(Array.from({ length: sessions }), () => make({ count: 0, settled: false }))
    // Per session, a reader of its events (one wait per round, as `handle.events`) and a turn wait.
    const readers = yield* Effect.forEach(holders, (holder) =>
      Effect.fork(
        Stream.runDrain(Stream.unfoldEffect(0, (seen) =>
          Effect.map(
            holder.await((s) => s.count > seen || s.settled),
            (s) => s.count > seen ? Option.some([s.count, s.count] as const) : Option.none()
          )))
      ))
    const turns = yield* Effect.forEach(holders, (holder) => Effect.fork(holder.await((s) => s.settled)))
    yield* Effect.sleep("50 millis")
    const perSession = (heapAfterGc() - before) / sessions / 1024
    const start = process.cpuUsage()
    for (let round = 1; round <= rounds; round++) {
      yield* Effect.forEach(
        holders,
        (holder) => holder.update((s) => ({ count: round, settled: round === rounds ? true : s.settled })),
        { discard: true }
      )
      yield* Effect.yieldNow()
    }
    yield* Fiber.joinAll(turns)
    yield* Fiber.joinAll(readers)
    const cpu = process.cpuUsage(start)
    return {
      value: (cpu.user + cpu.system) / (sessions * rounds),
      unit: "us CPU per published round",
      extra: { value: perSession, unit: "KiB of heap per waiting session" }
    }
  })

// =============================================================================
// Driver
// =============================================================================

const cases: Record<
  string,
  { readonly variants: ReadonlyArray<string>; readonly run: (variant: string) => Effect.Effect<Figure> }
> = {
  "deadline-cpu": { variants: ["own", "effect", "fork-timer"], run: deadlineCpu },
  "deadline-memory": { variants: ["own", "effect", "fork-timer"], run: deadlineMemory },
  snapshot: { variants: ["own", "effect"], run: snapshot }
}

const runChild = (bundle: string, name: string, variant: string) =>
  new Promise<Figure>((resolve, reject) => {
    let out = ""
    const child = spawn(process.execPath, ["--expose-gc", bundle, "--case", name, "--variant", variant], {
      stdio: ["ignore", "pipe", "inherit"]
    })
    child.stdout.on("data", (d) => (out += d))
    child.on("exit", (code) => code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`${name}/${variant}: ${code}`)))
  })

const main = async () => {
  const name = flag("case")
  if (name !== undefined) {
    const figure = await Effect.runPromise(cases[name].run(flag("variant") ?? "own"))
    process.stdout.write(JSON.stringify(figure))
    return
  }
  const rounds = Number(argv[0] !== undefined && !argv[0].startsWith("--") ? argv[0] : 5)
  const only = flag("only")?.split(",")
  const bundle = await compile(import.meta.filename)
  for (const [caseName, { variants }] of Object.entries(cases)) {
    if (only && !only.includes(caseName)) continue
    const figures = new Map<string, Array<Figure>>(variants.map((v) => [v, []]))
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 === 0 ? variants : [...variants].reverse()
      for (const variant of order) figures.get(variant)!.push(await runChild(bundle, caseName, variant))
    }
    const med = (variant: string, pick: (f: Figure) => number) => median(figures.get(variant)!.map(pick))
    const report = (unit: string, pick: (f: Figure) => number) =>
      console.log(
        `session-primitives ${caseName}: ${unit}, median of ${rounds}: ${
          variants.map((v) => `${v}=${med(v, pick).toFixed(2)} (${(med(v, pick) / med("effect", pick)).toFixed(2)}x)`)
            .join(" ")
        }`
      )
    const first = figures.get(variants[0])![0]
    report(first.unit, (f) => f.value)
    if (first.extra !== undefined) report(first.extra.unit, (f) => f.extra!.value)
  }
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
