import { assert, describe, it } from "@effect/vitest"
import { readFileSync } from "node:fs"
import { generate } from "../scripts/operations.js"
import { spec } from "../src/internal/spec.js"

describe("typed handler inputs", () => {
  it("src/internal/operations.ts is what the spec generates (run scripts/operations.ts when it is not)", () => {
    const file = readFileSync(new URL("../src/internal/operations.ts", import.meta.url), "utf8")
    assert.strictEqual(file, generate(spec()))
  })
})
