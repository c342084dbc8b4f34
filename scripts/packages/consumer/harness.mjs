/**
 * Run with plain `node` in a project that installed the packed tarballs with npm. Starts the
 * emulator from `@hai-effect/emulator` on loopback and a collector for its signed webhook
 * deliveries, then proves `probe.mjs` under Node (in this process) and under every runtime named
 * on the command line, each over its own `fetch`:
 *
 *   node harness.mjs [bun] [deno] [workerd]
 *
 * Prints one line per runtime and exits 1 if any failed.
 */
import { HaiAgents } from "@hai-effect/core"
import * as Emulator from "@hai-effect/emulator/Emulator"
import { NodeHai } from "@hai-effect/platform-node"
import { Effect, Layer, ManagedRuntime } from "effect"
import { execFile, spawn } from "node:child_process"
import * as Fs from "node:fs"
import { createServer } from "node:http"
import * as Net from "node:net"
import * as Path from "node:path"
import { durable } from "./durable.mjs"
import { probe } from "./probe.mjs"

const here = import.meta.dirname
const bin = (name) => Path.join(here, "node_modules/.bin", name)
const wanted = process.argv.slice(2)

// The emulator delivers signed webhooks here; a probe asks for the one of its own session.
const deliveries = []
const collector = createServer((request, response) => {
  const url = new URL(request.url, "http://collector")
  if (request.method === "POST") {
    let body = ""
    request.on("data", (chunk) => (body += chunk))
    request.on("end", () => {
      deliveries.push({ body, headers: request.headers, event: JSON.parse(body) })
      response.writeHead(204).end()
    })
    return
  }
  const found = deliveries.find((d) =>
    d.event.data?.session_id === url.searchParams.get("session") && d.event.type === url.searchParams.get("type")
  )
  response.writeHead(200, { "content-type": "application/json" })
  response.end(JSON.stringify(found === undefined ? null : { body: found.body, headers: found.headers }))
})
await new Promise((resolve) => collector.listen(0, "127.0.0.1", resolve))
const collectorUrl = `http://127.0.0.1:${collector.address().port}`

const runtime = ManagedRuntime.make(
  Emulator.layerServer({ port: 0 }).pipe(Layer.provideMerge(Emulator.layer({ tick: "10 millis", region: "us" })))
)
const server = await runtime.runPromise(Emulator.EmulatorServer)
const emulator = await runtime.runPromise(Emulator.Emulator)
const webhook = await Effect.runPromise(
  Effect.flatMap(
    HaiAgents.HaiAgents,
    (hai) => hai.webhooks.create({ url: `${collectorUrl}/webhooks`, enabled_events: ["session.completed"] })
  ).pipe(
    Effect.provide(NodeHai.layer({ apiKey: emulator.apiKey, baseUrl: server.url }))
  )
)
const options = { baseUrl: server.url, apiKey: emulator.apiKey, collectorUrl, webhookSecret: webhook.secret }

const freePort = () =>
  new Promise((resolve) => {
    const s = Net.createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address()
      s.close(() => resolve(port))
    })
  })

const lastJsonLine = (stdout) => JSON.parse(stdout.trim().split("\n").pop())

const run = (command, args, env = {}) =>
  new Promise((resolve, reject) =>
    execFile(
      command,
      args,
      { cwd: here, timeout: 120_000, env: { ...process.env, ...env } },
      (error, stdout, stderr) =>
        error ? reject(new Error(`${command} ${args.join(" ")}: ${error.message}\n${stderr}`)) : resolve(stdout)
    )
  )

const runners = {
  node: () => probe(options),
  bun: async () => lastJsonLine(await run(bin("bun"), ["probe-main.mjs", JSON.stringify(options)])),
  deno: async () =>
    lastJsonLine(
      await run(bin("deno"), [
        "run",
        "--quiet",
        "--no-prompt",
        "--allow-net=127.0.0.1",
        "--allow-read",
        "--allow-env",
        "probe-main.mjs",
        JSON.stringify(options)
      ], { DENO_NO_UPDATE_CHECK: "1" })
    ),
  workerd: async () => {
    // As `wrangler deploy` would: one ES module bundled by esbuild, run by workerd with the
    // probe's options as bindings.
    const esbuild = await import("esbuild")
    await esbuild.build({
      entryPoints: [Path.join(here, "worker.mjs")],
      outfile: Path.join(here, "worker.bundle.mjs"),
      bundle: true,
      format: "esm",
      platform: "browser",
      conditions: ["workerd", "worker", "browser"],
      logLevel: "warning"
    })
    const port = await freePort()
    const bindings = Object.entries(options).map(([name, text]) => `(name = "${name}", text = ${JSON.stringify(text)})`)
    Fs.writeFileSync(
      Path.join(here, "worker.capnp"),
      `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [
    (name = "probe", worker = .probe),
    (name = "loopback", network = (allow = ["local", "private"], deny = [])),
  ],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "probe")],
);
const probe :Workerd.Worker = (
  modules = [(name = "worker", esModule = embed "worker.bundle.mjs")],
  compatibilityDate = "2026-01-01",
  bindings = [${bindings.join(", ")}],
  globalOutbound = "loopback",
);
`
    )
    const child = spawn(bin("workerd"), ["serve", "worker.capnp", "--verbose"], {
      cwd: here,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stderr = ""
    child.stderr.on("data", (chunk) => (stderr += chunk))
    try {
      for (let attempt = 0;; attempt++) {
        try {
          const response = await fetch(`http://127.0.0.1:${port}/`)
          const text = await response.text()
          if (response.status !== 200) throw new Error(`workerd answered ${response.status}: ${text}`)
          return JSON.parse(text)
        } catch (error) {
          if (attempt >= 100 || !String(error.cause?.code ?? "").startsWith("ECONNREFUSED")) {
            throw new Error(`${error.message}\n${stderr}`)
          }
          await new Promise((resolve) => setTimeout(resolve, 100))
        }
      }
    } finally {
      child.kill()
    }
  }
}

const failures = []
for (const name of ["node", ...wanted]) {
  const started = performance.now()
  try {
    const result = await runners[name]()
    const ok = result.session.status === "completed" && typeof result.session.answer?.value === "string"
      && result.session.toolCalls > 0 && result.webhook.verified === "session.completed"
      && result.webhook.sessionMatches === true && result.webhook.tamperedRejected !== "ACCEPTED"
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    console.log(`${ok ? "ok  " : "FAIL"} ${name.padEnd(8)} ${seconds.padStart(5)} s  ${JSON.stringify(result)}`)
    if (!ok) failures.push(name)
  } catch (error) {
    console.log(`FAIL ${name.padEnd(8)} ${error.stack ?? error}`)
    failures.push(name)
  }
}

// @hai-effect/workflow (Node): a durable step on the in-memory engine, with no database driver installed.
{
  const started = performance.now()
  try {
    const result = await durable(options)
    const ok = typeof result.answer?.value === "string" && result.toolCalls > 0
    const seconds = ((performance.now() - started) / 1000).toFixed(1)
    console.log(`${ok ? "ok  " : "FAIL"} ${"durable".padEnd(8)} ${seconds.padStart(5)} s  ${JSON.stringify(result)}`)
    if (!ok) failures.push("durable")
  } catch (error) {
    console.log(`FAIL ${"durable".padEnd(8)} ${error.stack ?? error}`)
    failures.push("durable")
  }
}

await runtime.dispose()
collector.close()
if (failures.length > 0) {
  console.log(`runtimes failed: ${failures.join(", ")}`)
  process.exitCode = 1
}
