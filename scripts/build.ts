/**
 * `pnpm build`: compiles every `packages/*` to its `dist/` (ESM JavaScript, `.d.ts` with
 * declaration maps, source maps), then runs the package's own `postbuild` script if it has one.
 *
 *   pnpm build [--clean]
 *
 * Nothing is configured per package: each package's project file is derived from its
 * package.json (its workspace dependencies become project references, so a package is compiled
 * against the declarations of the ones it imports, never their sources) and written under
 * `.build/`, with the `.tsbuildinfo` files that make a rebuild incremental. A new package under
 * `packages/` is built as soon as it exists.
 */
import { execFileSync } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { packages, root } from "./support/workspace.js"

const clean = process.argv.includes("--clean")
const configDir = Path.join(root, ".build/tsconfig")

if (clean) {
  Fs.rmSync(Path.join(root, ".build"), { recursive: true, force: true })
  for (const pkg of packages()) Fs.rmSync(Path.join(pkg.dir, "dist"), { recursive: true, force: true })
}

const all = packages()
Fs.mkdirSync(configDir, { recursive: true })
const configOf = (dir: string) => Path.join(configDir, `${Path.basename(dir)}.json`)
const relative = (path: string) => Path.relative(configDir, path)

const writeIfChanged = (path: string, text: string) => {
  // tsc -b compares timestamps: rewriting an unchanged project file would force a full rebuild.
  if (Fs.existsSync(path) && Fs.readFileSync(path, "utf8") === text) return
  Fs.writeFileSync(path, text)
}

for (const pkg of all) {
  const references = pkg.workspaceDependencies.map((name) => {
    const dep = all.find((p) => p.name === name)
    if (dep === undefined) throw new Error(`${pkg.name} depends on ${name}, which is not under packages/`)
    return { path: `./${Path.basename(configOf(dep.dir))}` }
  })
  const config = {
    extends: relative(Path.join(root, "tsconfig.base.json")),
    compilerOptions: {
      composite: true,
      declarationMap: true,
      rootDir: relative(Path.join(pkg.dir, "src")),
      outDir: relative(Path.join(pkg.dir, "dist")),
      tsBuildInfoFile: `./${Path.basename(pkg.dir)}.tsbuildinfo`,
      types: ["node"],
      // A module's header comment carries `@internal` and attaches to its first import: stripping
      // would drop that import from the declarations. Private modules are closed by `exports`.
      stripInternal: false
    },
    include: [relative(Path.join(pkg.dir, "src"))],
    references
  }
  writeIfChanged(configOf(pkg.dir), JSON.stringify(config, null, 2) + "\n")
}

const started = performance.now()
execFileSync(
  process.execPath,
  [Path.join(root, "node_modules/typescript/bin/tsc"), "-b", ...all.map((pkg) => configOf(pkg.dir))],
  { stdio: "inherit", cwd: root }
)
const compiled = performance.now()

for (const pkg of all) {
  if (pkg.manifest.scripts?.postbuild === undefined) continue
  execFileSync("pnpm", ["run", "--silent", "postbuild"], { stdio: "inherit", cwd: pkg.dir })
}

console.log(
  `built ${all.length} packages in ${((performance.now() - started) / 1000).toFixed(1)} s `
    + `(tsc ${((compiled - started) / 1000).toFixed(1)} s)`
)
