/**
 * Generates the wire model and the endpoint table of `@hai-effect/core` from `spec/openapi.json`.
 *
 * - `packages/core/src/Wire.ts`: one Effect Schema per component schema (106).
 * - `packages/core/src/internal/endpoints.ts`: one descriptor per operation (73) and the typed
 *   resource groups of the client.
 *
 * `pnpm codegen` rewrites both files; `pnpm codegen-check` fails when they differ from what the
 * spec produces, so a hand edit or a spec refresh without regeneration cannot slip through CI.
 *
 * Why our own generator: openapi-gen 0.4.13 (the last one emitting Effect 3 code) does not
 * type-check on this spec (recursive Agent, JsonValue), and it has no notion of the rules the
 * service imposes beyond the spec: open enums, unknown-event fallbacks, always-encoded discriminators.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"

type Json = any

const root = Path.join(import.meta.dirname, "..")
const spec: Json = JSON.parse(Fs.readFileSync(Path.join(root, "spec/openapi.json"), "utf8"))
const components: Record<string, Json> = spec.components.schemas

// ---------------------------------------------------------------------------------------------
// Naming
// ---------------------------------------------------------------------------------------------

const schemaName = (name: string): string => {
  const page = /^Page_(.+)_$/.exec(name)
  return page ? `${page[1]}Page` : name
}
const refName = (ref: string): string => schemaName(ref.replace("#/components/schemas/", ""))

/** Unions of events get a fallback member: the server adds event types and kinds over time. */
const openUnions: Record<string, { readonly discriminator: string; readonly fallback: string }> = {
  SessionEvent: { discriminator: "type", fallback: "UnknownSessionEvent" },
  "AgentEvent.data": { discriminator: "kind", fallback: "UnknownAgentEventData" }
}

// ---------------------------------------------------------------------------------------------
// Schema expressions
// ---------------------------------------------------------------------------------------------

interface Context {
  /** Name of the component being emitted, for self references. */
  readonly self: string
  /** Path used to look up special cases, e.g. "AgentEvent.data". */
  readonly path: string
  /** Enums are open (unknown values decode) except in query parameters, which only we send. */
  readonly openEnums: boolean
}

const isNull = (s: Json) => s && s.type === "null"

const checks = (s: Json): Array<string> => {
  const out: Array<string> = []
  if (s.minLength !== undefined) out.push(`Schema.minLength(${s.minLength})`)
  if (s.maxLength !== undefined) out.push(`Schema.maxLength(${s.maxLength})`)
  if (s.minimum !== undefined) out.push(`Schema.greaterThanOrEqualTo(${s.minimum})`)
  if (s.maximum !== undefined) out.push(`Schema.lessThanOrEqualTo(${s.maximum})`)
  if (s.exclusiveMinimum !== undefined) out.push(`Schema.greaterThan(${s.exclusiveMinimum})`)
  if (s.exclusiveMaximum !== undefined) out.push(`Schema.lessThan(${s.exclusiveMaximum})`)
  if (s.minItems !== undefined) out.push(`Schema.minItems(${s.minItems})`)
  if (s.maxItems !== undefined) out.push(`Schema.maxItems(${s.maxItems})`)
  return out
}
const withChecks = (base: string, s: Json): string => {
  const cs = checks(s)
  return cs.length === 0 ? base : `${base}.pipe(${cs.join(", ")})`
}

const literal = (v: unknown) => JSON.stringify(v)

// Keys that describe a schema without constraining it: a schema made only of these accepts any JSON.
const annotationKeys = new Set(["title", "description", "examples", "default"])

