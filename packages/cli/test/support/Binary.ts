/**
 * The `hai` executable as users run it, outside the test process. `HAI_CLI_BIN` names an
 * installed one (e.g. `node_modules/.bin/hai` of a packed install); otherwise `packages/cli/src/bin.ts`
 * is bundled with esbuild into one file and run by plain `node`, without tsx.
 */
import * as esbuild from "esbuild"
import * as Path from "node:path"
import { tempDir } from "./Harness.js"

const entry = Path.join(import.meta.dirname, "../../src/bin.ts")

/** How to start `hai`: as an argv, and as a shell command line. */
export interface Executable {
  readonly argv: ReadonlyArray<string>
  readonly line: string
}

/** Finds or builds the executable (call it once per test file: the bundle takes a moment). */
export const executable = async (): Promise<Executable> => {
  const installed = process.env.HAI_CLI_BIN
  if (installed !== undefined && installed.length > 0) {
    const path = Path.resolve(installed)
    return { argv: [path], line: JSON.stringify(path) }
  }
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
  return { argv: [process.execPath, outfile], line: `node ${JSON.stringify(outfile)}` }
}

/** The sources run as `pnpm hai` runs them: node with tsx's loader, no build. */
export const fromSource: Executable = (() => {
  const loader = Path.join(import.meta.dirname, "../../../../node_modules/tsx/dist/loader.mjs")
  return {
    argv: [process.execPath, "--import", loader, entry],
    line: `node --import ${JSON.stringify(loader)} ${JSON.stringify(entry)}`
  }
})()
