/**
 * The crash-test harness: an emulator served over a real socket (outside the runners), with hooks
 * on its traffic that SIGKILL runner processes at seeded points, a recorder of tool side effects
 * (outside the runners, deduped by the key the tool was given), and the runner processes
 * themselves (the bundled `fixtures/runner.ts`).
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { HaiAgents } from "@hai-effect/core"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Deferred, Effect, Layer } from "effect"
import * as esbuild from "esbuild"
import { type ChildProcess, spawn } from "node:child_process"
import { mkdirSync, realpathSync } from "node:fs"
import { createServer } from "node:http"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { fileURLToPath } from "node:url"
import { freePort } from "./postgres.js"

const here = dirname(fileURLToPath(import.meta.url))
const root = join(here, "..", "..", "..", "..")

/** Bundles the runner once (bare `node` starts it in well under a second; `tsx` takes seconds). */
export const bundleRunner = async (): Promise<string> => {
  const outfile = join(here, "..", ".compiled", "runner.mjs")
  mkdirSync(dirname(outfile), { recursive: true })
  const sqliteNode = realpathSync(join(root, "node_modules", "@effect", "sql-sqlite-node"))
  const betterSqlite = createRequire(join(sqliteNode, "package.json")).resolve("better-sqlite3")
  await esbuild.build({
    entryPoints: [join(here, "..", "fixtures", "runner.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    external: ["pg-native", "msgpackr-extract"],
    plugins: [{
      name: "native-addons",
      setup(build) {
        // A native addon finds its binary next to its own files: load it from where it is installed.
        build.onResolve({ filter: /^better-sqlite3$/ }, () => ({ path: betterSqlite, external: true }))
      }
    }],
    banner: {
      js: "import { createRequire as __haiRequire } from 'node:module'; const require = __haiRequire(import.meta.url);"
    },
    logLevel: "error"
  })
  return outfile
}

/** A small seeded PRNG (mulberry32), so a failing trial can be replayed from its seed. */
export const prng = (seed: number) => {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export type KillPoint = "create" | "tool" | "wait" | "between" | "cancel"

export interface Trial {
  readonly id: string
  readonly agent: string
  cancel: boolean
  /** Only this runner starts it (the others would find it started anyway). */
  readonly runner?: string | undefined
}

export interface Effects {
  /** Attempts per key (a call whose runner died while it ran is attempted again). */
  readonly attempts: Map<string, number>
  /** Applied side effects: once per key. */
  readonly applied: Map<string, { readonly company: string; readonly sessionId: string }>
}

export interface RunnerProcess {
  readonly id: string
  child: ChildProcess | undefined
  hello: Deferred.Deferred<void>
  output: string
  /** Only for PostgreSQL: the cluster port (kept across restarts). */
  readonly port: number | undefined
  readonly webhookPort: number
  /** The signing secret of this runner's webhook ("" when webhooks are off). */
  secret: string
}

/**
 * One round of a campaign: its trials run until each is held at the kill point, then one runner
 * is killed (the one holding most of them) and the holds are released.
 */
interface Round {
  readonly point: KillPoint
  readonly trials: ReadonlySet<string>
  /** For `create`: which step's create is held, per trial. */
  readonly steps: ReadonlyMap<string, "find" | "enrich">
  /** Trial -> the runner that holds it at the point. */
  readonly held: Map<string, string>
  readonly allHeld: Deferred.Deferred<void>
  readonly released: Deferred.Deferred<void>
}

export const jobs = {
  jobs: [{ title: "ML engineer", company: "Acme" }, { title: "Data scientist", company: "Globex" }]
}

/** Registers the scenarios of an agent family (`<agent>/finder`, `<agent>/enricher`). */
const registerAgents = (emulator: Emulator.Service, agent: string, finderMs: number) =>
  Effect.all([
    emulator.registerScenario(
      `${agent}/finder`,
      agent === "cancel"
        ? [Scenario.think("tick"), Scenario.hang]
        : [Scenario.think(`${finderMs} millis`), Scenario.answer(jobs)]
    ),
    emulator.registerScenario(`${agent}/enricher`, [
      Scenario.think("tick"),
      Scenario.callTools([{ name: "lookup_company", args: { name: "Acme" } }, {
        name: "lookup_company",
        args: { name: "Globex" }
      }]),
      Scenario.think("tick"),
      Scenario.answer({ companies: [{ name: "Acme", size: 40 }, { name: "Globex", size: 60 }] })
    ])
  ], { discard: true })

export interface HarnessOptions {
  readonly runners: number
  readonly sqliteFile?: string | undefined
  readonly pgUrl?: string | undefined
  readonly pollMs: number
  readonly toolMs: number
  readonly tick?: number | undefined
  /** Sessions active at once per runner (`SessionLimit`). */
  readonly limit?: number | undefined
}

export const make = (options: HarnessOptions & { readonly runnerScript: string }) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator.Emulator
    const trials: Array<Trial> = []
    const done = new Map<string, { readonly ids: ReadonlyArray<string>; readonly runner: string }>()
    const effects: Effects = { attempts: new Map(), applied: new Map() }
    const sessionTrial = new Map<string, { readonly trial: string; readonly step: string }>()
    const interrupted = new Map<string, string>()
    let round: Round | undefined
    const kills: Array<{ readonly point: KillPoint; readonly runner: string; readonly trials: ReadonlyArray<string> }> =
      []

    const runners: Array<RunnerProcess> = []
    /** When the service told (by webhook) that a session settled, and when a runner read it next. */
    const settledAt = new Map<string, number>()
    const resumedAt = new Map<string, number>()
    const rss = new Map<string, number>()

    const findTrial = (sessionId: string) =>
      Effect.gen(function*() {
        const known = sessionTrial.get(sessionId)
        if (known !== undefined) return known
        const s = yield* emulator.session(sessionId)
        if (s._tag === "None") return undefined
        const [trial, step] = String(s.value.request.messages ?? "").split(" ")
        const found = { trial, step }
        sessionTrial.set(sessionId, found)
        return found
      })

    const kill = (runnerId: string) =>
      Effect.promise(() => {
        const r = runners.find((r) => r.id === runnerId)
        const child = r?.child
        if (r === undefined || child === undefined || child.exitCode !== null) return Promise.resolve(false)
        return new Promise<boolean>((resolve) => {
          child.once("exit", () => resolve(true))
          child.kill("SIGKILL")
        })
      })

    /** Marks the trial held at the round's point, and waits (when `wait`) until the kill released it. */
    const hold = (point: KillPoint, trial: string | undefined, runner: string, wait: boolean) =>
      Effect.gen(function*() {
        const r = round
        if (r === undefined || r.point !== point || trial === undefined || !r.trials.has(trial)) return false
        if (yield* Deferred.isDone(r.released)) return false
        if (!r.held.has(trial)) {
          r.held.set(trial, runner)
          if (r.held.size === r.trials.size) yield* Deferred.succeed(r.allHeld, undefined)
        } else if (r.held.get(trial) !== runner) {
          return false
        }
        if (wait) yield* Deferred.await(r.released)
        return true
      })

    const json = (body: unknown) => HttpServerResponse.unsafeJson(body)

    /** The same request with its already-read body (its declared length is that body's). */
    const replay = (request: HttpServerRequest.HttpServerRequest, url: URL, bytes: Uint8Array<ArrayBuffer>) => {
      const headers: Record<string, string> = {}
      for (const [k, v] of Object.entries(request.headers)) {
        if (k !== "content-length" && k !== "transfer-encoding") headers[k] = v
      }
      headers["content-length"] = String(bytes.length)
      return HttpServerRequest.fromWeb(new Request(url, { method: request.method, headers, body: bytes }))
    }

    const harnessApi = (request: HttpServerRequest.HttpServerRequest, url: URL) =>
      Effect.gen(function*() {
        const body = request.method === "POST" ? JSON.parse(yield* Effect.orDie(request.text)) : undefined
        switch (url.pathname) {
          case "/harness/hello": {
            const r = runners.find((r) => r.id === body.runner)
            if (r !== undefined) yield* Deferred.succeed(r.hello, undefined)
            return json({})
          }
          case "/harness/trials": {
            // A runner polls this many times a second, with 10,000 trials queued in the bench: it
            // gets the trials listed since its last poll (`from`), and those marked for cancel since.
            const runner = url.searchParams.get("runner")
            const from = Number(url.searchParams.get("from") ?? "0")
            const mine = (t: Trial) => !done.has(t.id) && (t.runner === undefined || t.runner === runner)
            const fresh = trials.slice(from).filter(mine)
            const cancels = trials.slice(0, from).filter((t) => t.cancel && !interrupted.has(t.id) && mine(t))
            return json({ next: trials.length, trials: [...fresh, ...cancels] })
          }
          case "/harness/stats":
            rss.set(body.runner, Math.max(rss.get(body.runner) ?? 0, body.rss))
            return json({})
          case "/harness/hook":
            if (body.data?.status === "idle" && !settledAt.has(body.data.session_id)) {
              settledAt.set(body.data.session_id, performance.now())
            }
            return HttpServerResponse.empty({ status: 204 })
          case "/harness/done":
            if (!done.has(body.id)) done.set(body.id, { ids: body.ids, runner: body.runner })
            return json({})
          case "/harness/interrupted":
            if (!interrupted.has(body.id)) interrupted.set(body.id, body.runner)
            return json({})
          case "/harness/effect": {
            const key: string = body.key
            effects.attempts.set(key, (effects.attempts.get(key) ?? 0) + 1)
            if (!effects.applied.has(key)) {
              effects.applied.set(key, { company: body.company, sessionId: body.sessionId })
            }
            // The call is running (its effect is applied): hold it there until the kill.
            const t = yield* findTrial(body.sessionId)
            yield* hold("tool", t?.trial, body.runner, true)
            return json({})
          }
        }
        return HttpServerResponse.empty({ status: 404 })
      })

    const app = Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const url = new URL(request.url, "http://harness.local")
      if (url.pathname.startsWith("/harness/")) return yield* harnessApi(request, url)
      const runner = request.headers["x-runner"] ?? "?"
      if (request.method === "POST" && url.pathname === "/api/v2/sessions") {
        // Node's request reads its socket again on every body accessor (none is cached), so once
        // the body is read here the emulator must be handed a request that carries those bytes.
        const bytes = new Uint8Array(yield* Effect.orDie(request.arrayBuffer))
        const body = JSON.parse(new TextDecoder().decode(bytes))
        const [trial, step] = String(body.messages ?? "").split(" ")
        // Step one is done (the body moved on); step two's create is held before the service sees
        // it, and never reaches it from this runner.
        if (step === "enrich" && (yield* hold("between", trial, runner, true))) {
          return HttpServerResponse.empty({ status: 503 })
        }
        const response = yield* Effect.provideService(
          emulator.app,
          HttpServerRequest.HttpServerRequest,
          replay(request, url, bytes)
        )
        // The session exists; the create's answer is held and dies with the runner.
        if (round?.steps.get(trial) === step) yield* hold("create", trial, runner, true)
        return response
      }
      const session = /^\/api\/v2\/sessions\/([^/]+)(\/changes)?$/.exec(url.pathname)
      // A cancel made by the compensation is held before the service sees it: after the kill, the
      // workflow must cancel again from another process.
      if (session !== null && session[2] === undefined && request.method === "DELETE") {
        const t = yield* findTrial(session[1])
        if (yield* hold("cancel", t?.trial, runner, true)) return HttpServerResponse.empty({ status: 503 })
      }
      const response = yield* emulator.app
      if (session !== null && session[2] !== undefined && request.method === "GET") {
        if (settledAt.has(session[1]) && !resumedAt.has(session[1])) resumedAt.set(session[1], performance.now())
        const t = yield* findTrial(session[1])
        if (t?.step === "find" && round?.point === "wait") {
          // The step read a running session and parks on its durable wait.
          const s = yield* emulator.session(session[1])
          if (s._tag === "Some" && (s.value.status === "running" || s.value.status === "pending")) {
            yield* hold("wait", t.trial, runner, false)
          }
        }
      }
      return response
    })

    const server = yield* HttpServer.HttpServer
    const address = server.address
    const port = address._tag === "TcpAddress" ? address.port : 0
    const url = `http://127.0.0.1:${port}`
    yield* HttpServer.serveEffect(app)

    for (const agent of ["create", "tool", "wait", "between", "cancel", "bench"]) {
      yield* registerAgents(emulator, agent, agent === "wait" ? 3000 : 60)
    }

    const spawnRunner = (r: RunnerProcess) =>
      Effect.gen(function*() {
        r.hello = yield* Deferred.make<void>()
        const env: Record<string, string> = {
          ...process.env as Record<string, string>,
          API_URL: url,
          HARNESS_URL: url,
          RUNNER_ID: r.id,
          POLL_MS: String(options.pollMs),
          TOOL_MS: String(options.toolMs),
          MESSAGE_POLL_MS: "300",
          ...(options.limit === undefined ? {} : { LIMIT: String(options.limit) }),
          ...(r.secret === "" ? {} : { WEBHOOK_PORT: String(r.webhookPort), WEBHOOK_SECRET: r.secret })
        }
        if (options.sqliteFile !== undefined) env.SQLITE_FILE = options.sqliteFile
        if (options.pgUrl !== undefined) {
          env.PG_URL = options.pgUrl
          env.RUNNER_PORT = String(r.port)
        }
        // HAI_RUNNER_NODE_ARGS: flags for the runners' node (say `--cpu-prof`, which NODE_OPTIONS refuses).
        const nodeArgs = (process.env.HAI_RUNNER_NODE_ARGS ?? "").split(" ").filter((a) => a !== "")
        const child = spawn(process.execPath, [...nodeArgs, options.runnerScript], {
          env,
          stdio: ["ignore", "pipe", "pipe"]
        })
        child.stdout!.on("data", (chunk) => (r.output = (r.output + chunk).slice(-20_000)))
        child.stderr!.on("data", (chunk) => (r.output = (r.output + chunk).slice(-20_000)))
        r.child = child
        yield* Deferred.await(r.hello).pipe(
          Effect.timeoutFail({
            duration: "60 seconds",
            onTimeout: () => new Error(`runner ${r.id} did not start:\n${r.output}`)
          })
        )
      })

    for (let i = 1; i <= options.runners; i++) {
      runners.push({
        id: String(i),
        child: undefined,
        hello: yield* Deferred.make<void>(),
        output: "",
        port: options.pgUrl !== undefined ? yield* Effect.promise(freePort) : undefined,
        webhookPort: yield* Effect.promise(freePort),
        secret: ""
      })
    }
    yield* Effect.addFinalizer(() =>
      Effect.forEach(runners, (r) => kill(r.id), { discard: true, concurrency: "unbounded" })
    )

    return {
      url,
      emulator,
      trials,
      done,
      effects,
      kills,
      interrupted,
      settledAt,
      resumedAt,
      rss,
      runners,
      spawnRunner,
      kill,
      /** Starts a round: these trials will be held at `point`. */
      startRound: (point: KillPoint, trials: ReadonlyArray<string>, steps?: ReadonlyMap<string, "find" | "enrich">) =>
        Effect.gen(function*() {
          const r: Round = {
            point,
            trials: new Set(trials),
            steps: steps ?? new Map(),
            held: new Map(),
            allHeld: yield* Deferred.make<void>(),
            released: yield* Deferred.make<void>()
          }
          round = r
          return r
        }),
      /** Kills the runner that holds most of the round's trials, then releases the holds. */
      killRound: (r: Round, stillThere?: (trial: string) => Effect.Effect<boolean>) =>
        Effect.gen(function*() {
          // A trial that left the point on its own before the kill (a wait that ended) is not counted.
          if (stillThere !== undefined) {
            for (const trial of [...r.held.keys()]) if (!(yield* stillThere(trial))) r.held.delete(trial)
          }
          if (r.held.size === 0) {
            yield* Deferred.succeed(r.released, undefined)
            round = undefined
            return { victim: undefined, trials: [] as Array<string> }
          }
          const counts = new Map<string, number>()
          for (const runner of r.held.values()) counts.set(runner, (counts.get(runner) ?? 0) + 1)
          const victim: string | undefined = [...counts.entries()].sort((a, b) => b[1] - a[1])[0][0]
          yield* kill(victim)
          const trials = [...r.held.entries()].filter(([, runner]) => runner === victim).map(([trial]) => trial)
          kills.push({ point: r.point, runner: victim, trials })
          yield* Deferred.succeed(r.released, undefined)
          round = undefined
          return { victim, trials }
        }),
      sessionsOf: (trial: string) =>
        Effect.map(
          emulator.sessions,
          (all) => all.filter((s) => String(s.request.messages ?? "").startsWith(`${trial} `))
        )
    }
  })

export type Harness = Effect.Effect.Success<ReturnType<typeof make>>

/**
 * The emulator (real clock, fast ticks) served on a free loopback port for the runners, and a
 * `HaiAgents` client that reaches it in-process for the harness itself.
 */
export const layer = (options: { readonly tick?: number | undefined }) =>
  HaiAgents.layer({ apiKey: "hk-emulator", baseUrl: "http://emulator.local" }).pipe(
    Layer.provideMerge(Emulator.layerClient),
    Layer.provideMerge(Layer.mergeAll(
      NodeHttpServer.layer(() => createServer(), { port: 0, host: "127.0.0.1" }),
      Emulator.layer({ tick: `${options.tick ?? 40} millis`, cancelDelay: "40 millis", concurrency: 10_000 })
    ))
  )