const expr = (s: Json, ctx: Context): string => {
  if (
    s === undefined || s === true || (typeof s === "object" && Object.keys(s).every((k) => annotationKeys.has(k)))
  ) {
    return "Schema.Unknown"
  }
  if (s.$ref) {
    const name = refName(s.$ref)
    return name === ctx.self ? `Schema.suspend((): Schema.Schema<${name}, ${name}Encoded> => ${name})` : name
  }
  const special = openUnions[ctx.path]
  if (special && (s.oneOf || s.anyOf)) return openUnion(s, ctx, special.fallback)
  if (s.anyOf || s.oneOf) {
    const members: Array<Json> = s.anyOf ?? s.oneOf
    const nullable = members.some(isNull)
    const rest = members.filter((m) => !isNull(m))
    const inner = rest.length === 1 ? expr(rest[0], ctx) : `Schema.Union(${rest.map((m) => expr(m, ctx)).join(", ")})`
    return nullable ? `Schema.NullOr(${inner})` : inner
  }
  if (s.const !== undefined) return `Schema.Literal(${literal(s.const)})`
  if (s.enum) {
    const lits = `Schema.Literal(${s.enum.map(literal).join(", ")})`
    return ctx.openEnums ? `openEnum(${lits})` : lits
  }
  switch (s.type) {
    case "string":
      if (s.format === "date-time") return withChecks("Timestamp", s)
      return withChecks("Schema.String", s)
    case "integer":
      return withChecks("Schema.Int", s)
    case "number":
      return withChecks("Schema.Number", s)
    case "boolean":
      return "Schema.Boolean"
    case "null":
      return "Schema.Null"
    case "array":
      return withChecks(`Schema.Array(${expr(s.items, { ...ctx, path: `${ctx.path}[]` })})`, s)
    case "object":
      if (s.properties) return `Schema.Struct(${fields(s, ctx)})`
      return `Schema.Record({ key: Schema.String, value: ${
        typeof s.additionalProperties === "object" ? expr(s.additionalProperties, ctx) : "Schema.Unknown"
      } })`
  }
  throw new Error(`unsupported schema at ${ctx.path}: ${JSON.stringify(s)}`)
}

const openUnion = (s: Json, ctx: Context, fallback: string): string => {
  const flatten = (m: Json): Array<Json> => (m.oneOf ?? m.anyOf) ? (m.oneOf ?? m.anyOf).flatMap(flatten) : [m]
  const known = flatten(s).filter((m) => m.$ref && refName(m.$ref) !== "TrajectoryEvent")
  return `Schema.Union(${[...known.map((m) => expr(m, ctx)), fallback].join(", ")})`
}

const propertyKey = (name: string) => /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name)

const fields = (s: Json, ctx: Context): string => {
  const required = new Set<string>(s.required ?? [])
  const lines = Object.entries<Json>(s.properties).map(([name, p]) => {
    const inner = expr(p, { ...ctx, path: `${ctx.path}.${name}` })
    let value: string
    if (p.const !== undefined && p.default !== undefined && !required.has(name)) {
      // A discriminator with a default: accepted when absent, always sent (the server wants it).
      value = `Schema.optionalWith(${inner}, { default: () => ${literal(p.const)} as const })`
    } else if (required.has(name)) {
      value = inner
    } else {
      value = `Schema.optional(${inner})`
    }
    return `  ${propertyKey(name)}: ${value}`
  })
  return `{\n${lines.join(",\n")}\n}`
}

// ---------------------------------------------------------------------------------------------
// Encoded types, needed only where a schema refers to itself (Schema.suspend needs them spelled out)
// ---------------------------------------------------------------------------------------------

const encodedType = (s: Json, self: string): string => {
  if (s === undefined || (typeof s === "object" && Object.keys(s).every((k) => annotationKeys.has(k)))) {
    return "unknown"
  }
  if (s.$ref) {
    const name = refName(s.$ref)
    return name === self ? `${name}Encoded` : `typeof ${name}.Encoded`
  }
  if (s.anyOf || s.oneOf) return (s.anyOf ?? s.oneOf).map((m: Json) => encodedType(m, self)).join(" | ")
  if (s.const !== undefined) return literal(s.const)
  if (s.enum) return "string"
  switch (s.type) {
    case "string":
      return "string"
    case "integer":
    case "number":
      return "number"
    case "boolean":
      return "boolean"
    case "null":
      return "null"
    case "array":
      return `ReadonlyArray<${encodedType(s.items, self)}>`
    case "object": {
      if (!s.properties) return `{ readonly [key: string]: unknown }`
      const required = new Set<string>(s.required ?? [])
      const props = Object.entries<Json>(s.properties).map(([name, p]) =>
        required.has(name)
          ? `  readonly ${propertyKey(name)}: ${encodedType(p, self)}`
          : `  readonly ${propertyKey(name)}?: ${encodedType(p, self)} | undefined`
      )
      return `{\n${props.join("\n")}\n}`
    }
  }
  throw new Error(`unsupported schema for encoded type: ${JSON.stringify(s)}`)
}

