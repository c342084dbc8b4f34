/**
 * The compiled decoder the transport tries before Schema (internal/fastDecode.ts) must answer
 * exactly as Schema does: when it gives a value, Schema gives an equal value of the same classes
 * with the same key order; when Schema rejects an input, it gives nothing. It must also accept
 * every valid answer of the service, or it saves nothing.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Arbitrary from "effect/Arbitrary"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import type * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Endpoints from "../src/internal/endpoints.js"
import * as FastDecode from "../src/internal/fastDecode.js"
import * as Wire from "../src/Wire.js"
import { hasExoticKeys, mutate, paths } from "./support/mutation.js"
import { arbitrary, spec } from "./support/spec.js"

const fc = FastCheck

const wireOf = (name: string): Schema.Schema<any, any> => {
  const page = /^Page_(.+)_$/.exec(name)
  return (Wire as Record<string, any>)[page ? `${page[1]}Page` : name]
}
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

/** Class names along the value, so that `Foo {a: 1}` and `{a: 1}` differ. */
const shape = (value: unknown): unknown =>
  Array.isArray(value)
    ? value.map(shape)
    : value !== null && typeof value === "object"
    ? [Object.getPrototypeOf(value)?.constructor?.name, Object.entries(value).map(([k, v]) => [k, shape(v)])]
    : value

type Outcome = "agree" | "fast gave up"

/**
 * The two decoders agree on `input`. `mustAccept`: a value Schema accepts must not be left to
 * Schema (true for JSON without the keys that make Schema throw).
 */
const agree = (schema: Schema.Schema<any, any>, input: unknown, mustAccept = true, exact = false): Outcome => {
  let full: Either.Either<unknown, ParseResult.ParseError> | "throws"
  try {
    full = Schema.decodeUnknownEither(schema, exact ? { onExcessProperty: "error" } : undefined)(input)
  } catch {
    full = "throws"
  }
  const fast = FastDecode.make(schema, { exact })(input)
  if (fast === undefined) {
    if (mustAccept && full !== "throws" && Either.isRight(full) && full.right !== undefined) {
      assert.fail(`Schema accepts what the fast decoder left to it: ${JSON.stringify(input)}`)
    }
    return "fast gave up"
  }
  if (full === "throws" || Either.isLeft(full)) {
    assert.fail(
      `the fast decoder accepted what Schema ${full === "throws" ? "throws on" : "rejects"}: ${JSON.stringify(input)}`
    )
  }
  assert.deepStrictEqual(shape(fast), shape(full.right), JSON.stringify(input))
  return "agree"
}

describe("every valid value of the spec decodes the same, without Schema", () => {
  for (const name of Object.keys(spec.components.schemas)) {
    it.prop(name, [arbitrary(ref(name))], ([input]) => {
      FastCheck.pre(!hasExoticKeys(input))
      assert.strictEqual(agree(wireOf(name), input), "agree")
    }, { fastCheck: { numRuns: 40 } })
  }

  it("a typical /changes answer", () => {
    const body = {
      status: "running",
      metrics: {
        steps: 1,
        cost_per_model: [{ name: "m", input_tokens: 1, output_tokens: 2, reasoning_tokens: 0, total_cost: 0.1 }],
        total_cost: 0.1
      },
      new_events: [
        {
          timestamp: "2026-11-30T12:00:00Z",
          type: "AgentEvent",
          data: { kind: "policy_event", content: "step", tool_reqs: [] }
        },
        { timestamp: "2026-11-30T12:00:00Z", type: "MetricsUpdateEvent", data: { metrics: { steps: 1 } } },
        { timestamp: "2026-11-30T12:00:00Z", type: "SomethingNew", data: { x: [1, 2] } }
      ]
    }
    assert.strictEqual(agree(Wire.SessionChanges, body), "agree")
    const decoded = FastDecode.make(Wire.SessionChanges)(body)!
    assert.instanceOf(decoded, Wire.SessionChanges)
    assert.instanceOf(decoded.new_events![0], Wire.AgentEvent)
    assert.instanceOf((decoded.new_events![0] as Wire.AgentEvent).data, Wire.PolicyEvent)
    assert.instanceOf(decoded.new_events![2], Wire.UnknownSessionEvent)
  })
})

