import { assert, describe, it } from "@effect/vitest"
import { Overrides } from "../src/index.js"
import { spec } from "./support/spec.js"

const schemas = spec.components.schemas
const schemaOfKind: Record<string, string> = {
  web: "Browser",
  desktop: "Desktop",
  android: "Android",
  workstation: "Workstation"
}

/** Checks a dotted override path against the spec: the field must exist where the path puts it. */
const fieldOf = (path: string): { readonly schema: any; readonly field: string } => {
  const env = /^agent\.environments\[kind=(\w+)\]\.(\w+)$/.exec(path)
  if (env !== null) return { schema: schemas[schemaOfKind[env[1]]], field: env[2] }
  const agent = /^agent\.(\w+)$/.exec(path)
  if (agent !== null) return { schema: schemas.Agent, field: agent[1] }
  throw new Error(`not an override path this test knows: ${path}`)
}

const enumOf = (property: any): ReadonlyArray<unknown> =>
  property.enum
    ?? (property.anyOf ?? []).flatMap((branch: any) => branch.enum ?? (branch.type === "null" ? [null] : []))

describe("Overrides", () => {
  const helpers: ReadonlyArray<readonly [string, Overrides.Overrides]> = [
    ["browserProfile", Overrides.browserProfile("p")],
    ["vault", Overrides.vault("v")],
    ["startUrl", Overrides.startUrl("https://example.com")],
    ["browserSession", Overrides.browserSession("s")],
    ["host desktop", Overrides.host("desktop", "user_device")],
    ["host workstation", Overrides.host("workstation", "cloud")],
    ["lazy android", Overrides.lazy("android")],
    ["lazy workstation", Overrides.lazy("workstation", false)],
    ["androidImage", Overrides.androidImage("pixel")],
    ["attachTo desktop", Overrides.attachTo("desktop", "d")],
    ["attachTo android", Overrides.attachTo("android", "a")],
    ["reasoningEffort", Overrides.reasoningEffort("xhigh")]
  ]

  it.each(helpers)("%s names a field the API has, for the right environment kind", (_, overrides) => {
    for (const path of Object.keys(overrides)) {
      const { field, schema } = fieldOf(path)
      assert.isDefined(schema, path)
      assert.property(schema.properties, field, `${path}: the spec has no such field`)
    }
  })

  it("offers every reasoning effort the API accepts, and only those", () => {
    const accepted = enumOf(schemas.Agent.properties.reasoning_effort)
    const offered: ReadonlyArray<Overrides.ReasoningEffort | null> = ["disabled", "low", "medium", "xhigh", null]
    assert.sameMembers([...offered], [...accepted])
  })

  it("offers every host the API accepts for desktops and workstations", () => {
    const offered: ReadonlyArray<Overrides.Host> = ["cloud", "user_device"]
    assert.sameMembers([...offered], [...enumOf(schemas.Desktop.properties.host)])
    assert.sameMembers([...offered], [...enumOf(schemas.Workstation.properties.host)])
  })

  it("offers every environment kind the API has", () => {
    const offered: ReadonlyArray<Overrides.EnvironmentKind> = ["web", "desktop", "android", "workstation"]
    assert.sameMembers([...offered], [...schemas.EnvironmentKind.enum])
  })

  it("merges helpers of different kinds into one request, later ones winning", () => {
    const merged = Overrides.merge(Overrides.lazy("android"), Overrides.androidImage("a"), Overrides.androidImage("b"))
    assert.deepStrictEqual(merged, {
      "agent.environments[kind=android].lazy": true,
      "agent.environments[kind=android].image": "b"
    })
  })
})
