/**
 * The contract (`spec/openapi.json`) for the tests: ajv validators of any schema fragment, a
 * deterministic example synthesiser and a fast-check arbitrary of spec-valid values.
 */
import Ajv2020Module from "ajv/dist/2020.js"
import * as FastCheck from "effect/FastCheck"
import * as fs from "node:fs"

// ajv is CommonJS: under NodeNext the default import is `module.exports`, which is the class.
const Ajv2020 = Ajv2020Module as unknown as typeof Ajv2020Module.default

const SPEC_ID = "https://hai.test/openapi.json"

export const spec: any = JSON.parse(
  fs.readFileSync(new URL("../../../../spec/openapi.json", import.meta.url), "utf8")
)

export const httpMethods = ["get", "post", "put", "patch", "delete", "head", "options"] as const

export interface SpecOperation {
  readonly method: string
  readonly path: string
  readonly operationId: string
  readonly operation: any
}

/** Every operation of the spec, in document order. */
export const operations: ReadonlyArray<SpecOperation> = Object.entries(spec.paths).flatMap(
  ([path, item]: [string, any]) =>
    httpMethods.filter((m) => item[m] !== undefined).map((m) => ({
      method: m.toUpperCase(),
      path,
      operationId: item[m].operationId,
      operation: item[m]
    }))
)

const refPrefix = "#/components/schemas/"

/** Rewrites `#/components/schemas/X` into refs that the ajv instance resolves. */
const rewrite = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(rewrite)
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        k === "$ref" && typeof v === "string" && v.startsWith(refPrefix)
          ? `${SPEC_ID}#/$defs/${v.slice(refPrefix.length)}`
          : rewrite(v)
      ])
    )
  }
  return value
}

const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const dateTimePattern = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i

export const makeAjv = () => {
  const ajv = new Ajv2020({ strict: false, allErrors: true })
  ajv.addFormat("uuid", uuidPattern)
  ajv.addFormat("date-time", { validate: (s: string) => dateTimePattern.test(s) && !Number.isNaN(Date.parse(s)) })
  ajv.addFormat("password", true)
  ajv.addSchema({ $id: SPEC_ID, $defs: rewrite(spec.components.schemas) })
  return ajv
}

const ajv = makeAjv()
const cache = new Map<string, (value: unknown) => ReadonlyArray<string>>()

