import { assert, describe, it } from "@effect/vitest"
import { HaiAgents } from "@hai-effect/core"
import type { Layer } from "effect"
import { Cause, Effect, Exit, Option } from "effect"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import * as Path from "node:path"
import * as util from "node:util"
import { Credentials, NodeHai } from "../src/index.js"
import { captureLogs, tempDir, withEnv, writeFile } from "./utils.js"

interface Seen {
  readonly method: string | undefined
  readonly url: string | undefined
  readonly authorization: string | undefined
  readonly userAgent: string | undefined
}

/** A real HTTP server on 127.0.0.1, on a free port, closed with the scope. */
const quotaServer = Effect.acquireRelease(
  Effect.async<{ readonly url: string; readonly seen: Array<Seen>; readonly server: Http.Server }>((resume) => {
    const seen: Array<Seen> = []
    const server = Http.createServer((req, res) => {
      seen.push({
        method: req.method,
        url: req.url,
        authorization: req.headers.authorization,
        userAgent: req.headers["user-agent"]
      })
      if (req.method === "GET" && req.url?.endsWith("/api/v2/sessions/quota")) {
        res.writeHead(200, { "content-type": "application/json" })
        res.end(JSON.stringify({ scope: "org", limit: 10, active: 0, available: 10 }))
      } else {
        res.writeHead(404, { "content-type": "application/json" })
        res.end(JSON.stringify({ detail: "Not Found" }))
      }
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, seen, server }))
    })
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
)

const quota = Effect.flatMap(HaiAgents.HaiAgents, (hai) => hai.sessions.quota())

describe("NodeHai", () => {
  it.scopedLive("layer: GET /api/v2/sessions/quota through the real undici client", () =>
    Effect.gen(function*() {
      const server = yield* quotaServer
      const result = yield* quota.pipe(
        Effect.provide(NodeHai.layer({ apiKey: "hk-smoke", baseUrl: `${server.url}/prefix/` }))
      )
      assert.deepStrictEqual(
        { scope: result.scope, limit: result.limit, active: result.active, available: result.available },
        { scope: "org", limit: 10, active: 0, available: 10 }
      )
      assert.strictEqual(server.seen.length, 1)
      assert.strictEqual(server.seen[0].method, "GET")
      assert.strictEqual(server.seen[0].url, "/prefix/api/v2/sessions/quota")
      assert.strictEqual(server.seen[0].authorization, "Bearer hk-smoke")
      assert.match(server.seen[0].userAgent ?? "", /hai/i)
    }))

  it.scopedLive("layerConfig: credentials from the user file and HAI_API_BASE_URL, nothing else to provide", () =>
    Effect.gen(function*() {
      const server = yield* quotaServer
      const root = yield* tempDir()
      const home = Path.join(root, "home")
      yield* Effect.promise(() => writeFile(Path.join(home, ".config", "hai", ".env"), "HAI_API_KEY=hk-from-file\n"))
      const layer: Layer.Layer<HaiAgents.HaiAgents, Credentials.ResolveError> = NodeHai.layerConfig()
      const result = yield* quota.pipe(
        Effect.provide(layer),
        Effect.provideService(Credentials.Location, { cwd: Path.join(root, "cwd"), home }),
        withEnv({ HAI_API_BASE_URL: server.url })
      )
      assert.strictEqual(result.available, 10)
      assert.strictEqual(server.seen[0].authorization, "Bearer hk-from-file")
    }))

  it.scopedLive("layerConfig: an explicit key wins; no key at all fails the layer with MissingApiKey", () =>
    Effect.gen(function*() {
      const server = yield* quotaServer
      const root = yield* tempDir()
      const location = { cwd: root, home: root }
      yield* quota.pipe(
        Effect.provide(NodeHai.layerConfig({ apiKey: "hk-explicit", baseUrl: server.url })),
        Effect.provideService(Credentials.Location, location),
        withEnv({ HAI_API_KEY: "hk-env" })
      )
      assert.strictEqual(server.seen[0].authorization, "Bearer hk-explicit")

      const { exit, logs } = yield* captureLogs(
        quota.pipe(
          Effect.provide(NodeHai.layerConfig({ baseUrl: server.url })),
          Effect.provideService(Credentials.Location, location),
          withEnv({})
        )
      )
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        assert.strictEqual(error?._tag, "MissingApiKey")
      }
      assert.deepStrictEqual(logs, [])
      assert.strictEqual(server.seen.length, 1)
    }))

  it.scopedLive("layerConfig: a key pasted into HAI_API_BASE_URL is a typed error that never shows it (17.10)", () =>
    Effect.gen(function*() {
      const root = yield* tempDir()
      const pasted = "hk-PASTED-0123456789abcdef"
      for (const value of [pasted, `ftp://${pasted}`]) {
        const exit = yield* quota.pipe(
          Effect.provide(NodeHai.layerConfig({ apiKey: "hk-explicit" })),
          Effect.provideService(Credentials.Location, { cwd: root, home: root }),
          withEnv({ HAI_API_BASE_URL: value }),
          Effect.exit
        )
        assert.isTrue(Exit.isFailure(exit))
        if (Exit.isFailure(exit)) {
          const error = Cause.failureOption(exit.cause)
          assert.isTrue(Option.isSome(error) && error.value._tag === "InvalidBaseUrl", String(exit.cause))
          const shown = [
            Cause.pretty(exit.cause),
            String(exit.cause),
            util.inspect(exit.cause, { depth: 20, showHidden: true }),
            JSON.stringify(Option.getOrUndefined(error)),
            Option.isSome(error) ? error.value.message : ""
          ]
          for (const text of shown) {
            assert.notInclude(text, pasted.slice(3))
            assert.include(shown[4], "env:HAI_API_BASE_URL")
          }
        }
      }
    }))
})
