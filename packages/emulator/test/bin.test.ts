import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../../", import.meta.url))

describe("bin", () => {
  it.live("`emulator --port 0` prints its URL and key, and serves", () =>
    Effect.acquireUseRelease(
      Effect.sync(() =>
        spawn(process.execPath, ["--import", "tsx", "packages/emulator/src/bin/emulator.ts", "--port", "0"], {
          cwd: root,
          stdio: ["ignore", "pipe", "pipe"]
        })
      ),
      (child) =>
        Effect.gen(function*() {
          const output = yield* Effect.async<string>((resume) => {
            let buf = ""
            child.stdout!.on("data", (d) => {
              buf += String(d)
              if (buf.includes("HAI_API_KEY=")) resume(Effect.succeed(buf))
            })
          })
          const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output)?.[1]
          assert.isString(url)
          assert.include(output, "HAI_API_KEY=hk-emulator")
          const res = yield* Effect.promise(() =>
            fetch(`${url}/api/v2/sessions/quota`, { headers: { authorization: "Bearer hk-emulator" } })
          )
          assert.strictEqual(res.status, 200)
        }),
      (child) => Effect.sync(() => child.kill("SIGTERM"))
    ), 30_000)
})
