#!/usr/bin/env node
/**
 * The entry of the bundled `hai` (packages/cli/build-bin.mjs): the recorded help when the argv asks
 * for it (see {@link FastHelp}), else the CLI itself (`bin.ts`, bundled as `main.js` beside it).
 *
 * @internal
 */
import * as FastHelp from "./fastHelp.js"

if (!FastHelp.serve(new URL("./help.json", import.meta.url), process.argv.slice(2))) {
  // A computed specifier, so that the bundler leaves the import to run time (a separate entry).
  const main = new URL("./main.js", import.meta.url).href
  await import(main)
}