describe("invalid and odd inputs: the fast decoder never accepts what Schema would not", () => {
  for (const name of ["SessionChanges", "Session", "SessionEvent", "SessionStatus", "Agent"]) {
    it.prop(
      `mutations of valid ${name} values`,
      [
        arbitrary(ref(name)).chain((valid) =>
          fc.tuple(fc.constant(valid), fc.constantFrom(...paths(valid)), fc.jsonValue({ maxDepth: 2 }), fc.boolean())
        )
      ],
      ([[valid, at, replacement, remove]]) => {
        const input = mutate(valid, at, replacement, remove)
        agree(wireOf(name), input, !hasExoticKeys(input))
      },
      { fastCheck: { numRuns: 200 } }
    )
  }

  it.prop("any JSON", [fc.jsonValue({ maxDepth: 4 })], ([input]) => {
    for (const schema of [Wire.SessionChanges, Wire.SessionEvent, Wire.Session, Wire.TrajectoryStatus]) {
      agree(schema, input, !hasExoticKeys(input))
    }
  }, { fastCheck: { numRuns: 300 } })

  it("a discriminator whose String() throws is left to Schema", () => {
    const input = JSON.parse(
      `{"type":"AgentEvent","timestamp":"2026-11-30T12:00:00Z","data":{"kind":{"toString":null}}}`
    )
    assert.isUndefined(FastDecode.make(Wire.SessionEvent)(input))
  })
})

// Schema features the wire model does not use today, so that a regenerated model stays exact.
const A = Schema.Struct({ a: Schema.String })
const AB = Schema.Struct({ a: Schema.String, b: Schema.Number })
class Tagged extends Schema.Class<Tagged>("Tagged")({
  kind: Schema.Literal("t"),
  n: Schema.optionalWith(Schema.Number, { default: () => 7 }),
  renamed: Schema.propertySignature(Schema.String).pipe(Schema.fromKey("wire_name"))
}) {}
interface Tree {
  readonly value: number
  readonly children: ReadonlyArray<Tree>
}
const Tree: Schema.Schema<Tree> = Schema.Struct({
  value: Schema.Number,
  children: Schema.Array(Schema.suspend(() => Tree))
})
const custom: ReadonlyArray<readonly [string, Schema.Schema<any, any>]> = [
  ["overlapping members, first match wins", Schema.Union(A, AB)],
  ["overlapping members, the other order", Schema.Union(AB, A)],
  [
    "a literal member after a plain one is still tried first",
    Schema.Union(Schema.Struct({ k: Schema.String, x: Schema.Unknown }), Schema.Struct({ k: Schema.Literal("a") }))
  ],
  ["tuples keyed by index", Schema.Union(Schema.Tuple(Schema.Literal(1), Schema.String), Schema.Tuple(Schema.Number))],
  ["defaults and renamed keys in a class", Schema.Union(Tagged, Schema.Struct({ kind: Schema.Literal("u") }))],
  [
    "records beside properties",
    Schema.Struct({ a: Schema.Number }, Schema.Record({ key: Schema.String, value: Schema.Number }))
  ],
  [
    "a property the record also matches keeps its own decoding",
    Schema.Struct({ n: Schema.NumberFromString }, Schema.Record({ key: Schema.String, value: Schema.Unknown }))
  ],
  ["filtered record keys", Schema.Record({ key: Schema.String.pipe(Schema.startsWith("x")), value: Schema.Boolean })],
  ["recursion", Tree],
  ["transformations and filters", Schema.Struct({ d: Schema.Date, n: Schema.NumberFromString, i: Schema.Int })],
  ["optional and nullable", Schema.Struct({ o: Schema.optional(Schema.NullOr(Schema.String)), u: Schema.Unknown })],
  ["a required key that accepts undefined", Schema.Struct({ u: Schema.Union(Schema.Undefined, Schema.Number) })],
  ["declarations", Schema.Struct({ o: Schema.OptionFromNullOr(Schema.String) })],
  [
    "parse options on a node",
    Schema.Struct({ a: Schema.Number }).annotations({ parseOptions: { onExcessProperty: "error" } })
  ],
  ["template literals, delegated", Schema.TemplateLiteral("id-", Schema.Number)]
]

