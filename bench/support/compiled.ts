/**
 * Bundles a benchmark into one plain ESM file under `bench/.compiled/`, so that a measuring
 * process runs as a deployed application would: compiled JavaScript on bare `node`, without
 * tsx's loader (about 190 MiB of RSS and a compile on first import, neither of them the SDK's).
 */
import * as esbuild from "esbuild"
import * as Path from "node:path"

/** Writes the bundle of `entry` (a path) and returns the bundle's path. */
export const compile = async (entry: string): Promise<string> => {
  const outfile = Path.join(import.meta.dirname, "../.compiled", `${Path.basename(entry, ".ts")}.mjs`)
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile,
    sourcemap: "linked",
    logLevel: "warning",
    // CommonJS dependencies (undici) call `require` for Node built-ins: give the ESM bundle one.
    banner: {
      js:
        "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
    }
  })
  return outfile
}
