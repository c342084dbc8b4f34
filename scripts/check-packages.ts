/**
 * The packages as a user gets them: build, `pnpm -r --filter "./packages/*" pack`, then, in a
 * project outside the repository that installs the tarballs with plain npm (next to effect,
 * @effect/platform and @effect/platform-node from the registry):
 *
 * - publint and @arethetypeswrong/cli on every tarball;
 * - an ESM program under plain `node` that starts the emulator from @hai-effect/emulator and runs
 *   `Session.run` with a tool and an answer Schema (scripts/packages/consumer/harness.mjs), then
 *   the same probe under Bun, Deno and workerd, each over its own `fetch`, each verifying a
 *   signed webhook delivery with @hai-effect/webhooks;
 * - `require()` of @hai-effect/core and @hai-effect/webhooks from CommonJS;
 * - a strict TypeScript consumer (nodenext, skipLibCheck false, exactOptionalPropertyTypes);
 * - the CLI tarball installed with `npm install -g`: `hai --help`, `hai run --json` against
 *   `hai emulator`, and an MCP handshake with `hai mcp serve`, with no TypeScript tooling.
 *
 *   pnpm check-packages [--skip-build] [--keep] [--runtimes bun,deno,workerd|none]
 *
 * Prints each tarball's size and the installed size of a core + platform-node consumer.
 */
