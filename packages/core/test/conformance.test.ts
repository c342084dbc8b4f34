/**
 * Every operation of `spec/openapi.json`, called through the SDK against a recording fake: the
 * request that left must validate against the spec, and the spec's success answer must decode.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Option from "effect/Option"
import * as Schema from "effect/Schema"
import * as Endpoints from "../src/internal/endpoints.js"
import type { Reply, Sent } from "./support/fake.js"
import { API_KEY, BASE_URL, call, fake } from "./support/fake.js"
import type { SpecOperation } from "./support/spec.js"
import { acceptsArray, arrayItems, coerce, example, operations, resolve, validator } from "./support/spec.js"

const full = { optionalDepth: 0, arrayLength: 2 }
const rich = { optionalDepth: 2, arrayLength: 1 }

const parametersOf = (op: SpecOperation, where: string): ReadonlyArray<any> =>
  (op.operation.parameters ?? []).filter((p: any) => p.in === where)

const jsonSchemaOf = (content: any): any => content?.["application/json"]?.schema

/** The SDK method's arguments, synthesised from the spec: path values, then body or query. */
const argumentsFor = (op: SpecOperation, endpoint: Endpoints.Endpoint) => {
  const pathValues = endpoint.pathParams.map((name) => {
    const parameter = parametersOf(op, "path").find((p) => p.name === name)
    const schema = resolve(parameter.schema)
    return schema.type === "integer" ? 7 : schema.format === "uuid" ? example(schema) : `${name}-1`
  })
  const body = op.operation.requestBody !== undefined
    ? example(jsonSchemaOf(op.operation.requestBody.content), full)
    : undefined
  const query = Object.fromEntries(
    parametersOf(op, "query").map((p) => [p.name, example(p.schema, full)])
  )
  return { pathValues, body, query }
}

const invoke = (hai: any, endpoint: Endpoints.Endpoint, args: ReturnType<typeof argumentsFor>) => {
  const [group, method] = endpoint.name.split(".")
  const fn = hai[group][method] as (...args: ReadonlyArray<unknown>) => Effect.Effect<unknown, unknown>
  const rest = endpoint.body !== undefined ? [args.body] : endpoint.query !== undefined ? [args.query] : []
  return fn(...args.pathValues, ...rest)
}

/** The answer the spec documents for success, synthesised from its schema. */
const successReply = (op: SpecOperation): { readonly status: number; readonly reply: Reply; readonly schema: any } => {
  const [status, response] = Object.entries<any>(op.operation.responses).find(([code]) => code.startsWith("2"))!
  const schema = jsonSchemaOf(response.content)
  if (schema !== undefined) {
    return { status: Number(status), reply: { status: Number(status), json: example(schema, rich) }, schema }
  }
  if (response.content?.["application/octet-stream"] !== undefined) {
    return { status: Number(status), reply: { status: Number(status), bytes: new Uint8Array([1, 2, 3]) }, schema }
  }
  return { status: Number(status), reply: { status: Number(status) }, schema }
}

const templateRegex = (template: string) =>
  new RegExp(`^${template.replace(/[.*+?^$()|[\]\\]/g, "\\$&").replace(/\{([^}]+)\}/g, "(?<$1>[^/]+)")}$`)

/** Everything in a sent request that the spec does not allow; empty when it conforms. */
export const problemsOf = (op: SpecOperation, sent: Sent): ReadonlyArray<string> => {
  const problems: Array<string> = []
  if (sent.method !== op.method) problems.push(`method ${sent.method} is not ${op.method}`)

  const prefix = new URL(BASE_URL).pathname.replace(/\/+$/, "")
  const path = sent.url.pathname.startsWith(prefix) ? sent.url.pathname.slice(prefix.length) : sent.url.pathname
  const match = templateRegex(op.path).exec(path)
  if (match === null) problems.push(`path ${path} does not match ${op.path}`)
  for (const parameter of parametersOf(op, "path")) {
    const raw = match?.groups?.[parameter.name.replace(/[^A-Za-z0-9_]/g, "_")]
    if (raw === undefined) continue
    for (const p of validator(parameter.schema)(coerce(parameter.schema, decodeURIComponent(raw)))) {
      problems.push(`path parameter ${parameter.name}: ${p}`)
    }
  }

  const queryParameters = parametersOf(op, "query")
  for (const key of new Set(sent.url.searchParams.keys())) {
    const parameter = queryParameters.find((p) => p.name === key)
    if (parameter === undefined) {
      problems.push(`query parameter ${key} is not in the spec`)
      continue
    }
    const raw = sent.url.searchParams.getAll(key)
    const value = acceptsArray(parameter.schema)
      ? raw.map((r) => coerce(arrayItems(parameter.schema), r))
      : raw.length === 1
      ? coerce(parameter.schema, raw[0])
      : raw
    for (const p of validator(parameter.schema)(value)) problems.push(`query parameter ${key}: ${p}`)
  }
  for (const parameter of queryParameters) {
    if (parameter.required && !sent.url.searchParams.has(parameter.name)) {
      problems.push(`required query parameter ${parameter.name} is missing`)
    }
  }

  if (sent.headers["authorization"] !== `Bearer ${API_KEY}`) problems.push("Authorization is not the bearer key")
  for (const parameter of parametersOf(op, "header")) {
    const value = sent.headers[parameter.name.toLowerCase()]
    // The SDK always sends the idempotency key it documents, so a declared header must be there.
    if (value === undefined) {
      problems.push(`header ${parameter.name} is missing`)
      continue
    }
    for (const p of validator(parameter.schema)(value)) problems.push(`header ${parameter.name}: ${p}`)
  }

  const requestBody = op.operation.requestBody
  if (requestBody === undefined) {
    if (sent.body !== undefined && sent.body.length > 0) problems.push("a body was sent but the spec has none")
  } else if (sent.body === undefined) {
    if (requestBody.required) problems.push("the required body is missing")
  } else {
    if (!(sent.headers["content-type"] ?? "").startsWith("application/json")) {
      problems.push(`content-type ${sent.headers["content-type"]} is not JSON`)
    }
    let parsed: unknown
    try {
      parsed = JSON.parse(sent.body)
    } catch {
      problems.push("the body is not JSON")
    }
    if (parsed !== undefined) {
      for (const p of validator(jsonSchemaOf(requestBody.content))(parsed)) problems.push(`body: ${p}`)
    }
  }
  return problems
}

