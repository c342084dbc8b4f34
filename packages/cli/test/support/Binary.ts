/**
 * The `hai` executable as users run it, outside the test process. `HAI_CLI_BIN` names an
 * installed one (e.g. `node_modules/.bin/hai` of a packed install); otherwise `packages/cli/src/bin.ts`
 * is bundled as `pnpm build` bundles it (packages/cli/build-bin.mjs: an entry and its chunks) and
 * run by plain `node`, without tsx.
 */
import * as Path from "node:path"
import { pathToFileURL } from "node:url"
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
  const out = tempDir("hai-cli-bin-")
  const build: { readonly bundle: (out: string) => Promise<ReadonlyArray<string>> } = await import(
    pathToFileURL(Path.join(import.meta.dirname, "../../build-bin.mjs")).href
  )
  await build.bundle(out)
  const outfile = Path.join(out, "bin/hai.js")
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
