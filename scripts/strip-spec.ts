/**
 * Refreshes `spec/openapi.json` from the upstream contract, keeping the facts (paths, parameters,
 * schemas, names, numbers) and dropping the prose (descriptions, summaries, examples text).
 *
 * Usage: pnpm tsx scripts/strip-spec.ts ../shared/api/openapi.json
 */
import * as Fs from "node:fs"
import * as Path from "node:path"

const prose = new Set(["description", "summary"])

const strip = (value: unknown, inPropertyMap: boolean): unknown => {
  if (Array.isArray(value)) return value.map((item) => strip(item, false))
  if (value === null || typeof value !== "object") return value
  const out: Record<string, unknown> = {}
  for (const [key, child] of Object.entries(value)) {
    // Inside `properties` the keys are field names (a field may be called "description"), not prose.
    if (!inPropertyMap && prose.has(key) && typeof child === "string") continue
    out[key] = strip(child, !inPropertyMap && key === "properties")
  }
  return out
}

const source = process.argv[2] ?? Path.join(import.meta.dirname, "../../shared/api/openapi.json")
const target = Path.join(import.meta.dirname, "../spec/openapi.json")
const spec = JSON.parse(Fs.readFileSync(source, "utf8"))
Fs.writeFileSync(target, JSON.stringify(strip(spec, false), null, 2) + "\n")
process.stdout.write(`wrote ${target}\n`)
