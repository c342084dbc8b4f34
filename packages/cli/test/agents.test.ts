import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { EmulatorLive, hai } from "./support/Harness.js"

describe("hai agents / skills", () => {
  layer(EmulatorLive, { excludeTestServices: true })((it) => {
    it.effect("agents list and get", () =>
      Effect.gen(function*() {
        const list = yield* hai(["agents", "list"])
        assert.strictEqual(list.code, 0, list.stderr)
        assert.match(list.stdout, /^NAME\s+DESCRIPTION\n/)
        assert.include(list.stdout, "h/web-surfer-holo3-1-35b")
        const json = (yield* hai(["agents", "list", "--json", "--search", "surfer"])).json()[0]
        assert.isTrue(json.items.some((a: any) => a.name === "h/web-surfer-holo3-1-35b"))
        const get = yield* hai(["agents", "get", "h/web-surfer-holo3-1-35b"])
        assert.strictEqual(get.code, 0, get.stderr)
        assert.match(get.stdout, /name:\s+h\/web-surfer-holo3-1-35b/)
        assert.match(get.stdout, /environments:/)
      }))

    it.effect("skills list and get", () =>
      Effect.gen(function*() {
        const list = yield* hai(["skills", "list", "--json"])
        assert.strictEqual(list.code, 0, list.stderr)
        const page = list.json()[0]
        assert.isArray(page.items)
        const text = yield* hai(["skills", "list"])
        assert.strictEqual(text.code, 0, text.stderr)
        if (page.items.length > 0) {
          const name = page.items[0].name
          const get = yield* hai(["skills", "get", name])
          assert.match(get.stdout, new RegExp(`name:\\s+${name}`))
        } else {
          assert.strictEqual(text.stdout.trim(), "No skills.")
        }
        const missing = yield* hai(["skills", "get", "no-such-skill"])
        assert.strictEqual(missing.code, 1)
        assert.match(missing.stderr, /^Error: .*404/)
      }))
  })
})