// ---------------------------------------------------------------------------------------------
// Components in dependency order
// ---------------------------------------------------------------------------------------------

const refsOf = (s: Json, acc: Set<string> = new Set()): Set<string> => {
  if (Array.isArray(s)) s.forEach((x) => refsOf(x, acc))
  else if (s && typeof s === "object") {
    if (typeof s.$ref === "string") acc.add(s.$ref.replace("#/components/schemas/", ""))
    Object.values(s).forEach((x) => refsOf(x, acc))
  }
  return acc
}

const order: Array<string> = []
const visiting = new Set<string>()
const visit = (name: string) => {
  if (order.includes(name) || visiting.has(name)) return
  visiting.add(name)
  for (const dep of [...refsOf(components[name])].sort()) if (dep !== name) visit(dep)
  visiting.delete(name)
  order.push(name)
}
Object.keys(components).sort().forEach(visit)

const selfReferencing = new Set(order.filter((name) => refsOf(components[name]).has(name)))

const emitComponent = (original: string): string => {
  const s = components[original]
  const name = schemaName(original)
  const ctx: Context = { self: name, path: original, openEnums: true }
  const doc = `/**\n * Wire schema \`${original}\`.\n *\n * @since 0.1.0\n * @category Schemas\n */\n`
  if (s.type === "object" && s.properties) {
    const encoded = selfReferencing.has(name)
      ? `/**\n * The JSON form of {@link ${name}}, spelled out because the schema refers to itself.\n *\n * @since 0.1.0\n * @category Schemas\n */\nexport interface ${name}Encoded ${
        encodedType(s, name)
      }\n\n`
      : ""
    return `${encoded}${doc}export class ${name} extends Schema.Class<${name}>("@hai-effect/core/Wire/${name}")(${
      fields(s, ctx)
    }) {}\n`
  }
  const e = special[original]?.() ?? expr(s, ctx)
  return `${doc}export const ${name} = ${e}\n${doc}export type ${name} = typeof ${name}.Type\n`
}

const special: Record<string, () => string> = {
  // The envelope is checked first: Schema's union looks the tag up with `String(...)`, which
  // throws on hostile values such as `{"toString": null}`; a ParseError is what they deserve.
  SessionEvent: () =>
    `Schema.compose(EventEnvelope, ${
      openUnion(
        components.SessionEvent,
        { self: "SessionEvent", path: "SessionEvent", openEnums: true },
        "UnknownSessionEvent"
      )
    }, { strict: false })`
}

// ---------------------------------------------------------------------------------------------
// Wire.ts
// ---------------------------------------------------------------------------------------------

const knownEventTypes = Object.keys(components.SessionEvent.anyOf[0].discriminator.mapping).sort()
const knownAgentEventKinds = Object.keys(components.AgentEvent.properties.data.discriminator.mapping).sort()

