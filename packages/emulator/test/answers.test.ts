import { assert, describe, it } from "@effect/vitest"
import { Effect, FastCheck as fc, TestClock } from "effect"
import { spec } from "../src/internal/spec.js"
import { compile } from "../src/internal/validation.js"
import * as Scenario from "../src/Scenario.js"
import { call, createSession, testLayer } from "./utils.js"

/**
 * The spec's component schemas as plain JSON Schema, refs local: OpenAPI's `discriminator` becomes
 * what it means, the tag required in each branch (the server answers 422 without it).
 */
const plain = (node: unknown): unknown => {
  if (Array.isArray(node)) return node.map(plain)
  if (node === null || typeof node !== "object") return node
  const out: Record<string, unknown> = {}
  const tag = (node as { discriminator?: { propertyName?: string } }).discriminator?.propertyName
  for (const [k, v] of Object.entries(node)) {
    if (k === "discriminator" || k === "example" || k === "examples") continue
    if (k === "oneOf" && tag !== undefined && Array.isArray(v)) {
      out[k] = v.map((branch) => ({ allOf: [plain(branch), { required: [tag] }] }))
      continue
    }
    out[k] = k === "$ref" && typeof v === "string" ? v.replace("#/components/schemas/", "#/$defs/") : plain(v)
  }
  return out
}

const defs = plain(spec().components.schemas) as Record<string, unknown>

const valid = (key: string, schema: unknown, value: unknown) => {
  const fn = compile(key, schema)
  return { ok: fn(value) === true, errors: JSON.stringify(fn.errors) }
}

describe("answers that satisfy answer_format", () => {
  it("for every schema of the spec, several seeds", () => {
    for (const name of Object.keys(defs)) {
      const schema = { $defs: defs, $ref: `#/$defs/${name}` }
      for (const seed of [1, 2]) {
        const value = Scenario.example(schema, { seed })
        const { errors, ok } = valid(`spec-${name}`, schema, value)
        assert.isTrue(ok, `${name} (seed ${seed}): ${JSON.stringify(value)?.slice(0, 300)} ${errors}`)
      }
    }
  })

  // Random schemas with the constraints answer formats use: patterns, formats, bounds, enums,
  // item counts, nesting, required fields and closed objects.
  const leaf: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
    fc.record({
      type: fc.constant("string"),
      pattern: fc.constantFrom("^[A-Z]{3}-\\d{4}$", "^\\d{5}$", "^[a-z]+(-[a-z]+)*$", "^https://[a-z]+\\.example/.+$")
    }),
    fc.record({ type: fc.constant("string"), format: fc.constantFrom("email", "date-time", "date", "uuid", "uri") }),
    fc.integer({ min: 0, max: 20 }).chain((min) =>
      fc.record({ type: fc.constant("string"), minLength: fc.constant(min), maxLength: fc.constant(min + 10) })
    ),
    fc.integer({ min: -50, max: 50 }).chain((min) =>
      fc.record({
        type: fc.constantFrom("integer", "number"),
        minimum: fc.constant(min),
        maximum: fc.constant(min + 100)
      })
    ),
    fc.record({
      enum: fc.uniqueArray(fc.oneof(fc.string({ maxLength: 8 }), fc.integer()), { minLength: 1, maxLength: 5 })
    }),
    fc.record({ type: fc.constant("boolean") }),
    fc.record({ anyOf: fc.constant([{ type: "string" }, { type: "null" }]) })
  )
  const { schema } = fc.letrec<{ schema: Record<string, unknown> }>((tie) => ({
    schema: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      leaf,
      fc.record({
        type: fc.constant("array"),
        items: tie("schema"),
        minItems: fc.integer({ min: 0, max: 4 })
      }).map((a) => ({ ...a, maxItems: (a.minItems as number) + 3 })),
      fc.dictionary(fc.stringMatching(/^[a-z][a-z_]{0,8}$/), tie("schema"), { minKeys: 1, maxKeys: 5 }).chain((
        properties
      ) =>
        fc.record({
          type: fc.constant("object"),
          properties: fc.constant(properties),
          required: fc.subarray(Object.keys(properties)),
          additionalProperties: fc.boolean()
        })
      )
    )
  }))

  it.prop("for random schemas with constraints", [schema, fc.integer({ min: 1, max: 1_000_000 })], ([s, seed]) => {
    const value = Scenario.example(s, { seed })
    const { errors, ok } = valid(`random-${JSON.stringify(s)}`, s, value)
    assert.isTrue(ok, `${JSON.stringify(s)} -> ${JSON.stringify(value)}: ${errors}`)
  }, { fastCheck: { numRuns: 300 } })

  it.effect("the default script's answer with a pattern, a format and minItems passes (no answer_validation)", () =>
    Effect.gen(function*() {
      const answerFormat = {
        type: "object",
        properties: {
          ref: { type: "string", pattern: "^[A-Z]{3}-\\d{4}$" },
          contact: { type: "string", format: "email" },
          roles: {
            type: "array",
            minItems: 3,
            items: {
              type: "object",
              properties: { title: { type: "string", minLength: 3 }, level: { enum: ["junior", "senior"] } },
              required: ["title", "level"],
              additionalProperties: false
            }
          }
        },
        required: ["ref", "contact", "roles"],
        additionalProperties: false
      }
      const { body } = yield* createSession({
        agent: "h/web-surfer-holo3-1-35b",
        messages: "find roles",
        overrides: { "agent.answer_format": answerFormat }
      })
      yield* TestClock.adjust("5 seconds")
      const changes = yield* call("GET", `/api/v2/sessions/${body.id}/changes?from_index=0&include_events=false`)
      assert.strictEqual(changes.body.status, "idle", JSON.stringify(changes.body))
      assert.match(changes.body.answer.ref, /^[A-Z]{3}-\d{4}$/)
      assert.isAtLeast(changes.body.answer.roles.length, 3)
    }).pipe(Effect.provide(testLayer())))

  it.effect("an answer_format no value can follow fails the session with answer_validation, not a crash", () =>
    Effect.gen(function*() {
      const { body } = yield* createSession({
        agent: "h/web-surfer-holo3-1-35b",
        messages: "x",
        overrides: { "agent.answer_format": { type: "object", properties: { a: { type: "string", pattern: "([" } } } }
      })
      yield* TestClock.adjust("5 seconds")
      const status = (yield* call("GET", `/api/v2/sessions/${body.id}/status`)).body
      assert.strictEqual(status.status, "failed")
      assert.strictEqual(status.error_code, "answer_validation")
    }).pipe(Effect.provide(testLayer())))
})
