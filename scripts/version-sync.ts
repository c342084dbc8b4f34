/**
 * A package that reports its own version (core sends it in `User-Agent` and
 * `X-HCompany-Client-Version`; the CLI prints it) reads it from `src/internal/version.ts`, kept
 * equal to its package.json by this script. `pnpm changeset-version` runs it after changesets
 * bumps the versions; CI runs it with `--check`.
 *
 *   pnpm version-sync [--check]
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { packages, root } from "./support/workspace.js"

const check = process.argv.includes("--check")
const pattern = /^export const version = "([^"]*)"$/m
const stale: Array<string> = []

for (const pkg of packages()) {
  const file = Path.join(pkg.dir, "src/internal/version.ts")
  if (!Fs.existsSync(file)) continue
  const text = Fs.readFileSync(file, "utf8")
  const match = pattern.exec(text)
  if (match === null) throw new Error(`${Path.relative(root, file)} has no line \`export const version = "..."\``)
  if (match[1] === pkg.manifest.version) continue
  if (check) {
    stale.push(`${Path.relative(root, file)}: ${match[1]}, package.json: ${pkg.manifest.version}`)
  } else {
    Fs.writeFileSync(file, text.replace(pattern, `export const version = "${pkg.manifest.version}"`))
    console.log(`${Path.relative(root, file)}: ${match[1]} -> ${pkg.manifest.version}`)
  }
}

if (stale.length > 0) {
  console.error(`versions out of date (run \`pnpm version-sync\`):\n${stale.join("\n")}`)
  process.exitCode = 1
}
