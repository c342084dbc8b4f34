/**
 * `pnpm hai ...`: the CLI from the workspace's sources, run as the same bundle users install
 * (packages/cli/build-bin.mjs: an entry and the chunks it imports), rebuilt into `node_modules/.cache/hai` only when one of its
 * sources or the lockfile is newer than it. Starting the bundle takes a fraction of the time tsx
 * takes to compile the sources on the fly.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import { pathToFileURL } from "node:url"

const root = Path.join(import.meta.dirname, "..")
const out = Path.join(root, "node_modules/.cache/hai")
const entry = Path.join(out, "bin/hai.js")
const inputsFile = Path.join(out, "inputs.json")

const mtime = (path) => {
  try {
    return Fs.statSync(path).mtimeMs
  } catch {
    return Infinity
  }
}

const stale = () => {
  const built = mtime(entry)
  if (built === Infinity || mtime(inputsFile) === Infinity) return true
  // Sources under packages/ and this script's bundler; dependencies change only with the lockfile.
  const inputs = JSON.parse(Fs.readFileSync(inputsFile, "utf8"))
  return [...inputs, "pnpm-lock.yaml", "packages/cli/build-bin.mjs", "spec/openapi.json"].some((file) =>
    mtime(Path.join(root, file)) > built
  )
}

if (stale()) {
  const { bundle } = await import(pathToFileURL(Path.join(root, "packages/cli/build-bin.mjs")).href)
  // Built aside, then moved in file by file (a rename is atomic): another `pnpm hai` starting at
  // the same moment reads the old bundle or the new one, never half of one.
  const aside = `${out}.${process.pid}`
  const inputs = await bundle(aside)
  // A source that was deleted or added makes a different input list: watch the directories too.
  const sources = inputs.filter((file) => !file.includes("node_modules"))
  Fs.writeFileSync(
    Path.join(aside, "inputs.json"),
    JSON.stringify([...sources, ...new Set(sources.map((f) => Path.dirname(f)))])
  )
  // Chunks are named by their content, so a chunk of the new build never replaces a different
  // one of the old: they go first, the entry that imports them last.
  Fs.mkdirSync(Path.join(out, "bin"), { recursive: true })
  const fresh = Fs.readdirSync(Path.join(aside, "bin"))
  const chunks = fresh.filter((file) => file !== "hai.js").map((file) => `bin/${file}`)
  for (const file of [...chunks, "openapi.json", "bin/hai.js", "inputs.json"]) {
    Fs.renameSync(Path.join(aside, file), Path.join(out, file))
  }
  Fs.rmSync(aside, { recursive: true, force: true })
  // The old build's chunks go: a `hai` started from it imports its handler as it starts, so only
  // one started during this rebuild could miss a chunk (and be run again).
  for (const file of Fs.readdirSync(Path.join(out, "bin"))) {
    if (!fresh.includes(file)) Fs.rmSync(Path.join(out, "bin", file), { force: true })
  }
}

await import(pathToFileURL(entry).href)
