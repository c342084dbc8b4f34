import { existsSync, readFileSync } from "node:fs"

/** @internal */
export interface Parameter {
  readonly name: string
  readonly in: "path" | "query" | "header" | "cookie"
  readonly required?: boolean
  readonly schema: any
}

/** @internal */
export interface Operation {
  readonly operationId: string
  readonly method: string
  readonly path: string
  readonly regex: RegExp
  readonly pathParams: ReadonlyArray<string>
  readonly literalSegments: number
  readonly parameters: ReadonlyArray<Parameter>
  readonly requestBody: { readonly required: boolean; readonly schema: any } | undefined
  readonly responses: Record<string, any>
  readonly secured: boolean
}

let cached: any | undefined

// Installed, the contract ships beside the compiled modules (dist/openapi.json, copied by the
// build); in the repository it is read from spec/ at the root.
const locations = ["../openapi.json", "../../../../spec/openapi.json"]

/** @internal */
export const spec = (): any => {
  if (cached === undefined) {
    const url = locations.map((path) => new URL(path, import.meta.url)).find(existsSync)
    if (url === undefined) throw new Error(`the API contract (openapi.json) is missing beside ${import.meta.url}`)
    cached = JSON.parse(readFileSync(url, "utf8"))
  }
  return cached
}

let operationsCache: ReadonlyArray<Operation> | undefined

const escapeRegex = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

/** @internal */
export const operations = (): ReadonlyArray<Operation> => {
  if (operationsCache !== undefined) return operationsCache
  const out: Array<Operation> = []
  for (const [path, item] of Object.entries<any>(spec().paths)) {
    for (const [method, op] of Object.entries<any>(item)) {
      const segments = path.split("/").filter((s) => s.length > 0)
      const pathParams: Array<string> = []
      const regexSource = segments.map((seg) => {
        const m = /^\{(.+)\}$/.exec(seg)
        if (m) {
          pathParams.push(m[1])
          return m[1] === "agent_name" || m[1] === "key" ? "(.+)" : "([^/]+)"
        }
        return escapeRegex(seg)
      }).join("/")
      const body = op.requestBody?.content?.["application/json"]?.schema
      out.push({
        operationId: op.operationId,
        method: method.toUpperCase(),
        path,
        regex: new RegExp(`^/${regexSource}/?$`),
        pathParams,
        literalSegments: segments.length - pathParams.length,
        parameters: op.parameters ?? [],
        requestBody: body === undefined ? undefined : { required: op.requestBody.required === true, schema: body },
        responses: op.responses ?? {},
        secured: Array.isArray(op.security) && op.security.length > 0
      })
    }
  }
  out.sort((a, b) => b.literalSegments - a.literalSegments)
  operationsCache = out
  return out
}

/** @internal */
export interface Match {
  readonly operation: Operation | undefined
  readonly methodNotAllowed: boolean
  readonly pathParams: Record<string, string>
}

/** @internal */
export const match = (method: string, pathname: string): Match => {
  let pathMatched = false
  for (const op of operations()) {
    const m = op.regex.exec(pathname)
    if (m === null) continue
    if (op.method !== method) {
      pathMatched = true
      continue
    }
    const pathParams: Record<string, string> = {}
    op.pathParams.forEach((name, i) => {
      pathParams[name] = decodeURIComponent(m[i + 1])
    })
    return { operation: op, methodNotAllowed: false, pathParams }
  }
  return { operation: undefined, methodNotAllowed: pathMatched, pathParams: {} }
}
