/**
 * The `hai` executable as users run it, outside the test process. `HAI_CLI_BIN` names an
 * installed one (e.g. `node_modules/.bin/hai` of a packed install); otherwise `packages/cli/src/bin.ts`
 * is bundled with esbuild into one file and run by plain `node`, without tsx.
 */
import * as esbuild from "esbuild"
import * as Path from "node:path"
import { tempDir } from "./Harness.js"

const entry = Path.join(import.meta.dirname, "../../src/bin.ts")

/** A shell command line that starts `hai`; the bundle is built once per test file. */
export const commandLine = async (): Promise<string> => {
  const installed = process.env.HAI_CLI_BIN
  if (installed !== undefined && installed.length > 0) return JSON.stringify(Path.resolve(installed))
  const outfile = Path.join(tempDir("hai-cli-bin-"), "hai.mjs")
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    logLevel: "warning",
    // CommonJS dependencies (undici) call `require` for Node built-ins: give the ESM bundle one.
    banner: {
      js:
        "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
    }
  })
  return `node ${JSON.stringify(outfile)}`
}
