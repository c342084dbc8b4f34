import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { Credentials } from "../src/index.js"
import { tempDir, withEnv, writeFile } from "./utils.js"

const sandbox = Effect.gen(function*() {
  const root = yield* tempDir()
  const home = Path.join(root, "home")
  const userFile = Path.join(home, ".config", "hai", ".env")
  const run = <A, E, R>(effect: Effect.Effect<A, E, R>, env: Record<string, string> = {}) =>
    effect.pipe(Effect.provideService(Credentials.Location, { cwd: root, home }), withEnv(env))
  return { userFile, run }
})

describe("Credentials: what logout forgets", () => {
  it.scoped("stored reads the user file alone: whether it holds a key, and its base URL", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      assert.deepStrictEqual(yield* s.run(Credentials.stored), { path: s.userFile, hasKey: false, baseUrl: undefined })
      yield* Effect.promise(() => writeFile(s.userFile, "H_API_KEY=k\nHAI_API_BASE_URL= https://agp.hcompany.ai \n"))
      // The environment does not count: this is what the file holds.
      const found = yield* s.run(Credentials.stored, { HAI_API_BASE_URL: "http://elsewhere" })
      assert.deepStrictEqual(found, { path: s.userFile, hasKey: true, baseUrl: "https://agp.hcompany.ai" })
    }))

  it.scoped("remove({ baseUrl: true }) also drops the saved base URL, and keeps other lines", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* s.run(Credentials.save({ apiKey: "k", baseUrl: "https://agp.hcompany.ai" }))
      assert.isTrue(yield* s.run(Credentials.remove({ baseUrl: true })))
      assert.isFalse(yield* Effect.promise(() => Fs.access(s.userFile).then(() => true, () => false)))

      yield* Effect.promise(() => writeFile(s.userFile, "OTHER=1\nHAI_API_BASE_URL=https://agp.hcompany.ai\n"))
      assert.isFalse(yield* s.run(Credentials.remove()))
      assert.isTrue(yield* s.run(Credentials.remove({ baseUrl: true })))
      assert.strictEqual(yield* Effect.promise(() => Fs.readFile(s.userFile, "utf8")), "OTHER=1\n")
    }))
})