import { execFileSync, spawnSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Os from "node:os"
import * as Path from "node:path"
import { mcpHandshake, runCli, withProcess } from "./support/cli.js"
import { packages, root } from "./support/workspace.js"

const argv = process.argv.slice(2)
const flag = (name: string) => argv.includes(`--${name}`)
const option = (name: string) => {
  const i = argv.indexOf(`--${name}`)
  return i === -1 ? undefined : argv[i + 1]
}
const runtimes = (option("runtimes") ?? "bun,deno,workerd").split(",").filter((r) => r !== "none" && r !== "")

// Versions the checks install where they run (never into the workspace).
const tools = {
  typescript: "5.9.3",
  "@types/node": "^20.19.43",
  esbuild: "0.28.2",
  bun: "1.4.5",
  deno: "2.9.6",
  workerd: "1.20261123.1"
}

let started = performance.now()
const step = (title: string) => {
  console.log(`\n--- ${title} (${((performance.now() - started) / 1000).toFixed(0)} s)`)
}
const sh = (command: string, args: ReadonlyArray<string>, cwd: string, env: Record<string, string> = {}) => {
  const ran = spawnSync(command, args, { cwd, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 })
  if (ran.status !== 0) {
    throw new Error(`${command} ${args.join(" ")} failed (${ran.status ?? ran.signal}):\n${ran.stdout}${ran.stderr}`)
  }
  return ran.stdout.toString()
}
const npm = (args: ReadonlyArray<string>, cwd: string) =>
  sh("npm", [...args, "--no-fund", "--no-audit", "--loglevel=error"], cwd)
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`
const duBytes = (dir: string) => Number(sh("du", ["-sb", dir], root).split("\t")[0])

const work = Fs.mkdtempSync(Path.join(Os.tmpdir(), "hai-packages-"))
const tarballDir = Path.join(work, "tarballs")
console.log(`working in ${work}`)

const main = async () => {
  started = performance.now()
  if (!flag("skip-build")) {
    step("build")
    sh("pnpm", ["build"], root)
  }

  step("package shape and versions")
  sh("pnpm", ["--silent", "package-shape"], root)
  sh("pnpm", ["--silent", "version-sync", "--check"], root)

  step("pack")
  sh("pnpm", ["-r", "--filter", "./packages/*", "pack", "--pack-destination", tarballDir], root)
  const tarballOf = new Map<string, string>()
  for (const pkg of packages()) {
    const file = Path.join(tarballDir, `${pkg.name.replace("@", "").replace("/", "-")}-${pkg.manifest.version}.tgz`)
    if (!Fs.existsSync(file)) throw new Error(`no tarball for ${pkg.name} (${file})`)
    tarballOf.set(pkg.name, file)
    const listed = execFileSync("tar", ["-tzf", file]).toString().split("\n")
    for (const required of ["package/LICENSE", "package/README.md", "package/package.json"]) {
      if (!listed.includes(required)) throw new Error(`${pkg.name}: the tarball has no ${required.slice(8)}`)
    }
    console.log(`${pkg.name.padEnd(28)} ${kib(Fs.statSync(file).size).padStart(9)} packed, ${listed.length - 1} files`)
  }

  step("publint and arethetypeswrong")
  const bin = (name: string) => Path.join(root, "node_modules/.bin", name)
  for (const [name, file] of tarballOf) {
    sh(bin("publint"), ["run", "--strict", file], root)
    const manifest = JSON.parse(
      execFileSync("tar", ["-xzOf", file, "package/package.json"]).toString()
    )
    if (manifest.exports === undefined && manifest.types === undefined) {
      console.log(`${name}: a command with no importable entry point; attw has nothing to check`)
      continue
    }
    // ESM only: `require()` of these packages is Node's require(esm) (20.19+), which attw's
    // TypeScript (5.6) models as an error; everything else is checked.
    sh(bin("attw"), ["--ignore-rules", "cjs-resolves-to-esm", "--format", "table-flipped", file], root)
    console.log(`${name}: publint and attw found no problem`)
  }

  step("installed size of a core + platform-node consumer")
  const sized = Path.join(work, "sized")
  Fs.mkdirSync(sized)
  Fs.writeFileSync(Path.join(sized, "package.json"), JSON.stringify({ name: "sized", private: true, type: "module" }))
  npm(["install", tarballOf.get("@hai-effect/core")!, tarballOf.get("@hai-effect/platform-node")!], sized)
  const consumerBytes = duBytes(Path.join(sized, "node_modules"))
  console.log(
    `node_modules of a project depending on @hai-effect/core and @hai-effect/platform-node: ${
      (consumerBytes / 1024 / 1024).toFixed(1)
    } MiB`
  )

  step("consumer project: npm install of every tarball, effect and the runtimes")
  const consumer = Path.join(work, "consumer")
  Fs.cpSync(Path.join(root, "scripts/packages/consumer"), consumer, { recursive: true })
  Fs.writeFileSync(
    Path.join(consumer, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }, null, 2)
  )
  const libraries = [...tarballOf].filter(([name]) => name !== "@hai-effect/cli").map(([, file]) => file)
  const registry = ["effect", "@effect/platform", "@effect/platform-node"].map((name) =>
    `${name}@${JSON.parse(Fs.readFileSync(Path.join(root, "package.json"), "utf8")).dependencies[name]}`
  )
  const wanted = ["typescript", "@types/node", "esbuild", ...runtimes].map((name) =>
    `${name}@${tools[name as keyof typeof tools]}`
  )
  npm(["install", ...libraries, ...registry], consumer)
  npm(["install", "--save-dev", ...wanted], consumer)
  // The sources ship only for the maps to point at: prove nothing loads them.
  for (const [name] of tarballOf) {
    Fs.rmSync(Path.join(consumer, "node_modules", name, "src"), { recursive: true, force: true })
  }

  step("strict TypeScript consumer")
  sh(Path.join(consumer, "node_modules/.bin/tsc"), ["-p", "tsconfig.json"], consumer)
  console.log("strict.ts and strict-require.cts type-check")

  step(`ESM under node, then ${runtimes.join(", ") || "no other runtime"}`)
  process.stdout.write(sh(process.execPath, ["harness.mjs", ...runtimes], consumer))

  step("CommonJS: require() of @hai-effect/core and @hai-effect/webhooks")
  await withProcess(process.execPath, ["--input-type=module", "-e", emulatorScript], consumer, async (url) => {
    process.stdout.write(sh(process.execPath, ["require.cjs", url, "hk-emulator"], consumer))
  })

  step("hai, installed globally from its tarball")
  const prefix = Path.join(work, "global")
  npm(["install", "--global", "--prefix", prefix, tarballOf.get("@hai-effect/cli")!], work)
  const hai = Path.join(prefix, "bin/hai")
  const home = Path.join(work, "home")
  Fs.mkdirSync(home)
  const env = { HOME: home, HAI_API_KEY: "", H_API_KEY: "", HAI_API_BASE_URL: "", NO_COLOR: "1" }
  const help = await runCli(hai, ["--help"], work, env)
  if (!help.stdout.includes("USAGE") || help.code !== 0) throw new Error(`hai --help:\n${help.stdout}${help.stderr}`)
  console.log(`hai --help: ${help.stdout.split("\n").length} lines`)
  await withProcess(hai, ["emulator", "--port", "0", "--region", "us"], work, async (url) => {
    const run = await runCli(
      hai,
      ["run", "--json", "--base-url", url, "--api-key", "hk-emulator", "Find the weather in Paris"],
      work,
      env
    )
    const lines = run.stdout.trim().split("\n").map((line) => JSON.parse(line))
    if (run.code !== 0 || lines.length === 0) throw new Error(`hai run --json:\n${run.stdout}${run.stderr}`)
    console.log(
      `hai run --json: exit 0, ${lines.length} JSON lines, last ${JSON.stringify(lines.at(-1)).slice(0, 160)}`
    )
    const mcp = await mcpHandshake(hai, ["mcp", "serve"], work, {
      ...env,
      HAI_API_KEY: "hk-emulator",
      HAI_API_BASE_URL: url
    })
    console.log(`hai mcp serve: initialized in ${mcp.initializeMillis.toFixed(0)} ms, tools ${mcp.tools.join(", ")}`)
  }, env)
  console.log(`\nall package checks passed in ${((performance.now() - started) / 1000).toFixed(0)} s`)
}

// A served emulator for the CommonJS check, from the installed tarball; prints its URL.
const emulatorScript = `
import * as Emulator from "@hai-effect/emulator/Emulator"
import { Effect, Layer } from "effect"
import { NodeRuntime } from "@effect/platform-node"
const served = Emulator.layerServer({ port: 0 }).pipe(Layer.provideMerge(Emulator.layer({ tick: "10 millis", region: "us" })))
NodeRuntime.runMain(Effect.gen(function*() {
  const server = yield* Emulator.EmulatorServer
  console.log("emulator listening on " + server.url)
  yield* Effect.never
}).pipe(Effect.provide(served)))
`

main().then(
  () => {
    if (!flag("keep")) Fs.rmSync(work, { recursive: true, force: true })
  },
  (error) => {
    console.error(error instanceof Error ? error.message : error)
    console.error(`\npackage checks FAILED; the work directory is kept: ${work}`)
    process.exitCode = 1
  }
)
