import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import { EmulatorLive, hai, tempDir } from "./support/Harness.js"

const read = (path: string) => JSON.parse(Fs.readFileSync(path, "utf8"))

describe("hai mcp install", () => {
  layer(EmulatorLive, { excludeTestServices: true })((it) => {
    it.effect("writes each client's config with `hai mcp serve` and no key", () =>
      Effect.gen(function*() {
        const home = tempDir()
        const cwd = tempDir()
        const env = { HAI_API_KEY: "hk-secret-key-9999" }
        const expected = {
          cursor: [Path.join(home, ".cursor", "mcp.json"), "mcpServers", { command: "hai", args: ["mcp", "serve"] }],
          vscode: [Path.join(cwd, ".vscode", "mcp.json"), "servers", {
            type: "stdio",
            command: "hai",
            args: ["mcp", "serve"]
          }],
          "claude-code": [Path.join(home, ".claude.json"), "mcpServers", {
            type: "stdio",
            command: "hai",
            args: ["mcp", "serve"],
            env: {}
          }],
          windsurf: [Path.join(home, ".codeium", "windsurf", "mcp_config.json"), "mcpServers", {
            command: "hai",
            args: ["mcp", "serve"]
          }]
        } as const
        const before = yield* hai(["mcp", "install", "list", "--json"], { env, home, cwd })
        assert.isTrue(before.json()[0].clients.every((c: any) => !c.installed))
        for (const [client, [path, key, entry]] of Object.entries(expected)) {
          const r = yield* hai(["mcp", "install", client], { env, home, cwd })
          assert.strictEqual(r.code, 0, r.stderr)
          assert.include(r.stdout, path)
          const config = read(path)
          assert.deepStrictEqual(config[key].hai, entry)
          const text = Fs.readFileSync(path, "utf8")
          assert.notInclude(text, "hk-")
          assert.notInclude(text, "HAI_API_KEY")
        }
        const after = yield* hai(["mcp", "install", "--json"], { env, home, cwd })
        assert.isTrue(after.json()[0].clients.every((c: any) => c.installed))
      }))

    it.effect("keeps the other entries and settings of an existing file; --command and --name", () =>
      Effect.gen(function*() {
        const home = tempDir()
        const path = Path.join(home, ".claude.json")
        Fs.writeFileSync(path, JSON.stringify({ theme: "dark", mcpServers: { other: { command: "x" } } }))
        const r = yield* hai(
          ["mcp", "install", "claude-code", "--name", "hai-dev", "--command", "npx tsx /src/bin.ts"],
          {
            home
          }
        )
        assert.strictEqual(r.code, 0, r.stderr)
        const config = read(path)
        assert.strictEqual(config.theme, "dark")
        assert.deepStrictEqual(config.mcpServers.other, { command: "x" })
        assert.deepStrictEqual(config.mcpServers["hai-dev"].args, ["tsx", "/src/bin.ts", "mcp", "serve"])
        assert.strictEqual(config.mcpServers["hai-dev"].command, "npx")
      }))

    it.effect("refuses to overwrite a file that is not JSON", () =>
      Effect.gen(function*() {
        const home = tempDir()
        const path = Path.join(home, ".cursor", "mcp.json")
        Fs.mkdirSync(Path.dirname(path), { recursive: true })
        Fs.writeFileSync(path, "{ not json")
        const r = yield* hai(["mcp", "install", "cursor"], { home })
        assert.strictEqual(r.code, 1)
        assert.match(r.stderr, /^Error: Cannot read .*mcp\.json/)
        assert.strictEqual(Fs.readFileSync(path, "utf8"), "{ not json")
      }))
  })
})
