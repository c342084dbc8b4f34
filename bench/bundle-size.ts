/**
 * Browser bundle size of the SDK: a program doing `Session.run` over `FetchHttpClient.layer`
 * (`@hai-effect/core`), and one verifying a webhook with `Webhook.verify` (`@hai-effect/webhooks`),
 * each bundled by esbuild for the browser (bundle, minify, ESM, tree-shaking). Prints raw and gzip
 * sizes; exits 1 when a bundle pulls in a Node built-in (`node:*` or a bare built-in name) or is
 * over its gzip budget. Run in CI.
 *
 *   npx tsx bench/bundle-size.ts [--json]
 *
 * The budgets are the first measurements (2026-11-30, esbuild 0.28, effect 3.22.4: Session.run
 * 125,718 B gzip / 404,975 B raw; Webhook.verify 82,757 B gzip / 253,325 B raw)
 * rounded up by about 10%; raise them deliberately, with the reason in the commit.
 */
import * as esbuild from "esbuild"
import { builtinModules } from "node:module"
import * as Path from "node:path"
import { gzipSync } from "node:zlib"

const BUDGET_GZIP: Record<string, number> = {
  "session-run": 138_000,
  "webhook-verify": 91_000
}

const programs: Record<string, string> = {
  "session-run": `
import { FetchHttpClient } from "@effect/platform"
import { HaiAgents, Session } from "@hai-effect/core"
import { Effect, Layer } from "effect"

const program = Session.run({ agent: "h/web-surfer-holo3-1-35b", messages: "Find the weather in Paris" })
export const main = (apiKey: string) =>
  Effect.runPromise(program.pipe(Effect.provide(HaiAgents.layer({ apiKey }).pipe(Layer.provide(FetchHttpClient.layer)))))
`,
  "webhook-verify": `
import { Webhook } from "@hai-effect/webhooks"
import { Effect, Redacted } from "effect"

export const main = (body: string, signature: string | null, timestamp: string | null, secret: string) =>
  Effect.runPromise(Webhook.verify({ body, signature, timestamp, secrets: Redacted.make(secret) }))
`
}

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]))

const bundle = async (name: string, contents: string) => {
  const nodeImports = new Set<string>()
  const result = await esbuild.build({
    stdin: { contents, loader: "ts", resolveDir: import.meta.dirname, sourcefile: `${name}.ts` },
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    treeShaking: true,
    target: "es2022",
    write: false,
    metafile: true,
    logLevel: "silent",
    plugins: [{
      name: "record-node-builtins",
      setup(build) {
        build.onResolve({ filter: /.*/ }, (args) => {
          if (builtins.has(args.path) || args.path.startsWith("node:")) {
            nodeImports.add(`${args.path} (from ${Path.relative(process.cwd(), args.importer)})`)
            return { path: args.path, external: true }
          }
          return undefined
        })
      }
    }]
  })
  const code = result.outputFiles[0].contents
  const gzip = gzipSync(code, { level: 9 }).length
  // The largest inputs, for diagnosis.
  const output = Object.values(result.metafile.outputs)[0]
  const byPackage = new Map<string, number>()
  for (const [file, info] of Object.entries(output.inputs)) {
    const m = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(file)
    const key = m ? m[1] : file.startsWith("packages/") ? file.split("/").slice(0, 2).join("/") : file
    byPackage.set(key, (byPackage.get(key) ?? 0) + info.bytesInOutput)
  }
  return { name, raw: code.length, gzip, nodeImports: [...nodeImports], byPackage }
}

const main = async () => {
  const json = process.argv.includes("--json")
  let failed = false
  const rows = []
  for (const [name, contents] of Object.entries(programs)) {
    const r = await bundle(name, contents)
    rows.push(r)
    const budget = BUDGET_GZIP[name]
    const top = [...r.byPackage.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5)
      .map(([k, v]) => `${k} ${(v / 1024).toFixed(1)}k`).join(", ")
    console.log(
      `bundle-size ${name}: raw=${r.raw} B (${(r.raw / 1024).toFixed(1)} KiB) gzip=${r.gzip} B (${
        (r.gzip / 1024).toFixed(1)
      } KiB); budget gzip=${budget} B: ${r.gzip <= budget ? "ok" : "OVER"}`
    )
    console.log(`  largest inputs (minified bytes): ${top}`)
    if (r.nodeImports.length > 0) {
      console.log(`  FAIL: Node built-ins pulled in: ${r.nodeImports.join("; ")}`)
      failed = true
    } else {
      console.log(`  no node: imports`)
    }
    if (r.gzip > budget) failed = true
  }
  if (json) {
    console.log(JSON.stringify(rows.map(({ gzip, name, nodeImports, raw }) => ({ name, raw, gzip, nodeImports }))))
  }
  if (failed) process.exitCode = 1
}

main().catch((error) => {
  console.error(error)
  process.exitCode = 1
})
