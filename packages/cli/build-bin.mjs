/**
 * Bundles the `hai` executable into `dist/bin/hai.js`: one ESM file with every dependency inlined,
 * so an installed `hai` needs nothing but Node and starts without resolving and reading hundreds
 * of modules. Run by `pnpm build` (this package's `postbuild`).
 *
 * The emulator reads the API contract from `../openapi.json` beside its compiled modules; inside
 * the bundle that is `dist/openapi.json`, copied here. The licenses of the bundled packages go to
 * `dist/bin/THIRD-PARTY-LICENSES.txt`, since their code ships inside ours.
 */
import * as esbuild from "esbuild"
import * as Fs from "node:fs"
import * as Path from "node:path"

const result = await esbuild.build({
  entryPoints: ["src/bin.ts"],
  outfile: "dist/bin/hai.js",
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
  // Bundled CommonJS dependencies (undici, ws) call require() for Node built-ins.
  banner: { js: "import { createRequire as __createRequire } from \"node:module\"; const require = __createRequire(import.meta.url);" }
})
Fs.chmodSync("dist/bin/hai.js", 0o755)
Fs.copyFileSync("../../spec/openapi.json", "dist/openapi.json")

const bundled = new Map()
for (const input of Object.keys(result.metafile.inputs)) {
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
const notices = [...bundled.values()].sort((a, b) => a.id.localeCompare(b.id))
Fs.writeFileSync(
  "dist/bin/THIRD-PARTY-LICENSES.txt",
  `hai bundles the following packages.\n\n` +
    notices.map((n) => `${n.id} (${n.license})\n\n${n.text}`).join(`\n\n${"-".repeat(72)}\n\n`) + "\n"
)
