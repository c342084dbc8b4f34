/**
 * Bundles the `hai` executable into `<out>/bin/`: the entry `hai.js` and the chunks it imports, ESM
 * with every dependency inlined, so an installed `hai` needs nothing but Node and starts without
 * resolving and reading hundreds of modules. `pnpm build` runs it (this package's `postbuild`)
 * with `<out>` = `dist`; `pnpm hai` runs the same bundle, rebuilt under `node_modules/.cache/hai`
 * when a source changed.
 *
 * Each command's handler is imported when the command runs (see `src/Cli.ts`), and the bundle is
 * split at those imports: `hai --help` reads and compiles the command tree and @effect/cli, not
 * the SDK, undici, the emulator or the MCP server.
 *
 * The emulator reads the API contract from `../openapi.json` beside its compiled modules; beside
 * the chunks that is `<out>/openapi.json`, copied here. The licenses of the bundled packages go to
 * `<out>/bin/THIRD-PARTY-LICENSES.txt`, since their code ships inside ours.
 *
 *   node build-bin.mjs [out]
 */
import * as esbuild from "esbuild"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { fileURLToPath } from "node:url"

const here = Path.dirname(fileURLToPath(import.meta.url))

/** Writes the bundle; returns the source files it was made from. */
export const bundle = async (out) => {
  const outdir = Path.join(out, "bin")
  // Chunks are named by their content: the ones of an earlier build would ship with this one.
  Fs.rmSync(outdir, { recursive: true, force: true })
  const result = await esbuild.build({
    entryPoints: { hai: Path.join(here, "src/bin.ts") },
    outdir,
    splitting: true,
    // Beside the entry, so that `../openapi.json` is the same file from every chunk.
    chunkNames: "[name]-[hash]",
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    // Smaller source parses faster; identifiers keep their names for stack traces and error names.
    minifyWhitespace: true,
    minifySyntax: true,
    legalComments: "none",
    metafile: true,
    logLevel: "warning",
    // Bundled CommonJS dependencies (undici, ws) call require() for Node built-ins; every chunk
    // gets its own.
    banner: {
      js:
        "import { createRequire as __createRequire } from \"node:module\"; const require = __createRequire(import.meta.url);"
    }
  })
  Fs.chmodSync(Path.join(outdir, "hai.js"), 0o755)
  Fs.copyFileSync(Path.join(here, "../../spec/openapi.json"), Path.join(out, "openapi.json"))
  Fs.writeFileSync(Path.join(out, "bin/THIRD-PARTY-LICENSES.txt"), notices(result.metafile))
  return Object.keys(result.metafile.inputs)
}

const notices = (metafile) => {
  const bundled = new Map()
  for (const input of Object.keys(metafile.inputs)) {
    const match = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input)
    if (match === null || bundled.has(match[1])) continue
    const dir = match[1]
    const manifest = JSON.parse(Fs.readFileSync(Path.join(dir, "package.json"), "utf8"))
    const license = Fs.readdirSync(dir).find((f) => /^(licen[cs]e|copying)/i.test(f))
    bundled.set(dir, {
      id: `${manifest.name}@${manifest.version}`,
      license: manifest.license ?? "see the package",
      text: license === undefined ? "" : Fs.readFileSync(Path.join(dir, license), "utf8").trim()
    })
  }
  const sorted = [...bundled.values()].sort((a, b) => a.id.localeCompare(b.id))
  return `hai bundles the following packages.\n\n`
    + sorted.map((n) => `${n.id} (${n.license})\n\n${n.text}`).join(`\n\n${"-".repeat(72)}\n\n`) + "\n"
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await bundle(Path.resolve(process.argv[2] ?? Path.join(here, "dist")))
}