const header = `/**
 * The wire model of the Computer-Use Agents API: one Schema per component schema of
 * \`spec/openapi.json\`.
 *
 * Generated by \`scripts/generate.ts\` (\`pnpm codegen\`); do not edit by hand.
 *
 * Conventions:
 * - Timestamps stay ISO-8601 strings as the server sends them (lossless, no time-zone guessing);
 *   {@link Timestamp} marks them.
 * - Enums are open: a value the server adds later decodes as an {@link UnknownValue} instead of
 *   failing.
 * - Event unions end with an explicit fallback ({@link UnknownSessionEvent},
 *   {@link UnknownAgentEventData}) so a new event type never breaks a stream.
 * - Discriminators (\`kind\`, \`type\`, \`provider\`) are filled in when absent and always encoded.
 * - Unknown fields are ignored when decoding.
 *
 * @since 0.1.0
 */
import * as Schema from "effect/Schema"

/**
 * An ISO-8601 timestamp, as sent on the wire.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const Timestamp = Schema.String.annotations({ identifier: "Timestamp" })

/**
 * An enum value this version of the SDK does not know. Branded so that narrowing on the known
 * literals still works.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const UnknownValue = Schema.String.pipe(Schema.brand("@hai-effect/core/UnknownValue"))

/**
 * @since 0.1.0
 * @category Schemas
 */
export type UnknownValue = typeof UnknownValue.Type

/**
 * Makes an enum open: known literals decode to themselves, anything else to {@link UnknownValue}.
 *
 * @example
 * import { Schema } from "effect"
 * import { Wire } from "@hai-effect/core"
 *
 * const Color = Wire.openEnum(Schema.Literal("red", "green"))
 * Schema.decodeUnknownSync(Color)("blue") // "blue", typed as UnknownValue
 *
 * @since 0.1.0
 * @category Constructors
 */
export const openEnum = <L extends Schema.Literal<any>>(known: L): Schema.Union<[L, typeof UnknownValue]> =>
  Schema.Union(known, UnknownValue)

/**
 * The \`type\` values of the session events this SDK knows.
 *
 * @since 0.1.0
 * @category Constants
 */
export const knownEventTypes: ReadonlyArray<string> = ${JSON.stringify(knownEventTypes)}

/**
 * The \`kind\` values of the agent event payloads this SDK knows.
 *
 * @since 0.1.0
 * @category Constants
 */
export const knownAgentEventKinds: ReadonlyArray<string> = ${JSON.stringify(knownAgentEventKinds)}

/**
 * An event type this version of the SDK does not know: a string at run time, typed as a branded
 * \`String\` so that \`event.type === "LiveViewUrlEvent"\` narrows to that event alone (a branded
 * \`string\` stays comparable to every literal and would not be excluded). Read it with
 * \`String(event.type)\`.
 *
 * @since 0.1.0
 * @category Models
 */
// eslint-disable-next-line @typescript-eslint/no-wrapper-object-types -- a branded String, not string, is what lets narrowing exclude it
export interface UnknownEventTypeName extends String {
  readonly "@hai-effect/core/UnknownEventType": unique symbol
}

/**
 * @since 0.1.0
 * @category Schemas
 */
export const UnknownEventType: Schema.Schema<UnknownEventTypeName, string> = Schema.String.pipe(
  Schema.filter((type) => !knownEventTypes.includes(type), { identifier: "UnknownEventTypeFilter" })
) as any // the value stays a string; only its static type is the branded String above

/**
 * A session event whose \`type\` this SDK does not know (the server's generic \`TrajectoryEvent\`).
 * Kept whole so nothing is lost; narrow on \`type\` to reach the known events.
 *
 * @since 0.1.0
 * @category Schemas
 */
export class UnknownSessionEvent extends Schema.Class<UnknownSessionEvent>("@hai-effect/core/Wire/UnknownSessionEvent")({
  type: UnknownEventType,
  data: Schema.optional(Schema.Unknown),
  timestamp: Timestamp
}) {}

/**
 * What every session event has: a string \`type\` (other fields are checked by the event's schema).
 *
 * @since 0.1.0
 * @category Schemas
 */
export const EventEnvelope = Schema.Struct(
  { type: Schema.String },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * An agent event payload \`kind\` this SDK does not know, typed like {@link UnknownEventTypeName}
 * so that narrowing on a known \`kind\` excludes it.
 *
 * @since 0.1.0
 * @category Models
 */
// eslint-disable-next-line @typescript-eslint/no-wrapper-object-types -- a branded String, not string, is what lets narrowing exclude it
export interface UnknownAgentEventKindName extends String {
  readonly "@hai-effect/core/UnknownAgentEventKind": unique symbol
}

/**
 * @since 0.1.0
 * @category Schemas
 */
export const UnknownAgentEventKind: Schema.Schema<UnknownAgentEventKindName, string> = Schema.String.pipe(
  Schema.filter((kind) => !knownAgentEventKinds.includes(kind), { identifier: "UnknownAgentEventKindFilter" })
) as any // the value stays a string; only its static type is the branded String above

/**
 * An agent event payload whose \`kind\` this SDK does not know; its other fields are kept.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const UnknownAgentEventData = Schema.Struct(
  { kind: UnknownAgentEventKind },
  Schema.Record({ key: Schema.String, value: Schema.Unknown })
)

/**
 * @since 0.1.0
 * @category Schemas
 */
export type UnknownAgentEventData = typeof UnknownAgentEventData.Type
`

const wire = [header, ...order.map(emitComponent)].join("\n")

// ---------------------------------------------------------------------------------------------
// Endpoints
// ---------------------------------------------------------------------------------------------