const endpointOf = (op: SpecOperation) => Endpoints.all.find((e) => e.method === op.method && e.path === op.path)

interface Outcome {
  readonly op: SpecOperation
  readonly endpoint: Endpoints.Endpoint
  readonly sent: ReadonlyArray<Sent>
  readonly exit: Exit.Exit<unknown, unknown>
  readonly success: ReturnType<typeof successReply>
}

const exercise = (op: SpecOperation): Effect.Effect<Outcome> => {
  const endpoint = endpointOf(op)!
  const success = successReply(op)
  const f = fake(() => success.reply)
  return Effect.exit(call(f, (hai) => invoke(hai, endpoint, argumentsFor(op, endpoint)))).pipe(
    Effect.map((exit) => ({ op, endpoint, sent: f.sent, exit, success }))
  )
}

describe("conformance with spec/openapi.json", () => {
  it("every spec operation has exactly one SDK endpoint and vice versa", () => {
    const unmatched = operations.filter((op) =>
      Endpoints.all.filter((e) => e.method === op.method && e.path === op.path).length !== 1
    )
    assert.deepStrictEqual(unmatched.map((op) => `${op.method} ${op.path}`), [])
    const extra = Endpoints.all.filter((e) => !operations.some((op) => op.method === e.method && op.path === e.path))
    assert.deepStrictEqual(extra.map((e) => e.name), [])
    assert.strictEqual(Endpoints.all.length, operations.length)
    assert.strictEqual(operations.length, 72)
    assert.strictEqual(new Set(Endpoints.all.map((e) => e.name)).size, Endpoints.all.length)
  })

  it("the synthesised arguments and answers are themselves valid against the spec", () => {
    for (const op of operations) {
      const requestBody = op.operation.requestBody
      if (requestBody !== undefined) {
        const schema = jsonSchemaOf(requestBody.content)
        assert.deepStrictEqual(validator(schema)(example(schema, full)), [], `${op.operationId} body example`)
      }
      for (const p of parametersOf(op, "query")) {
        assert.deepStrictEqual(validator(p.schema)(example(p.schema, full)), [], `${op.operationId} ${p.name}`)
      }
      const success = successReply(op)
      if (success.schema !== undefined && "json" in success.reply) {
        assert.deepStrictEqual(validator(success.schema)(success.reply.json), [], `${op.operationId} answer`)
      }
    }
  })

  it.effect("every operation sends a conforming request and decodes the documented answer", () =>
    Effect.gen(function*() {
      const outcomes = yield* Effect.forEach(operations, exercise)
      const failures: Array<string> = []
      let covered = 0
      for (const { endpoint, exit, op, sent, success } of outcomes) {
        const label = `${endpoint.name} (${op.method} ${op.path})`
        if (sent.length !== 1) {
          failures.push(`${label}: ${sent.length} requests sent; exit ${String(exit)}`)
          continue
        }
        const problems = [...problemsOf(op, sent[0])]
        // Nothing the caller gave may be dropped on the way.
        const args = argumentsFor(op, endpoint)
        for (const key of Object.keys(args.query)) {
          if (!sent[0].url.searchParams.has(key)) problems.push(`query parameter ${key} was dropped`)
        }
        if (args.body !== null && typeof args.body === "object") {
          const sentBody = JSON.parse(sent[0].body ?? "{}")
          for (const key of Object.keys(args.body)) {
            if (!(key in sentBody)) problems.push(`body field ${key} was dropped`)
          }
        }
        if (problems.length > 0) failures.push(`${label}: ${problems.join("; ")}`)
        if (Exit.isFailure(exit)) {
          failures.push(`${label}: the documented ${success.status} answer did not decode: ${String(exit.cause)}`)
          continue
        }
        const value = exit.value
        if (endpoint.decode === "void") {
          if (value !== undefined) failures.push(`${label}: a void operation returned a value`)
        } else if (endpoint.decode === "bytes") {
          if (!(value instanceof Uint8Array) || value.length !== 3) {
            failures.push(`${label}: the bytes were not returned`)
          }
        } else {
          const decoded = endpoint.decode === "option"
            ? Option.isOption(value) && Option.isSome(value) ? value.value : failures.push(`${label}: not Some`)
            : value
          // What the SDK hands back must still be what the spec describes.
          const encoded = Schema.encodeUnknownEither(endpoint.response!)(decoded)
          if (encoded._tag === "Left") failures.push(`${label}: the decoded answer does not encode: ${encoded.left}`)
          else {
            const again = validator(success.schema)(encoded.right)
            if (again.length > 0) failures.push(`${label}: the re-encoded answer breaks the spec: ${again.join("; ")}`)
          }
        }
        covered++
      }
      assert.deepStrictEqual(failures, [])
      assert.strictEqual(covered, operations.length)
    }))

  it.effect("negative control: the request validator rejects mutated requests", () =>
    Effect.gen(function*() {
      const byId = (name: string) => operations.find((op) => endpointOf(op)?.name === name)!
      const create = yield* exercise(byId("sessions.create"))
      const list = yield* exercise(byId("sessions.list"))
      const get = yield* exercise(byId("sessions.get"))
      const eventFeedback = yield* exercise(byId("sessions.eventFeedback"))
      for (const o of [create, list, get, eventFeedback]) assert.deepStrictEqual(problemsOf(o.op, o.sent[0]), [])

      const mutate = (o: Outcome, change: (sent: Sent) => Sent) => problemsOf(o.op, change(o.sent[0]))
      const body = JSON.parse(create.sent[0].body!)
      const withUrl = (s: Sent, edit: (url: URL) => void) => {
        const url = new URL(s.url)
        edit(url)
        return { ...s, url }
      }
      const mutations: ReadonlyArray<readonly [string, ReadonlyArray<string>]> = [
        ["max_steps: 0", mutate(create, (s) => ({ ...s, body: JSON.stringify({ ...body, max_steps: 0 }) }))],
        ["agent removed", mutate(create, (s) => ({ ...s, body: JSON.stringify({ ...body, agent: undefined }) }))],
        ["queue as a string", mutate(create, (s) => ({ ...s, body: JSON.stringify({ ...body, queue: "yes" }) }))],
        ["body not JSON", mutate(create, (s) => ({ ...s, body: "{" }))],
        [
          "no Idempotency-Key",
          mutate(create, (s) => ({ ...s, headers: { ...s.headers, "idempotency-key": undefined! } }))
        ],
        ["empty Idempotency-Key", mutate(create, (s) => ({ ...s, headers: { ...s.headers, "idempotency-key": "" } }))],
        ["no Authorization", mutate(get, (s) => ({ ...s, headers: { ...s.headers, authorization: undefined! } }))],
        ["wrong method", mutate(get, (s) => ({ ...s, method: "POST" }))],
        ["id not a uuid", mutate(get, (s) => withUrl(s, (u) => (u.pathname = "/api/v2/sessions/not-a-uuid")))],
        [
          "event_index not an integer",
          mutate(eventFeedback, (s) => withUrl(s, (u) => (u.pathname = u.pathname.replace("/7/", "/x/"))))
        ],
        ["size 0", mutate(list, (s) => withUrl(s, (u) => u.searchParams.set("size", "0")))],
        [
          "status not a TrajectoryStatus",
          mutate(list, (s) => withUrl(s, (u) => u.searchParams.append("status", "nope")))
        ],
        ["unknown query key", mutate(list, (s) => withUrl(s, (u) => u.searchParams.set("bogus", "1")))],
        ["page as text", mutate(list, (s) => withUrl(s, (u) => u.searchParams.set("page", "one")))],
        ["body on a GET", mutate(get, (s) => ({ ...s, body: "{}" }))]
      ]
      for (const [name, problems] of mutations) assert.isAbove(problems.length, 0, `${name} went unnoticed`)
    }))

  it.effect("negative control: an answer that breaks the spec does not decode", () =>
    Effect.gen(function*() {
      const op = operations.find((o) => endpointOf(o)?.name === "sessions.status")!
      const endpoint = endpointOf(op)!
      const f = fake(() => ({ status: 200, json: { status: 42 } }))
      const exit = yield* Effect.exit(call(f, (hai) => invoke(hai, endpoint, argumentsFor(op, endpoint))))
      assert.isTrue(Exit.isFailure(exit))
    }))
})
