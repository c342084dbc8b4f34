import { assert, describe, it } from "@effect/vitest"
import * as HaiError from "@hai-effect/core/HaiError"
import * as Wire from "@hai-effect/core/Wire"
import { Effect, Redacted } from "effect"
import * as Global from "../src/Global.js"
import { parseOverrides } from "../src/handlers/run.js"
import * as Render from "../src/Render.js"

describe("Render", () => {
  it("masks keys", () => {
    assert.strictEqual(Render.maskKey(Redacted.make("hk-0123456789abcd")), "hk-…abcd")
    assert.strictEqual(Render.maskKey("hk-short"), "hk-…")
    assert.strictEqual(Render.maskKey("sk_live_0123456789wxyz"), "…wxyz")
  })

  it("aligns tables and fields", () => {
    assert.strictEqual(Render.table(["A", "BB"], [["xxx", "y"], ["z", "w"]]), "A    BB\nxxx  y\nz    w")
    assert.strictEqual(Render.fields([["id", "1"], ["status", "idle"], ["none", undefined]]), "id:     1\nstatus: idle")
  })

  it.effect("flattens a 422 into loc: msg lines", () =>
    Effect.gen(function*() {
      const error = new HaiError.Unprocessable({
        method: "POST",
        url: "https://agp.eu.hcompany.ai/api/v2/sessions",
        detail: [new Wire.ValidationError({ loc: ["body", "agent"], msg: "Field required", type: "missing" })]
      })
      const capture = Render.capture()
      yield* Render.printError(error).pipe(Effect.provideService(Render.Output, capture.service))
      assert.strictEqual(
        capture.stderr(),
        "Error: POST https://agp.eu.hcompany.ai/api/v2/sessions was rejected as invalid (422):\n  body.agent: Field required\nHint: Fix the fields named above.\n"
      )
    }))
})

describe("Global.hoistGlobals", () => {
  it("moves global options to the front, up to --", () => {
    assert.deepStrictEqual(
      Global.hoistGlobals(["node", "hai", "sessions", "list", "--json", "--api-key=hk-x", "--base-url", "http://b"]),
      ["node", "hai", "--json", "--api-key", "hk-x", "--base-url", "http://b", "sessions", "list"]
    )
    assert.deepStrictEqual(
      Global.hoistGlobals(["node", "hai", "run", "--", "--json"]),
      ["node", "hai", "run", "--", "--json"]
    )
  })
})

describe("parseOverrides", () => {
  it.effect("splits at the first = outside brackets and decodes JSON values", () =>
    Effect.gen(function*() {
      const parsed = yield* parseOverrides([
        "agent.environments[kind=web].start_url=https://x.y/?a=b",
        "agent.environments[kind=web].headless=true",
        "agent.tools=[]"
      ])
      assert.deepStrictEqual(parsed, {
        "agent.environments[kind=web].start_url": "https://x.y/?a=b",
        "agent.environments[kind=web].headless": true,
        "agent.tools": []
      })
      const failed = yield* Effect.flip(parseOverrides(["novalue"]))
      assert.strictEqual(failed._tag, "CliError")
    }))
})