const groups: Record<string, { readonly group: string; readonly doc: string }> = {
  Sessions: { group: "sessions", doc: "Sessions: create, watch, steer and inspect agent runs." },
  Skills: { group: "skills", doc: "Skills the agents can use." },
  Environments: { group: "environments", doc: "Environments (browsers, desktops) the agents act in." },
  Agents: { group: "agents", doc: "Agents: the catalog and your own definitions." },
  Webhooks: { group: "webhooks", doc: "Webhook endpoints that receive session status changes." },
  Schedules: { group: "schedules", doc: "Schedules that start sessions on a cron timing." },
  "Browser Profiles": { group: "browserProfiles", doc: "Browser profiles (cookies, storage) reused across sessions." },
  Vaults: { group: "vaults", doc: "Credential vaults the agents can read from." },
  "Session Files": { group: "files", doc: "Files in a session's workspace." },
  quota: { group: "quota", doc: "Token quota of the organisation." }
}

/** operationId prefix (before `_api_v2`) to method name, per group. */
const methods: Record<string, string> = {
  create_session: "create",
  list_sessions: "list",
  get_session_quota: "quota",
  get_session: "get",
  cancel_session: "cancel",
  get_session_status: "status",
  send_session_messages: "sendMessages",
  send_session_tool_results: "sendToolResults",
  pause_session: "pause",
  resume_session: "resume",
  force_session_answer: "forceAnswer",
  get_session_changes: "changes",
  list_session_events: "events",
  submit_session_feedback: "feedback",
  submit_event_feedback: "eventFeedback",
  share_session: "share",
  unshare_session: "unshare",
  get_session_resource: "resource",
  create_skill: "create",
  list_skills: "list",
  get_skill: "get",
  update_skill: "update",
  patch_skill: "patch",
  delete_skill: "delete",
  create_environment: "create",
  list_environments: "list",
  get_environment: "get",
  update_environment: "update",
  patch_environment: "patch",
  delete_environment: "delete",
  create_agent: "create",
  list_agents: "list",
  get_agent: "get",
  update_agent: "update",
  patch_agent: "patch",
  delete_agent: "delete",
  create_webhook: "create",
  list_webhooks: "list",
  list_webhook_events: "eventTypes",
  get_webhook: "get",
  update_webhook: "update",
  delete_webhook: "delete",
  rotate_webhook_secret: "rotateSecret",
  ping_webhook: "ping",
  create_schedule: "create",
  list_schedules: "list",
  get_schedule: "get",
  update_schedule: "update",
  delete_schedule: "delete",
  pause_schedule: "pause",
  resume_schedule: "resume",
  trigger_schedule: "trigger",
  list_schedule_runs: "runs",
  list_browser_profiles: "list",
  initiate_browser_profile_upload: "initiateUpload",
  complete_browser_profile_upload: "completeUpload",
  get_default_browser_profile: "getDefault",
  set_default_browser_profile: "setDefault",
  unset_default_browser_profile: "unsetDefault",
  get_browser_profile: "get",
  delete_browser_profile: "delete",
  create_vault: "create",
  list_vaults: "list",
  get_vault: "get",
  update_vault: "update",
  delete_vault: "delete",
  rotate_vault_token: "rotateToken",
  vault_health: "health",
  list_files: "list",
  read_file: "read",
  write_file: "write",
  get_token_quota: "tokens"
}

/** Lists that page: how to walk them lazily as a Stream. */
const pagination: Record<string, { readonly style: "page" | "offset"; readonly items: string }> = {
  "sessions.list": { style: "page", items: "items" },
  "sessions.events": { style: "page", items: "items" },
  "skills.list": { style: "page", items: "items" },
  "environments.list": { style: "page", items: "items" },
  "agents.list": { style: "page", items: "items" },
  "webhooks.list": { style: "page", items: "items" },
  "schedules.list": { style: "page", items: "items" },
  "schedules.runs": { style: "page", items: "items" },
  "browserProfiles.list": { style: "offset", items: "profiles" },
  "vaults.list": { style: "offset", items: "vaults" }
}

/**
 * Operations the server may hold open (long-polls): the query parameter that says for how many
 * seconds. The transport gives such a request that long on top of its timeout.
 */
const longPolls: Record<string, string> = {
  "sessions.changes": "wait_for_seconds"
}

