/**
 * Request validation against the spec with ajv. It works on raw JSON and on the spec's own JSON
 * Schema objects, whose shapes are not typed: the \`as any\` casts below read ajv error params and
 * spec keywords.
 *
 * @internal
 */
import Ajv2020Module from "ajv/dist/2020.js"
import type { ErrorObject, ValidateFunction } from "ajv/dist/2020.js"
import { tooDeep } from "./body.js"
import type { Operation, Parameter } from "./spec.js"
import { spec } from "./spec.js"

/** @internal */
export interface ValidationIssue {
  readonly loc: ReadonlyArray<string | number>
  readonly msg: string
  readonly type: string
  readonly input?: unknown
  readonly ctx?: Record<string, unknown>
}

// ajv ships CommonJS: its default export sits one level down under ESM interop, typed loosely.
const Ajv2020: any = (Ajv2020Module as any).default ?? Ajv2020Module

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/

const FORMATS: Record<string, RegExp | true> = {
  uuid: UUID,
  "date-time": DATE_TIME,
  date: /^\d{4}-\d{2}-\d{2}$/,
  time: /^\d{2}:\d{2}(:\d{2}(\.\d+)?)?([Zz]|[+-]\d{2}:?\d{2})?$/,
  email: /^[^\s@]+@[^\s@]+\.[^\s@]+$/,
  uri: /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]*$/,
  "uri-reference": /^[^\s]*$/,
  hostname:
    /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/,
  ipv4: /^((25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(25[0-5]|2[0-4]\d|1?\d?\d)$/,
  password: true
}

const rewrite = (node: any): any => {
  if (Array.isArray(node)) return node.map(rewrite)
  if (node === null || typeof node !== "object") return node
  const out: any = {}
  for (const [k, v] of Object.entries(node)) {
    if (k === "discriminator") out["x-discriminator"] = (v as any).propertyName
    else if (k === "$ref" && typeof v === "string") out[k] = v.replace("#/components/schemas/", "spec#/$defs/")
    else if (k === "example" || k === "examples" || k === "writeOnly" || k === "readOnly") continue
    else out[k] = rewrite(v)
  }
  return out
}

/**
 * Tags the hosted server requires even where the spec gives a default (WIRE.md: "Discriminators
 * ... must be sent explicitly"). Union discriminators are enforced by the `x-discriminator` keyword.
 */
const EXPLICIT_TAGS: Record<string, string> = {
  UserMessageBatch: "type",
  ToolResultBatch: "type",
  OnePasswordConfig: "provider"
}

let ajvInstance: any | undefined

const ajv = (): any => {
  if (ajvInstance !== undefined) return ajvInstance
  // Formats outside the list below are not checked (as pydantic leaves them): no warning per schema.
  const silent = { log: () => undefined, warn: () => undefined, error: () => undefined }
  const instance = new Ajv2020({ strict: false, allErrors: true, validateFormats: true, logger: silent })
  for (const [name, format] of Object.entries(FORMATS)) instance.addFormat(name, format)
  instance.addKeyword({
    keyword: "x-discriminator",
    schemaType: "string",
    errors: true,
    validate: function validate(this: any, propertyName: string, data: unknown) {
      if (data === null || typeof data !== "object" || Array.isArray(data)) return true
      if (typeof (data as any)[propertyName] === "string") return true
      ;(validate as any).errors = [{
        keyword: "x-discriminator",
        message: `Unable to extract tag using discriminator '${propertyName}'`,
        params: { propertyName }
      }]
      return false
    }
  })
  const defs = rewrite(spec().components.schemas)
  for (const [name, tag] of Object.entries(EXPLICIT_TAGS)) {
    if (defs[name] !== undefined) defs[name] = { ...defs[name], required: [...(defs[name].required ?? []), tag] }
  }
  instance.addSchema({ $id: "spec", $defs: defs })
  ajvInstance = instance
  return instance
}

const compiled = new Map<string, ValidateFunction>()

/** @internal */
export const compile = (key: string, schema: any): ValidateFunction => {
  let fn = compiled.get(key)
  if (fn === undefined) {
    fn = ajv().compile(rewrite(schema)) as ValidateFunction
    compiled.set(key, fn)
  }
  return fn
}

/** @internal */
export const compileComponent = (name: string): ValidateFunction =>
  compile(`component:${name}`, { $ref: `#/components/schemas/${name}` })

// Per schema object (the spec's, which never changes): computed once, not on every request.
const typesCache = new WeakMap<object, Set<string>>()

const schemaTypes = (schema: any): Set<string> => {
  if (schema === null || typeof schema !== "object") return computeSchemaTypes(schema)
  let out = typesCache.get(schema)
  if (out === undefined) {
    out = computeSchemaTypes(schema)
    typesCache.set(schema, out)
  }
  return out
}

const computeSchemaTypes = (schema: any): Set<string> => {
  const out = new Set<string>()
  const visit = (s: any) => {
    if (s === undefined || s === null) return
    if (typeof s.type === "string") out.add(s.type)
    if (Array.isArray(s.type)) s.type.forEach((t: string) => out.add(t))
    if (s.enum !== undefined || s.const !== undefined) out.add("string")
    ;(s.anyOf ?? []).forEach(visit)
    ;(s.oneOf ?? []).forEach(visit)
    if (s.$ref) {
      const name = String(s.$ref).split("/").pop()!
      visit(spec().components.schemas[name])
    }
  }
  visit(schema)
  return out
}

const arrayItems = (schema: any): any | undefined => {
  if (schema?.type === "array") return schema.items ?? {}
  for (const s of schema?.anyOf ?? []) {
    if (s?.type === "array") return s.items ?? {}
  }
  return undefined
}

const coerce = (raw: string, schema: any): unknown => {
  const types = schemaTypes(schema)
  if (types.has("integer") && /^[+-]?\d+$/.test(raw.trim())) return Number(raw)
  if (types.has("number") && raw.trim() !== "" && !Number.isNaN(Number(raw))) return Number(raw)
  if (types.has("boolean")) {
    const v = raw.toLowerCase()
    if (["true", "1", "yes", "on", "t", "y"].includes(v)) return true
    if (["false", "0", "no", "off", "f", "n"].includes(v)) return false
  }
  return raw
}

const messageFor = (e: ErrorObject): { type: string; msg: string; ctx?: Record<string, unknown> } => {
  const p: any = e.params
  switch (e.keyword) {
    case "required":
      return { type: "missing", msg: "Field required" }
    case "type": {
      const t = Array.isArray(p.type) ? p.type[0] : p.type
      switch (t) {
        case "integer":
          return { type: "int_parsing", msg: "Input should be a valid integer" }
        case "number":
          return { type: "float_parsing", msg: "Input should be a valid number" }
        case "boolean":
          return { type: "bool_parsing", msg: "Input should be a valid boolean" }
        case "string":
          return { type: "string_type", msg: "Input should be a valid string" }
        case "object":
          return { type: "dict_type", msg: "Input should be a valid dictionary" }
        case "array":
          return { type: "list_type", msg: "Input should be a valid list" }
        default:
          return { type: `${t}_type`, msg: `Input should be ${t}` }
      }
    }
    case "minimum":
      return {
        type: "greater_than_equal",
        msg: `Input should be greater than or equal to ${p.limit}`,
        ctx: { ge: p.limit }
      }
    case "exclusiveMinimum":
      return { type: "greater_than", msg: `Input should be greater than ${p.limit}`, ctx: { gt: p.limit } }
    case "maximum":
      return { type: "less_than_equal", msg: `Input should be less than or equal to ${p.limit}`, ctx: { le: p.limit } }
    case "exclusiveMaximum":
      return { type: "less_than", msg: `Input should be less than ${p.limit}`, ctx: { lt: p.limit } }
    case "minLength":
      return {
        type: "string_too_short",
        msg: `String should have at least ${p.limit} character${p.limit === 1 ? "" : "s"}`,
        ctx: { min_length: p.limit }
      }
    case "maxLength":
      return {
        type: "string_too_long",
        msg: `String should have at most ${p.limit} characters`,
        ctx: { max_length: p.limit }
      }
    case "minItems":
      return {
        type: "too_short",
        msg: `List should have at least ${p.limit} item${p.limit === 1 ? "" : "s"}`,
        ctx: { min_length: p.limit }
      }
    case "maxItems":
      return { type: "too_long", msg: `List should have at most ${p.limit} items`, ctx: { max_length: p.limit } }
    case "enum":
      return {
        type: "enum",
        msg: `Input should be ${p.allowedValues.map((v: unknown) => `'${String(v)}'`).join(", ")}`,
        ctx: { expected: p.allowedValues.map((v: unknown) => `'${String(v)}'`).join(", ") }
      }
    case "const":
      return {
        type: "literal_error",
        msg: `Input should be '${String(p.allowedValue)}'`,
        ctx: { expected: `'${String(p.allowedValue)}'` }
      }
    case "format":
      if (p.format === "uuid") return { type: "uuid_parsing", msg: "Input should be a valid UUID" }
      if (p.format === "date-time") return { type: "datetime_parsing", msg: "Input should be a valid datetime" }
      return { type: "value_error", msg: `Input should match format ${p.format}` }
    case "additionalProperties":
      return { type: "extra_forbidden", msg: "Extra inputs are not permitted" }
    case "x-discriminator":
      return {
        type: "union_tag_not_found",
        msg: `Unable to extract tag using discriminator '${p.propertyName}'`,
        ctx: { discriminator: `'${p.propertyName}'` }
      }
    case "pattern":
      return { type: "string_pattern_mismatch", msg: `String should match pattern '${p.pattern}'` }
    default:
      return { type: "value_error", msg: e.message ?? "Invalid input" }
  }
}

const pointerSegments = (pointer: string): Array<string | number> =>
  pointer === "" ? [] : pointer.slice(1).split("/").map((s) => {
    const v = s.replace(/~1/g, "/").replace(/~0/g, "~")
    return /^\d+$/.test(v) ? Number(v) : v
  })

const valueAt = (root: unknown, segments: ReadonlyArray<string | number>): unknown => {
  let cur: any = root
  for (const s of segments) {
    if (cur === null || typeof cur !== "object") return undefined
    cur = cur[s]
  }
  return cur
}

/** @internal */
export const toIssues = (
  errors: ReadonlyArray<ErrorObject>,
  prefix: ReadonlyArray<string | number>,
  root: unknown
): Array<ValidationIssue> => {
  const concrete = errors.filter((e) =>
    e.keyword !== "anyOf" && e.keyword !== "oneOf" && e.keyword !== "if"
    && !(e.keyword === "type" && (e.params as any).type === "null")
  )
  const chosen = concrete.length > 0 ? concrete : errors
  const seen = new Set<string>()
  const out: Array<ValidationIssue> = []
  for (const e of chosen) {
    const segments = pointerSegments(e.instancePath)
    const extra = e.keyword === "required"
      ? [(e.params as any).missingProperty]
      : e.keyword === "additionalProperties"
      ? [(e.params as any).additionalProperty]
      : []
    const loc = [...prefix, ...segments, ...extra]
    const { ctx, msg, type } = messageFor(e)
    const key = JSON.stringify([loc, type])
    if (seen.has(key)) continue
    seen.add(key)
    const input = e.keyword === "required" ? valueAt(root, segments) : valueAt(root, [...segments, ...extra])
    out.push(ctx === undefined ? { loc, msg, type, input } : { loc, msg, type, input, ctx })
  }
  return out
}

/** @internal */
export interface ValidRequest {
  readonly path: Record<string, unknown>
  readonly query: Record<string, unknown>
  readonly headers: Record<string, unknown>
  readonly body: unknown
}

const paramValidators = new WeakMap<Parameter, ValidateFunction>()

/** @internal */
export const validateRequest = (
  op: Operation,
  input: {
    readonly pathParams: Record<string, string>
    readonly searchParams: URLSearchParams
    readonly headers: Record<string, string | undefined>
    readonly bodyText: string
  }
):
  | { readonly _tag: "Ok"; readonly value: ValidRequest }
  | { readonly _tag: "Invalid"; readonly issues: Array<ValidationIssue> }
  | { readonly _tag: "Unparsable" } =>
{
  const issues: Array<ValidationIssue> = []
  const values: { path: Record<string, unknown>; query: Record<string, unknown>; header: Record<string, unknown> } = {
    path: {},
    query: {},
    header: {}
  }
  op.parameters.forEach((param: Parameter, i) => {
    if (param.in === "cookie") return
    let raw: unknown
    if (param.in === "path") {
      const v = input.pathParams[param.name]
      raw = v === undefined ? undefined : coerce(v, param.schema)
    } else if (param.in === "query") {
      const all = input.searchParams.getAll(param.name)
      const items = arrayItems(param.schema)
      if (all.length === 0) raw = undefined
      else if (items !== undefined) raw = all.map((v) => coerce(v, items))
      else raw = coerce(all[all.length - 1], param.schema)
    } else {
      const v = input.headers[param.name.toLowerCase()]
      raw = v === undefined ? undefined : coerce(v, param.schema)
    }
    const locIn = param.in
    if (raw === undefined) {
      if (param.required === true) {
        issues.push({ loc: [locIn, param.name], msg: "Field required", type: "missing", input: null })
      } else if (param.schema?.default !== undefined) {
        ;(values as any)[locIn][param.name] = param.schema.default
      }
      return
    }
    let fn = paramValidators.get(param)
    if (fn === undefined) {
      fn = compile(`${op.operationId}:param:${i}`, param.schema)
      paramValidators.set(param, fn)
    }
    if (!fn(raw)) issues.push(...toIssues(fn.errors ?? [], [locIn, param.name], raw))
    else (values as any)[locIn][param.name] = raw
  })
  let body: unknown = undefined
  if (op.requestBody !== undefined) {
    const text = input.bodyText
    if (text.trim() === "") {
      if (op.requestBody.required) {
        issues.push({ loc: ["body"], msg: "Field required", type: "missing", input: null })
      } else {
        body = null
        const fn = compile(`${op.operationId}:body`, op.requestBody.schema)
        if (!fn(null)) body = undefined
      }
    } else {
      let parsed: unknown
      let ok = true
      try {
        parsed = JSON.parse(text)
      } catch (e) {
        ok = false
        issues.push({
          loc: ["body", 0],
          msg: "JSON decode error",
          type: "json_invalid",
          input: {},
          ctx: { error: e instanceof Error ? e.message : String(e) }
        })
      }
      if (ok && tooDeep(parsed)) return { _tag: "Unparsable" }
      if (ok) {
        const fn = compile(`${op.operationId}:body`, op.requestBody.schema)
        if (!fn(parsed)) issues.push(...toIssues(fn.errors ?? [], ["body"], parsed))
        else body = parsed
      }
    }
  }
  if (issues.length > 0) return { _tag: "Invalid", issues }
  return { _tag: "Ok", value: { path: values.path, query: values.query, headers: values.header, body } }
}

/** @internal */
export const validateResponse = (
  op: Operation,
  status: number,
  body: unknown,
  hasBody: boolean
): ReadonlyArray<string> => {
  const response = op.responses[String(status)] ?? op.responses[`${String(status)[0]}XX`] ?? op.responses.default
  if (response === undefined) return [`status ${status} is not declared for ${op.operationId}`]
  const schema = response.content?.["application/json"]?.schema
  if (schema === undefined) {
    return hasBody && status === 204 ? [`status 204 for ${op.operationId} must have an empty body`] : []
  }
  if (!hasBody) return [`status ${status} for ${op.operationId} must have a body`]
  const fn = compile(`${op.operationId}:response:${status}`, schema)
  if (fn(body)) return []
  return (fn.errors ?? []).map((e) => `${e.instancePath || "/"} ${e.keyword}: ${e.message ?? ""}`)
}
