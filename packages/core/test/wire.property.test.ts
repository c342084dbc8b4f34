/**
 * Property tests of the wire decoders: any JSON gives a value or a ParseError (never a defect),
 * every spec-valid value decodes and encodes back to a spec-valid value, and the open parts of
 * the model (unknown event types, agent event kinds, enum values) stay open.
 */
import { assert, describe, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as FastCheck from "effect/FastCheck"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as Wire from "../src/Wire.js"
import * as Fake from "./support/fake.js"
import { hasExoticKeys, mutate, paths } from "./support/mutation.js"
import { arbitrary, component, example, resolve, spec, validator } from "./support/spec.js"

const fc = FastCheck

/** The Wire schema of a spec component (`Page_X_` is `XPage`). */
const wireOf = (name: string): Schema.Schema<any, any> => {
  const page = /^Page_(.+)_$/.exec(name)
  const schema = (Wire as Record<string, unknown>)[page ? `${page[1]}Page` : name]
  if (!Schema.isSchema(schema)) throw new Error(`no Wire schema for ${name}`)
  return schema as Schema.Schema<any, any>
}

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` })

const decoders: ReadonlyArray<readonly [string, Schema.Schema<any, any>]> = [
  ["SessionChanges", Wire.SessionChanges],
  ["Session", Wire.Session],
  ["SessionEvent", Wire.SessionEvent],
  ["SessionStatus", Wire.SessionStatus],
  ["Page_SessionEvent_", Wire.SessionEventPage],
  ["Page_SessionSummary_", Wire.SessionSummaryPage],
  ["TrajectoryStatus", Wire.TrajectoryStatus],
  ["Agent", Wire.Agent],
  ["Environment", Wire.Environment],
  ["AgentEvent", Wire.AgentEvent]
]

/** Decodes; a thrown exception fails the property, a Left must be a ParseError. */
const decodeSafely = (schema: Schema.Schema<any, any>, input: unknown) => {
  const result = Schema.decodeUnknownEither(schema)(input)
  assert.isTrue(Either.isEither(result))
  if (Either.isLeft(result)) assert.isTrue(ParseResult.isParseError(result.left))
  return result
}

describe("any JSON decodes to a value or a ParseError", () => {
  it.prop(
    "fc.jsonValue() never throws",
    [fc.jsonValue({ maxDepth: 4 })],
    ([input]) => {
      FastCheck.pre(!hasExoticKeys(input))
      for (const [, schema] of decoders) decodeSafely(schema, input)
    },
    { fastCheck: { numRuns: 300 } }
  )

  it.prop(
    "objects with the right discriminators but random fields never throw",
    [
      fc.record({
        type: fc.constantFrom(...Wire.knownEventTypes, "Other"),
        timestamp: fc.oneof(fc.string(), fc.jsonValue()),
        data: fc.oneof(
          fc.jsonValue(),
          fc.record({ kind: fc.constantFrom(...Wire.knownAgentEventKinds, "other"), extra: fc.jsonValue() })
        )
      }, { requiredKeys: ["type"] })
    ],
    ([input]) => {
      FastCheck.pre(!hasExoticKeys(input))
      decodeSafely(Wire.SessionEvent, input)
      decodeSafely(Wire.SessionChanges, { status: "running", new_events: [input] })
    },
    { fastCheck: { numRuns: 300 } }
  )

  for (const name of ["SessionChanges", "Session", "SessionEvent", "Agent"]) {
    it.prop(
      `mutations of valid ${name} values never throw`,
      [
        arbitrary(ref(name)).chain((valid) =>
          fc.tuple(fc.constant(valid), fc.constantFrom(...paths(valid)), fc.jsonValue({ maxDepth: 2 }), fc.boolean())
        )
      ],
      ([[valid, at, replacement, remove]]) => {
        const input = mutate(valid, at, replacement, remove)
        FastCheck.pre(!hasExoticKeys(input))
        decodeSafely(wireOf(name), input)
      },
      { fastCheck: { numRuns: 100 } }
    )
  }
})

describe("exotic discriminator values in valid JSON", () => {
  // Found by the mutation property: `JSON.parse('{"toString":null}')` is an object whose
  // `String(...)` throws, and the discriminated unions looked the discriminator up with `String`.
  for (
    const discriminator of [
      "{\"toString\":null}",
      "{\"toString\":1,\"valueOf\":1}",
      "{\"valueOf\":{}, \"toString\":{}}"
    ]
  ) {
    it(`SessionEvent with type ${discriminator} is a ParseError, not a thrown TypeError`, () => {
      const input = JSON.parse(`{"type":${discriminator},"timestamp":"2026-11-30T12:00:00Z","data":{}}`)
      let result: Either.Either<unknown, ParseResult.ParseError> | undefined
      assert.doesNotThrow(() => {
        result = Schema.decodeUnknownEither(Wire.SessionEvent)(input)
      })
      assert.isTrue(result !== undefined && Either.isLeft(result))
    })
  }

  // Found by the Session round trip: JSON.parse gives `"__proto__"` as an own key, and Schema's
  // Record decoding assigns it, which sets the prototype instead. The client drops such keys when
  // it parses a body, so nothing the service sends can change an object's prototype.
  it.effect("a \"__proto__\" key in an answer never becomes a prototype", () =>
    Effect.gen(function*() {
      const body = `{"status":"idle","answer":{"__proto__":{"injected":1},"x":2},"new_events":[]}`
      const f = Fake.fake(() => ({ status: 200, text: body, headers: { "content-type": "application/json" } }))
      const changes = yield* Fake.call(f, (hai) => hai.sessions.changes(Fake.SESSION_ID))
      const answer = Option.getOrThrow(changes).answer as Record<string, unknown>
      assert.isUndefined(answer.injected, "the decoded object inherits properties from the payload")
      assert.strictEqual(Object.getPrototypeOf(answer), Object.prototype)
      assert.deepStrictEqual(Object.keys(answer), ["x"])
    }))

  it.effect("a \"__proto__\" key hidden behind a \\u escape is dropped too", () =>
    Effect.gen(function*() {
      const body = String.raw`{"status":"idle","answer":{"\u005f_proto__":{"injected":1},"x":2},"new_events":[]}`
      const f = Fake.fake(() => ({ status: 200, text: body, headers: { "content-type": "application/json" } }))
      const changes = yield* Fake.call(f, (hai) => hai.sessions.changes(Fake.SESSION_ID))
      const answer = Option.getOrThrow(changes).answer as Record<string, unknown>
      assert.isUndefined(answer.injected)
      assert.deepStrictEqual(Object.keys(answer), ["x"])
    }))

  it("an AgentEvent whose data kind is such an object is a ParseError", () => {
    const input = JSON.parse(
      `{"type":"AgentEvent","timestamp":"2026-11-30T12:00:00Z","data":{"kind":{"toString":null}}}`
    )
    assert.doesNotThrow(() => Schema.decodeUnknownEither(Wire.SessionEvent)(input))
  })
})

describe("spec-valid values decode, and encode back to spec-valid values", () => {
  const names = Object.keys(spec.components.schemas)

  it("every component schema of the spec has a Wire schema", () => {
    for (const name of names) wireOf(name)
  })

  for (const name of names) {
    it.prop(
      name,
      [arbitrary(ref(name))],
      ([input]) => {
        FastCheck.pre(!hasExoticKeys(input))
        assert.deepStrictEqual(component(name)(input), [], "the generator made a spec-invalid value")
        const decoded = decodeSafely(wireOf(name), input)
        if (Either.isLeft(decoded)) {
          assert.fail(`a spec-valid ${name} did not decode: ${decoded.left.message}\n${JSON.stringify(input)}`)
        }
        const encoded = Schema.encodeEither(wireOf(name))(decoded.right)
        if (Either.isLeft(encoded)) assert.fail(`a decoded ${name} did not encode: ${encoded.left.message}`)
        assert.deepStrictEqual(component(name)(encoded.right), [], `the encoded ${name} breaks the spec`)
        // Decoding what was encoded gives the same value.
        assert.deepStrictEqual(Schema.decodeUnknownSync(wireOf(name))(encoded.right), decoded.right)
      },
      { fastCheck: { numRuns: 50 } }
    )
  }
})

describe("the open parts of the model", () => {
  it("each known event type decodes to its class", () => {
    for (const type of Wire.knownEventTypes) {
      const input = example(ref(type), { optionalDepth: 3, arrayLength: 1 })
      const decoded = Schema.decodeUnknownSync(Wire.SessionEvent)(input)
      assert.instanceOf(decoded, (Wire as any)[type], type)
      assert.strictEqual(String(decoded.type), type)
    }
  })

  it("each known agent event kind decodes to its class", () => {
    const classes: Record<string, unknown> = {
      policy_event: Wire.PolicyEvent,
      tool_result: Wire.ToolResultEvent,
      answer_event: Wire.AnswerEvent,
      error_event: Wire.ErrorEvent,
      message_event: Wire.MessageEvent,
      observation_event: Wire.ObservationEvent,
      flow_event: Wire.FlowEvent
    }
    const mapping = spec.components.schemas.AgentEvent.properties.data.discriminator.mapping
    assert.deepStrictEqual(Object.keys(mapping).sort(), [...Wire.knownAgentEventKinds].sort())
    for (const kind of Wire.knownAgentEventKinds) {
      const data = example({ $ref: mapping[kind] }, { optionalDepth: 2, arrayLength: 1 })
      const event = Schema.decodeUnknownSync(Wire.SessionEvent)({
        type: "AgentEvent",
        timestamp: "2026-11-30T12:00:00Z",
        data
      })
      assert.instanceOf(event, Wire.AgentEvent)
      if (event instanceof Wire.AgentEvent) assert.instanceOf(event.data, classes[kind] as any, kind)
    }
  })

  it.prop(
    "an unknown event type decodes to UnknownSessionEvent, whole",
    [
      fc.string({ minLength: 1, maxLength: 20 }).filter((t) => !Wire.knownEventTypes.includes(t)),
      fc.jsonValue({ maxDepth: 3 })
    ],
    ([type, data]) => {
      FastCheck.pre(!hasExoticKeys(data))
      const input = { type, data, timestamp: "2026-11-30T12:00:00Z" }
      const decoded = Schema.decodeUnknownSync(Wire.SessionEvent)(input)
      assert.instanceOf(decoded, Wire.UnknownSessionEvent)
      assert.strictEqual(String(decoded.type), type)
      assert.deepStrictEqual((decoded as Wire.UnknownSessionEvent).data, data)
      assert.deepStrictEqual(component("SessionEvent")(Schema.encodeSync(Wire.SessionEvent)(decoded)), [])
    },
    { fastCheck: { numRuns: 100 } }
  )

  it("an unknown event inside SessionChanges does not break the batch", () => {
    const changes = Schema.decodeUnknownSync(Wire.SessionChanges)({
      status: "running",
      new_events: [
        { type: "AgentStartedEvent", timestamp: "2026-11-30T12:00:00Z", data: {} },
        { type: "QuantumLeapEvent", timestamp: "2026-11-30T12:00:01Z", data: { to: "1985" } }
      ]
    })
    assert.instanceOf(changes.new_events![0], Wire.AgentStartedEvent)
    assert.instanceOf(changes.new_events![1], Wire.UnknownSessionEvent)
  })

  it.prop(
    "an unknown AgentEvent data kind decodes to the fallback, fields kept",
    [
      fc.string({ minLength: 1, maxLength: 20 }).filter((k) => !Wire.knownAgentEventKinds.includes(k)),
      fc.dictionary(
        fc.string({ minLength: 1, maxLength: 8 }).filter((k) => k !== "kind"),
        fc.jsonValue({ maxDepth: 2 }),
        {
          maxKeys: 4
        }
      )
    ],
    ([kind, fields]) => {
      FastCheck.pre(!hasExoticKeys(fields))
      const data = { ...fields, kind }
      const event = Schema.decodeUnknownSync(Wire.SessionEvent)({
        type: "AgentEvent",
        timestamp: "2026-11-30T12:00:00Z",
        data
      })
      assert.instanceOf(event, Wire.AgentEvent)
      assert.deepStrictEqual({ ...(event as Wire.AgentEvent).data } as unknown, data)
    },
    { fastCheck: { numRuns: 100 } }
  )

  it.prop(
    "an unknown TrajectoryStatus value decodes (open enum)",
    [fc.string({ maxLength: 20 })],
    ([status]) => {
      assert.strictEqual(Schema.decodeUnknownSync(Wire.TrajectoryStatus)(status), status)
      assert.strictEqual(Schema.decodeUnknownSync(Wire.SessionStatus)({ status }).status, status)
    },
    { fastCheck: { numRuns: 100 } }
  )

  it("other open enums accept new values", () => {
    assert.strictEqual(Schema.decodeUnknownSync(Wire.SessionErrorCode)("brand_new_code"), "brand_new_code")
    assert.strictEqual(Schema.decodeUnknownSync(Wire.AnswerOutcome)("sort_of"), "sort_of")
    assert.strictEqual(Schema.decodeUnknownSync(Wire.EnvironmentKind)("mobile"), "mobile")
  })

  it("closed things stay closed: a status that is not a string fails", () => {
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Wire.TrajectoryStatus)(3)))
    assert.isTrue(Either.isLeft(Schema.decodeUnknownEither(Wire.SessionEvent)({ type: "AgentEvent", data: {} })))
  })

  it("the recursive Agent (subagents nested 3 deep) decodes and round-trips", () => {
    const leaf = { name: "leaf", description: "level 3", environments: ["browser-default"] }
    const input = {
      name: "root",
      description: "level 0",
      environments: [{ id: "web-1", kind: "web" }],
      subagents: [
        "named-agent",
        {
          name: "mid",
          description: "level 1",
          environments: [],
          skills: ["skill-a", { name: "s", description: "d", body: "b" }],
          subagents: [{ name: "low", description: "level 2", environments: [], subagents: [leaf] }]
        }
      ]
    }
    const decoded = Schema.decodeUnknownSync(Wire.Agent)(input)
    assert.instanceOf(decoded, Wire.Agent)
    const mid = decoded.subagents![1] as Wire.Agent
    assert.instanceOf(mid, Wire.Agent)
    const low = mid.subagents![0] as Wire.Agent
    assert.instanceOf(low, Wire.Agent)
    assert.instanceOf(low.subagents![0], Wire.Agent)
    assert.strictEqual((low.subagents![0] as Wire.Agent).description, "level 3")
    assert.instanceOf(decoded.environments[0], Wire.Browser)
    const encoded = Schema.encodeSync(Wire.Agent)(decoded)
    assert.deepStrictEqual(encoded as unknown, input)
    assert.deepStrictEqual(component("Agent")(encoded), [])
  })

  it("a bad field deep in the agent tree is reported with its path", () => {
    const result = Schema.decodeUnknownEither(Wire.Agent)({
      name: "root",
      description: "d",
      environments: [],
      subagents: [{
        name: "mid",
        description: "d",
        environments: [],
        subagents: [{ name: "", description: "d", environments: [] }]
      }]
    })
    assert.isTrue(Either.isLeft(result))
    if (Either.isLeft(result)) {
      const issues = ParseResult.ArrayFormatter.formatErrorSync(result.left)
      assert.isTrue(
        issues.some((i) => i.path.join(".") === "subagents.0.subagents.0.name"),
        JSON.stringify(issues.map((i) => i.path))
      )
    }
  })
})

describe("Schema arbitraries round-trip", () => {
  // Schema arbitraries make values JSON cannot carry (Infinity, explicit undefined) and objects
  // without prototype, so the round trip compares encoded forms, as plain data.
  const plain = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(plain)
      : value !== null && typeof value === "object"
      ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]))
      : value
  const roundTrip = (schema: Schema.Schema<any, any>) => (value: unknown) => {
    const encoded = Schema.encodeSync(schema)(value)
    FastCheck.pre(!hasExoticKeys(encoded))
    const again = Schema.encodeSync(schema)(Schema.decodeUnknownSync(schema)(encoded))
    assert.deepStrictEqual(plain(again), plain(encoded))
  }

  it.prop("SessionStatus", [Wire.SessionStatus], ([value]) => roundTrip(Wire.SessionStatus)(value), {
    fastCheck: { numRuns: 100 }
  })
  it.prop("SessionChanges", [Wire.SessionChanges], ([value]) => roundTrip(Wire.SessionChanges)(value), {
    fastCheck: { numRuns: 50 }
  })
  it.prop("Session", [Wire.Session], ([value]) => roundTrip(Wire.Session)(value), { fastCheck: { numRuns: 50 } })
  it.prop("SessionEvent", [Wire.SessionEvent], ([value]) => roundTrip(Wire.SessionEvent)(value), {
    fastCheck: { numRuns: 100 }
  })
})

// ---------------------------------------------------------------------------------------------
// Closed sets meeting new values (14.8)
// ---------------------------------------------------------------------------------------------

/**
 * Every place in a spec-valid value where the spec allows only a fixed set of strings (an `enum`,
 * or a `const`, as discriminators are), found by walking the value with its schema.
 */
const closedPoints = (schema: any, value: unknown, at: ReadonlyArray<string | number> = []): Array<
  { readonly path: ReadonlyArray<string | number>; readonly where: string }
> => {
  const s = resolve(schema)
  const where = typeof schema?.$ref === "string" ? schema.$ref.split("/").pop() : s.title ?? ""
  if ("const" in s || Array.isArray(s.enum)) return typeof value === "string" ? [{ path: at, where }] : []
  const branches = s.anyOf ?? s.oneOf
  if (Array.isArray(branches)) {
    const match = branches.find((branch: any) => validator(branch)(value).length === 0)
    return match === undefined ? [] : closedPoints(match, value, at)
  }
  if (Array.isArray(value)) {
    return s.items === undefined ? [] : value.flatMap((item, i) => closedPoints(s.items, item, [...at, i]))
  }
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => {
      const property = s.properties?.[key]
        ?? (typeof s.additionalProperties === "object" ? s.additionalProperties : undefined)
      return property === undefined
        ? []
        : closedPoints(property, item, [...at, key]).map((p) => ({ ...p, where: p.where || `${where}.${key}` }))
    })
  }
  return []
}

describe("a value no closed set of the spec knows never fails a /changes or /status read", () => {
  const eventTypes = Object.keys(spec.components.schemas.SessionEvent.anyOf[0].discriminator.mapping)
  const kinds: Record<string, string> = spec.components.schemas.AgentEvent.properties.data.discriminator.mapping
  const timestamp = "2026-11-30T12:00:00Z"
  // Random answers reach the events' insides rarely: each event type and each agent event kind is
  // also generated on its own, as the one event of an answer.
  const changes = fc.oneof(
    arbitrary(ref("SessionChanges")),
    ...eventTypes.map((type) => arbitrary(ref(type)).map((event) => ({ status: "running", new_events: [event] }))),
    ...Object.values(kinds).map((kind) =>
      arbitrary({ $ref: kind }).map((data) => ({
        status: "running",
        new_events: [{ type: "AgentEvent", timestamp, data }]
      }))
    )
  )
  const reads = [
    ["SessionChanges", Wire.SessionChanges, changes],
    ["SessionStatus", Wire.SessionStatus, arbitrary(ref("SessionStatus"))]
  ] as const

  for (const [name, schema, values] of reads) {
    it.prop(
      name,
      [values, fc.constantFrom("brand_new_value", "", "NEW", "zz.y-9")],
      ([input, unknown]) => {
        FastCheck.pre(!hasExoticKeys(input))
        const failed: Array<string> = []
        for (const { path, where } of closedPoints(ref(name), input)) {
          const mutated = mutate(input, path, unknown, false)
          if (Either.isLeft(Schema.decodeUnknownEither(schema)(mutated))) failed.push(`${path.join(".")} (${where})`)
        }
        assert.deepStrictEqual(failed, [], `a new value at these places fails the whole ${name}`)
      },
      { fastCheck: { numRuns: 300 } }
    )
  }

  it("the walk reaches every closed set of those answers", () => {
    const seen = new Set<string>()
    for (const value of fc.sample(changes, 600)) {
      for (const { path } of closedPoints(ref("SessionChanges"), value)) {
        seen.add(path.map((p) => typeof p === "number" ? "#" : p).join("."))
      }
    }
    for (
      const { path } of closedPoints(
        ref("SessionStatus"),
        example(ref("SessionStatus"), { optionalDepth: 2, arrayLength: 1 })
      )
    ) {
      seen.add(`status:${path.join(".")}`)
    }
    for (
      const expected of [
        "status",
        "new_events.#.type",
        "new_events.#.data.kind",
        "new_events.#.data.state",
        "new_events.#.data.content.#.type",
        "new_events.#.data.image.type",
        "new_events.#.data.outcome",
        "status:status",
        "status:error_code",
        "status:outcome"
      ]
    ) assert.isTrue(seen.has(expected), `${expected} not reached; reached: ${[...seen].join(", ")}`)
  })
})