/** A validator of one spec schema fragment; returns the problems found, empty when valid. */
export const validator = (schema: unknown): (value: unknown) => ReadonlyArray<string> => {
  const key = JSON.stringify(schema)
  let found = cache.get(key)
  if (found === undefined) {
    const validate = ajv.compile(rewrite(schema) as object)
    found = (value) =>
      validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.message}`)
    cache.set(key, found)
  }
  return found
}

/** The validator of a named component schema. */
export const component = (name: string) => validator({ $ref: `${refPrefix}${name}` })

export const resolve = (schema: any): any => {
  let current = schema
  while (current !== null && typeof current === "object" && typeof current.$ref === "string") {
    const name = current.$ref.slice(refPrefix.length)
    current = spec.components.schemas[name]
    if (current === undefined) throw new Error(`unresolved ${schema.$ref}`)
  }
  return current ?? {}
}

const typesOf = (schema: any): ReadonlyArray<string> => {
  const s = resolve(schema)
  const branches = s.anyOf ?? s.oneOf
  if (Array.isArray(branches)) return branches.flatMap(typesOf)
  if (s.type !== undefined) return Array.isArray(s.type) ? s.type : [s.type]
  if (s.enum !== undefined || typeof s.const === "string") return ["string"]
  return []
}

/** Whether the schema takes an array (a query parameter sent as repeated keys). */
export const acceptsArray = (schema: any) => typesOf(schema).includes("array")

/** The item schema of an array-typed (possibly nullable) parameter schema. */
export const arrayItems = (schema: any): any => {
  const s = resolve(schema)
  if (s.type === "array") return s.items ?? {}
  for (const branch of s.anyOf ?? s.oneOf ?? []) {
    const found = arrayItems(branch)
    if (found !== undefined) return found
  }
  return undefined
}

/** Reads a query string value as the server would: integers, numbers, booleans by the schema. */
export const coerce = (schema: any, raw: string): unknown => {
  const types = typesOf(schema)
  if ((types.includes("integer") || types.includes("number")) && /^-?\d+(\.\d+)?([eE][-+]?\d+)?$/.test(raw)) {
    return Number(raw)
  }
  if (types.includes("boolean") && (raw === "true" || raw === "false")) return raw === "true"
  return raw
}

// ---------------------------------------------------------------------------------------------
// Deterministic examples
// ---------------------------------------------------------------------------------------------

export interface ExampleOptions {
  /** Optional properties are included down to this depth (0 = only at the top). */
  readonly optionalDepth: number
  /** Arrays get this many items (at least `minItems`). */
  readonly arrayLength: number
}

const uuids = [
  "3fa85f64-5717-4562-b3fc-2c963f66afa6",
  "9b2d7c1e-4f3a-4b8e-9c6d-1a2b3c4d5e6f"
]

/** A value valid against `schema`, the same on every call. */
export const example = (
  schema: any,
  options: ExampleOptions = { optionalDepth: 0, arrayLength: 1 },
  depth = 0,
  variant = 0
): unknown => {
  const s = resolve(schema)
  if ("const" in s) return s.const
  if (Array.isArray(s.enum)) return s.enum[variant % s.enum.length]
  const branches = s.anyOf ?? s.oneOf
  if (Array.isArray(branches)) {
    const nonNull = branches.filter((b: any) => resolve(b).type !== "null")
    return example(nonNull[0] ?? branches[0], options, depth, variant)
  }
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== "null") : s.type
  switch (type ?? (s.properties ? "object" : undefined)) {
    case "object": {
      const required: ReadonlyArray<string> = s.required ?? []
      const out: Record<string, unknown> = {}
      for (const [key, property] of Object.entries<any>(s.properties ?? {})) {
        // Discriminators (`const` properties) always go in, so that `oneOf` picks one branch.
        if (required.includes(key) || depth <= options.optionalDepth || "const" in resolve(property)) {
          out[key] = example(property, options, depth + 1)
        }
      }
      return out
    }
    case "array": {
      const n = Math.max(s.minItems ?? 0, depth > 4 ? 0 : options.arrayLength)
      return Array.from({ length: n }, (_, i) => example(s.items ?? {}, options, depth + 1, i))
    }
    case "string": {
      if (s.format === "uuid") return uuids[variant % uuids.length]
      if (s.format === "date-time") return "2026-11-30T12:00:00Z"
      if (typeof s.default === "string") return s.default
      let text = variant === 0 ? "example" : `example-${variant}`
      if (s.minLength !== undefined && text.length < s.minLength) text = text.padEnd(s.minLength, "x")
      if (s.maxLength !== undefined) text = text.slice(0, s.maxLength)
      return text
    }
    case "integer":
    case "number": {
      if (typeof s.default === "number") return s.default
      const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : 1)
      const value = Math.max(min, type === "integer" ? 1 + variant : 1.5 + variant)
      return s.maximum !== undefined ? Math.min(value, s.maximum) : value
    }
    case "boolean":
      return typeof s.default === "boolean" ? s.default : true
    case "null":
      return null
    default:
      return {}
  }
}

// ---------------------------------------------------------------------------------------------
// Random spec-valid values
// ---------------------------------------------------------------------------------------------

const fc = FastCheck

/** A fast-check arbitrary of values valid against `schema` (formats included). */
export const arbitrary = (schema: any, depth = 0): FastCheck.Arbitrary<unknown> => {
  const s = resolve(schema)
  if ("const" in s) return fc.constant(s.const)
  if (Array.isArray(s.enum)) return fc.constantFrom(...s.enum)
  const branches = s.anyOf ?? s.oneOf
  if (Array.isArray(branches)) {
    // Deep in a recursive schema, keep to the first (non-recursive) branch.
    const chosen = depth > 3 ? [branches[0]] : branches
    return fc.oneof(...chosen.map((b: any) => arbitrary(b, depth + 1)))
  }
  const type = Array.isArray(s.type) ? s.type.find((t: string) => t !== "null") : s.type
  switch (type ?? (s.properties ? "object" : undefined)) {
    case "object": {
      if (s.properties === undefined) {
        const values = s.additionalProperties !== undefined && typeof s.additionalProperties === "object"
          ? arbitrary(s.additionalProperties, depth + 1)
          : fc.jsonValue({ maxDepth: 1 })
        return fc.dictionary(fc.string({ maxLength: 8 }), values, { maxKeys: 3 })
      }
      // Discriminators (`const` properties) always go in, so that `oneOf` picks one branch.
      const required: ReadonlyArray<string> = [
        ...(s.required ?? []),
        ...Object.keys(s.properties).filter((k) => "const" in resolve(s.properties[k]))
      ]
      const props: Record<string, FastCheck.Arbitrary<unknown>> = {}
      for (const [key, property] of Object.entries<any>(s.properties)) {
        // The generic TrajectoryEvent stands for the types no other branch describes.
        props[key] = s.title === "TrajectoryEvent" && key === "type"
          ? fc.string({ minLength: 1, maxLength: 12 }).filter((t) => !knownSpecEventTypes.includes(t))
          : arbitrary(property, depth + 1)
      }
      return fc.record(props, { requiredKeys: required.filter((k) => k in props) as Array<string> })
    }
    case "array": {
      const minLength = s.minItems ?? 0
      const maxLength = Math.max(minLength, depth > 4 ? 0 : 3)
      return fc.array(arbitrary(s.items ?? {}, depth + 1), { minLength, maxLength })
    }
    case "string": {
      if (s.format === "uuid") return fc.uuid()
      if (s.format === "date-time") {
        return fc.date({ min: new Date("2000-01-01T00:00:00Z"), max: new Date("2100-01-01T00:00:00Z") })
          .filter((d) => !Number.isNaN(d.getTime()))
          .map((d) => d.toISOString())
      }
      return fc.string({ minLength: s.minLength ?? 0, maxLength: Math.min(s.maxLength ?? 16, 16) })
    }
    case "integer":
      return fc.integer({
        min: s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1000),
        max: s.maximum ?? 1_000_000
      })
    case "number":
      return fc.double({
        min: s.minimum ?? s.exclusiveMinimum ?? -1e6,
        max: s.maximum ?? 1e6,
        minExcluded: s.exclusiveMinimum !== undefined,
        noNaN: true,
        noDefaultInfinity: true
      })
    case "boolean":
      return fc.boolean()
    case "null":
      return fc.constant(null)
    default:
      return fc.jsonValue({ maxDepth: 2 })
  }
}

/** The event `type`s the spec's SessionEvent union names. */
export const knownSpecEventTypes: ReadonlyArray<string> = Object.keys(
  spec.components.schemas.SessionEvent.anyOf[0].discriminator.mapping
)