const camel = (s: string) => s.replace(/[-_]([a-z])/g, (_, c) => c.toUpperCase())

interface Op {
  readonly group: string
  readonly method: string
  readonly httpMethod: string
  readonly path: string
  readonly pathParams: Array<string>
  readonly query: Array<Json>
  readonly headers: Array<Json>
  readonly body: Json | undefined
  readonly bodyRequired: boolean
  readonly success: Array<{ status: number; schema: Json | undefined; contentType: string | undefined }>
}

const ops: Array<Op> = []
for (const [path, item] of Object.entries<Json>(spec.paths)) {
  for (const [httpMethod, op] of Object.entries<Json>(item)) {
    const prefix = String(op.operationId).split("_api_v2")[0]
    const method = methods[prefix]
    if (!method) throw new Error(`no method name for ${op.operationId}`)
    const params: Array<Json> = op.parameters ?? []
    const rb = op.requestBody?.content?.["application/json"]
    ops.push({
      group: groups[op.tags[0]].group,
      method,
      httpMethod: httpMethod.toUpperCase(),
      path,
      pathParams: params.filter((p) => p.in === "path").map((p) => p.name),
      query: params.filter((p) => p.in === "query"),
      headers: params.filter((p) => p.in === "header"),
      body: rb?.schema,
      bodyRequired: op.requestBody?.required === true,
      success: Object.entries<Json>(op.responses)
        .filter(([status]) => /^2\d\d$/.test(status))
        .map(([status, r]) => {
          const [contentType, content] = Object.entries<Json>(r.content ?? {})[0] ?? []
          return { status: Number(status), schema: content?.schema ?? undefined, contentType }
        })
    })
  }
}

const bodyExpr = (op: Op): string => {
  if (!op.body) return "undefined"
  const e = expr(op.body, { self: "", path: `${op.group}.${op.method}.body`, openEnums: true })
  return e
}

const queryExpr = (op: Op): string => {
  if (op.query.length === 0) return "undefined"
  const props = op.query.map((p) => {
    const e = expr(p.schema, { self: "", path: `${op.group}.${op.method}.${p.name}`, openEnums: false })
    return `    ${propertyKey(p.name)}: ${p.required ? e : `Schema.optional(${e})`}`
  })
  return `Schema.Struct({\n${props.join(",\n")}\n  })`
}

type Decode = "json" | "option" | "void" | "bytes"
const decodeKind = (op: Op): { kind: Decode; schema: string; type: string } => {
  const json = op.success.filter((s) => s.contentType === "application/json" && s.schema)
  const empty = op.success.filter((s) => !s.contentType)
  if (op.success.some((s) => s.contentType === "application/octet-stream")) {
    return { kind: "bytes", schema: "undefined", type: "Uint8Array" }
  }
  if (json.length === 0) return { kind: "void", schema: "undefined", type: "void" }
  const schema = expr(json[0].schema, { self: "", path: `${op.group}.${op.method}.response`, openEnums: true })
  const type = json[0].schema.$ref ? `Wire.${refName(json[0].schema.$ref)}` : `typeof ${opConst(op)}.response.Type`
  if (empty.length > 0) return { kind: "option", schema, type: `Option.Option<${type}>` }
  return { kind: "json", schema, type }
}

const opConst = (op: Op) => `${op.group}_${op.method}`

