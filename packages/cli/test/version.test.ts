import { assert, describe, it } from "@effect/vitest"
import * as Fs from "node:fs"
import * as Global from "../src/Global.js"

const manifest = JSON.parse(Fs.readFileSync(new URL("../package.json", import.meta.url), "utf8"))

describe("version", () => {
  it("hai reports its own package's version", () => {
    assert.strictEqual(Global.version, manifest.version)
  })
})