describe("exact on the Schema features the fast path interprets", () => {
  for (const [name, schema] of custom) {
    it.prop(
      name,
      [fc.oneof(Arbitrary.make(Schema.encodedSchema(schema)), fc.jsonValue({ maxDepth: 3 }))],
      ([input]) => {
        agree(schema, input, !hasExoticKeys(input))
      },
      { fastCheck: { numRuns: 300 } }
    )
  }

  it("valid values of each of them decode the same", () => {
    for (const [name, schema] of custom) {
      const valid = fc.sample(Arbitrary.make(schema), { numRuns: 30, seed: 7 })
      for (const value of valid) {
        const input = Schema.encodeSync(schema)(value)
        const outcome = agree(schema, input)
        if (name !== "template literals, delegated") assert.strictEqual(outcome, "agree", name)
      }
    }
  })

  it("the order of a union's members decides, as in Schema", () => {
    const input = { a: "x", b: 1 }
    assert.deepStrictEqual(Object.keys(FastDecode.make(Schema.Union(A, AB))(input)!), ["a"])
    assert.deepStrictEqual(Object.keys(FastDecode.make(Schema.Union(AB, A))(input)!), ["a", "b"])
  })

  it("defaults are filled and keys renamed", () => {
    const decoded = FastDecode.make(Tagged)({ kind: "t", wire_name: "w" })!
    assert.instanceOf(decoded, Tagged)
    assert.strictEqual(decoded.n, 7)
    assert.strictEqual(decoded.renamed, "w")
    assert.deepStrictEqual(shape(decoded), shape(Schema.decodeUnknownSync(Tagged)({ kind: "t", wire_name: "w" })))
  })
})

describe("a schema that only checks encodes what it decoded unchanged", () => {
  // The transport skips the encode of such schemas (every query), so this must hold for them.
  const plain = Endpoints.all.flatMap((endpoint) =>
    [endpoint.query, endpoint.body].filter((s): s is Schema.Schema<any, any> =>
      s !== undefined && FastDecode.checksOnly(s.ast)
    ).map((schema) => [endpoint.name, schema] as const)
  )

  it("the long-poll's query is one of them", () => {
    assert.isTrue(FastDecode.checksOnly(Endpoints.sessions_changes.query.ast))
    assert.isFalse(FastDecode.checksOnly(Wire.SessionChanges.ast))
    assert.isAtLeast(plain.length, 10)
  })

  for (const [name, schema] of plain) {
    it.prop(name, [Arbitrary.make(schema)], ([value]) => {
      const decoded = Schema.decodeUnknownSync(schema)(Schema.encodeSync(schema)(value))
      const encoded = Schema.encodeSync(schema)(decoded)
      assert.deepStrictEqual(shape(encoded), shape(decoded))
      assert.strictEqual(JSON.stringify(encoded), JSON.stringify(decoded))
    }, { fastCheck: { numRuns: 20 } })
  }
})

describe("exact, as requests are read: a key the schema does not name is refused as Schema refuses it", () => {
  const requests = Endpoints.all.flatMap((endpoint) =>
    [["body", endpoint.body], ["query", endpoint.query]].filter(([, s]) => s !== undefined).map(([part, schema]) =>
      [`${endpoint.name} ${part}`, schema as Schema.Schema<any, any>] as const
    )
  )
  /** A value with one more key, put into one of its objects. */
  const withExtraKey = (value: unknown) =>
    fc.tuple(fc.constantFrom(...paths(value)), fc.constantFrom("extra", "agnt", "kind2", "0")).map(([at, key]) => {
      const target = at.reduce((v: any, k) => v?.[k], value)
      return target !== null && typeof target === "object" && !Array.isArray(target)
        ? mutate(value, [...at, key], "x", false)
        : value
    })

  for (const [name, schema] of requests) {
    it.prop(name, [
      Arbitrary.make(Schema.encodedSchema(schema)).chain((valid) => fc.oneof(fc.constant(valid), withExtraKey(valid)))
    ], ([input]) => {
      agree(schema, input, false, true)
    }, { fastCheck: { numRuns: 30 } })
  }

  it("the long-poll query, which the fast path answers alone, is exact without Schema", () => {
    const decode = FastDecode.make(Endpoints.sessions_changes.query, { exact: true })
    assert.deepStrictEqual(decode({ from_index: 3, wait_for_seconds: 20 }), { from_index: 3, wait_for_seconds: 20 })
    assert.isUndefined(decode({ from_index: 3, wait_seconds: 20 }))
  })

  for (const [name, schema] of custom) {
    it.prop(
      `${name}, exact`,
      [fc.oneof(Arbitrary.make(Schema.encodedSchema(schema)), fc.jsonValue({ maxDepth: 3 }))],
      ([input]) => {
        agree(schema, input, false, true)
      },
      { fastCheck: { numRuns: 200 } }
    )
  }
})
