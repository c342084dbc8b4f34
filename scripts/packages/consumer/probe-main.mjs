/**
 * `probe.mjs` for runtimes run from a command line (Bun, Deno): the options as JSON in the first
 * argument, the result as one JSON line on stdout.
 */
import { probe } from "./probe.mjs"

const args = globalThis.Deno?.args ?? globalThis.process.argv.slice(2)
const result = await probe(JSON.parse(args[0]))
console.log(JSON.stringify(result))
