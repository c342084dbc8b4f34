/**
 * Every package under `packages/` has the same published shape; this checks it (and, with
 * `--fix`, writes it):
 *
 * - in the workspace, `exports` point at `src/*.ts`, so tests, examples and type-checking run on
 *   sources with no build step;
 * - `publishConfig` replaces them when `pnpm pack` writes the tarball's package.json: `exports`
 *   with `types` conditions into `dist/`, `main`/`types` for resolvers that predate `exports`,
 *   and `bin` entries into `dist/`;
 * - `files` ships `dist` and the sources its maps point at; LICENSE (equal to the root one),
 *   README.md and CHANGELOG.md are present;
 * - `effect` and `@effect/*` are peer dependencies of a library, so a program has one of each.
 *
 * A package with a `bin` and no `exports` is a command: it ships a self-contained bundle and
 * nothing else (see packages/cli).
 *
 *   pnpm package-shape [--fix]
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { type Package, packages, root } from "./support/workspace.js"

const fix = process.argv.includes("--fix")
const problems: Array<string> = []

const sourceExports = { ".": "./src/index.ts", "./*": "./src/*.ts", "./internal/*": null }
const publishedExports = {
  "./package.json": "./package.json",
  ".": { types: "./dist/index.d.ts", default: "./dist/index.js" },
  "./*": { types: "./dist/*.d.ts", default: "./dist/*.js" },
  "./internal/*": null
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b)

const expected = (pkg: Package): Record<string, unknown> => {
  const m = pkg.manifest
  const isCommand = m.bin !== undefined && m.exports === undefined
  const bin = m.bin as Record<string, string> | undefined
  const publishConfig: Record<string, unknown> = { access: "public" }
  if (!isCommand) {
    Object.assign(publishConfig, { exports: publishedExports, main: "./dist/index.js", types: "./dist/index.d.ts" })
  }
  if (bin !== undefined) {
    const published = (m.publishConfig as { bin?: Record<string, string> } | undefined)?.bin ?? {}
    publishConfig.bin = Object.fromEntries(
      Object.keys(bin).map((name) => [name, published[name] ?? `./dist/bin/${name}.js`])
    )
  }
  return {
    type: "module",
    license: "MIT",
    ...(isCommand ? {} : { exports: sourceExports }),
    files: isCommand ? ["dist/bin", "dist/openapi.json", "CHANGELOG.md"] : ["dist", "src", "CHANGELOG.md"],
    publishConfig
  }
}

const rootLicense = Fs.readFileSync(Path.join(root, "LICENSE"), "utf8")

for (const pkg of packages()) {
  const rel = Path.relative(root, pkg.dir)
  const want = expected(pkg)
  const manifest: Record<string, unknown> = { ...pkg.manifest }
  const added: Array<string> = []
  let rewritten = false
  for (const [key, value] of Object.entries(want)) {
    if (same(manifest[key], value)) continue
    if (!fix) {
      problems.push(`${rel}/package.json: "${key}" should be ${JSON.stringify(value)}`)
      continue
    }
    if (key in manifest) rewritten = true
    else added.push(key)
    manifest[key] = value
  }
  if (
    (manifest.bin !== undefined || manifest.exports === undefined)
    && Object.values((manifest.publishConfig as any)?.bin ?? {}).some((p) => !String(p).startsWith("./dist/"))
  ) problems.push(`${rel}/package.json: publishConfig.bin must point into ./dist/`)
  // One instance of effect per program: a library takes the user's (as Effect's own packages do).
  const bundledEffect = Object.keys(pkg.manifest.dependencies ?? {}).filter((name) =>
    name === "effect" || name.startsWith("@effect/")
  )
  if (manifest.exports !== undefined && bundledEffect.length > 0) {
    if (fix) {
      const dependencies = { ...(manifest.dependencies as Record<string, string>) }
      const moved = Object.fromEntries(bundledEffect.map((name) => [name, dependencies[name]]))
      for (const name of bundledEffect) delete dependencies[name]
      manifest.dependencies = dependencies
      manifest.peerDependencies = { ...(manifest.peerDependencies as Record<string, string>), ...moved }
      manifest.devDependencies = { ...(manifest.devDependencies as Record<string, string>), ...moved }
      rewritten = true
    } else {
      problems.push(`${rel}/package.json: ${bundledEffect.join(", ")} belong in peerDependencies (and devDependencies)`)
    }
  }
  const file = Path.join(pkg.dir, "package.json")
  if (rewritten) {
    Fs.writeFileSync(file, JSON.stringify(manifest, null, 2) + "\n")
  } else if (added.length > 0) {
    // Only new keys: append them before the closing brace and leave the author's formatting alone,
    // so the change merges easily with edits to the same file.
    const text = Fs.readFileSync(file, "utf8").trimEnd()
    const entries = added.map((key) =>
      `  ${JSON.stringify(key)}: ${JSON.stringify(manifest[key], null, 2).replace(/\n/g, "\n  ")}`
    )
    Fs.writeFileSync(file, `${text.slice(0, -1).trimEnd()},\n${entries.join(",\n")}\n}\n`)
  }
  const license = Path.join(pkg.dir, "LICENSE")
  if (!Fs.existsSync(license) || Fs.readFileSync(license, "utf8") !== rootLicense) {
    if (fix) Fs.writeFileSync(license, rootLicense)
    else problems.push(`${rel}/LICENSE: missing or different from the root LICENSE`)
  }
  const changelog = Path.join(pkg.dir, "CHANGELOG.md")
  if (!Fs.existsSync(changelog)) {
    if (fix) Fs.writeFileSync(changelog, `# ${pkg.name}\n`)
    else problems.push(`${rel}/CHANGELOG.md: missing`)
  }
  if (!Fs.existsSync(Path.join(pkg.dir, "README.md"))) problems.push(`${rel}/README.md: missing (write one)`)
}

if (problems.length > 0) {
  console.error(problems.join("\n"))
  console.error(fix ? "\nfix the rest by hand" : "\nrun `pnpm package-shape --fix`, then review the diff")
  process.exitCode = 1
} else {
  console.log(`package shape: ${packages().length} packages ok`)
}