/** Endpoint schemas live in another module than the wire schemas they name. */
const qualify = (e: string) =>
  e.replace(/(?<![.\w])([A-Z][A-Za-z0-9]*)\b(?!\()/g, (m) => m === "Schema" ? m : `Wire.${m}`)
    .replace(/(?<![.\w])openEnum\(/g, "Wire.openEnum(")

const longPollOf = (op: Op): string => {
  const param = longPolls[`${op.group}.${op.method}`]
  if (param === undefined) return "undefined"
  if (!op.query.some((p) => p.name === param)) throw new Error(`${op.group}.${op.method} has no query ${param}`)
  return JSON.stringify(param)
}

const endpointDescriptors = ops.map((op) => {
  const d = decodeKind(op)
  const idempotencyHeader = op.headers.find((h) => h.name.toLowerCase() === "idempotency-key")
  return `export const ${opConst(op)} = {
  name: "${op.group}.${op.method}",
  method: "${op.httpMethod}",
  path: ${JSON.stringify(op.path)},
  pathParams: ${JSON.stringify(op.pathParams)},
  query: ${qualify(queryExpr(op))},
  body: ${qualify(bodyExpr(op))},
  bodyRequired: ${op.bodyRequired},
  idempotencyKey: ${idempotencyHeader ? "true" : "false"},
  decode: "${d.kind}",
  successStatus: ${JSON.stringify(op.success.map((s) => s.status))},
  response: ${qualify(d.schema)},
  longPoll: ${longPollOf(op)}
} as const`
})

const inputType = (op: Op): { body?: string; params?: string; paramsRequired: boolean } => {
  const out: { body?: string; params?: string; paramsRequired: boolean } = { paramsRequired: false }
  if (op.body) out.body = `typeof ${opConst(op)}.body.Encoded`
  const parts: Array<string> = []
  if (op.query.length > 0) parts.push(`typeof ${opConst(op)}.query.Encoded`)
  if (op.headers.some((h) => h.name.toLowerCase() === "idempotency-key")) parts.push("IdempotencyOptions")
  if (parts.length > 0) {
    out.params = parts.join(" & ")
    out.paramsRequired = op.query.some((p) => p.required)
  }
  return out
}

const signature = (op: Op) => {
  const input = inputType(op)
  const args: Array<string> = op.pathParams.map((p) => `${camel(p)}: string${p === "event_index" ? " | number" : ""}`)
  if (input.body) args.push(`body${op.bodyRequired ? "" : "?"}: ${input.body}`)
  if (input.params) args.push(`params${input.paramsRequired ? "" : "?"}: ${input.params}`)
  return { args, ret: decodeKind(op).type, input }
}

const groupInterfaces = Object.values(groups).map(({ doc, group }) => {
  const groupOps = ops.filter((op) => op.group === group)
  const iface = `${group[0].toUpperCase()}${group.slice(1)}Api`
  const members = groupOps.flatMap((op) => {
    const { args, input, ret } = signature(op)
    const lines = [
      `  /** \`${op.httpMethod} ${op.path}\` */`,
      `  readonly ${op.method}: (${args.join(", ")}) => Effect.Effect<${ret}, HaiError>`
    ]
    const pg = pagination[`${group}.${op.method}`]
    if (pg) {
      const itemType = `${ret}[${JSON.stringify(pg.items)}][number]`
      const pathArgs = op.pathParams.map((p) => `${camel(p)}: string`)
      lines.push(
        `  /** Every item of \`${op.httpMethod} ${op.path}\`, fetching pages lazily as the stream is pulled. */`,
        `  readonly ${op.method}All: (${
          [...pathArgs, `params?: ${input.params}`].join(", ")
        }) => Stream.Stream<${itemType}, HaiError>`
      )
    }
    return lines
  })
  const impl = groupOps.flatMap((op) => {
    const { args, input } = signature(op)
    const pathArgs = op.pathParams.map(camel)
    const call = `run(${opConst(op)}, [${pathArgs.join(", ")}], ${input.params ? "params" : "undefined"}, ${
      input.body ? "body" : "undefined"
    })`
    const lines = [`    ${op.method}: fn("HaiAgents.${group}.${op.method}")((${args.join(", ")}) => ${call})`]
    const pg = pagination[`${group}.${op.method}`]
    if (pg) {
      lines.push(
        `    ${op.method}All: (${[...pathArgs, "params"].join(", ")}) => paginate(${opConst(op)}, [${
          pathArgs.join(", ")
        }], params, "${pg.style}", ${JSON.stringify(pg.items)})`
      )
    }
    return lines
  })
  return {
    iface: `/**\n * ${doc}\n *\n * @since 0.1.0\n * @category Models\n */\nexport interface ${iface} {\n${
      members.join("\n")
    }\n}\n`,
    field: `  readonly ${group}: ${iface}`,
    impl: `  ${group}: {\n${impl.join(",\n")}\n  }`
  }
})

const endpoints = `/**
 * One descriptor per operation of \`spec/openapi.json\` and the typed resource groups built on them.
 *
 * Generated by \`scripts/generate.ts\` (\`pnpm codegen\`); do not edit by hand.
 *
 * @since 0.1.0
 * @internal
 */
import * as Effect from "effect/Effect"
import type * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import type * as Stream from "effect/Stream"
import type { HaiError } from "../HaiError.js"
import * as Wire from "../Wire.js"

/** Options of operations that accept an \`Idempotency-Key\`. */
export interface IdempotencyOptions {
  /** Reused on every retry of this call; made for you when absent. */
  readonly idempotencyKey?: string | undefined
}

/** The shape every descriptor below has. */
export interface Endpoint {
  readonly name: string
  readonly method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE"
  readonly path: string
  readonly pathParams: ReadonlyArray<string>
  readonly query: Schema.Schema<any, any> | undefined
  readonly body: Schema.Schema<any, any> | undefined
  readonly bodyRequired: boolean
  readonly idempotencyKey: boolean
  readonly decode: "json" | "option" | "void" | "bytes"
  readonly successStatus: ReadonlyArray<number>
  readonly response: Schema.Schema<any, any> | undefined
  /** The query parameter that lets the server hold the answer that many seconds (a long-poll). */
  readonly longPoll: string | undefined
}

${endpointDescriptors.join("\n\n")}

/** Every endpoint, by \`group.method\`. */
export const all: ReadonlyArray<Endpoint> = [
${ops.map((op) => `  ${opConst(op)}`).join(",\n")}
]

${groupInterfaces.map((g) => g.iface).join("\n")}
/** The resource groups of the client. */
export interface Resources {
${groupInterfaces.map((g) => g.field).join("\n")}
}

/** Runs one endpoint. */
export type Runner = (
  endpoint: Endpoint,
  pathParams: ReadonlyArray<string | number>,
  params: unknown,
  body: unknown
) => Effect.Effect<any, HaiError>

/** Walks a paginated endpoint. */
export type Paginator = (
  endpoint: Endpoint,
  pathParams: ReadonlyArray<string | number>,
  params: unknown,
  style: "page" | "offset",
  items: string
) => Stream.Stream<any, HaiError>

/** Wraps an operation: in a span of its own (\`Effect.fn\`), or as it is. */
export type Spanned = (
  name: string
) => <Args extends Array<any>, A, E, R>(
  body: (...args: Args) => Effect.Effect<A, E, R>
) => (...args: Args) => Effect.Effect<A, E, R>

const traced: Spanned = (name) => Effect.fn(name)
const untraced: Spanned = () => (body) => body

/**
 * Builds the resource groups over a runner. \`spans: false\` leaves out each operation's own span
 * (the HTTP request keeps the platform's), for loops that make thousands of calls.
 */
export const makeResources = (run: Runner, paginate: Paginator, spans = true): Resources => {
  const fn = spans ? traced : untraced
  return {
${groupInterfaces.map((g) => g.impl).join(",\n")}
  }
}
`

// ---------------------------------------------------------------------------------------------
// Output
// ---------------------------------------------------------------------------------------------

const targets: Array<[string, string]> = [
  [Path.join(root, "packages/core/src/Wire.ts"), wire],
  [Path.join(root, "packages/core/src/internal/endpoints.ts"), endpoints]
]

const format = async (files: Array<[string, string]>): Promise<Array<[string, string]>> => {
  const { ESLint } = await import("eslint")
  const eslint = new ESLint({ cwd: root, fix: true })
  return Promise.all(files.map(async ([file, text]) => {
    const [result] = await eslint.lintText(text, { filePath: file })
    return [file, result.output ?? text] as [string, string]
  }))
}

const formatted = await format(targets)
if (process.argv.includes("--check")) {
  const stale = formatted.filter(([file, text]) => !Fs.existsSync(file) || Fs.readFileSync(file, "utf8") !== text)
  if (stale.length > 0) {
    process.stderr.write(
      `generated files are stale, run \`pnpm codegen\`: ${stale.map(([f]) => Path.relative(root, f)).join(", ")}\n`
    )
    process.exit(1)
  }
  process.stdout.write(
    `codegen: ${formatted.length} files up to date (${order.length} schemas, ${ops.length} operations)\n`
  )
} else {
  Fs.mkdirSync(Path.join(root, "packages/core/src/internal"), { recursive: true })
  for (const [file, text] of formatted) Fs.writeFileSync(file, text)
  process.stdout.write(`codegen: wrote ${formatted.length} files (${order.length} schemas, ${ops.length} operations)\n`)
}
