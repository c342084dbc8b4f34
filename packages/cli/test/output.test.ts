import { assert, describe, layer } from "@effect/vitest"
import { Effect } from "effect"
import { EmulatorLive, hai } from "./support/Harness.js"

const escape = "\x1b["

/** Every command path of the tree, for `--help`. */
const commands = [
  [],
  ["run"],
  ["sessions"],
  ...["list", "get", "status", "events", "watch", "send", "pause", "resume", "force-answer", "cancel", "share"].map(
    (c) => ["sessions", c]
  ),
  ["agents", "list"],
  ["agents", "get"],
  ["skills", "list"],
  ["skills", "get"],
  ["login"],
  ["logout"],
  ["whoami"],
  ["doctor"],
  ["mcp", "serve"],
  ["mcp", "install"],
  ["emulator"]
]

describe("what hai prints", () => {
  layer(EmulatorLive, { excludeTestServices: true })((it) => {
    it.effect("help: a description for every option and argument, no placeholder, no escapes when piped", () =>
      Effect.gen(function*() {
        for (const path of commands) {
          const r = yield* hai([...path, "--help"])
          assert.strictEqual(r.code, 0, `${path.join(" ")}: ${r.stderr}`)
          assert.include(r.stdout, "USAGE", path.join(" "))
          assert.notInclude(r.stdout, "A user-defined piece of text", path.join(" "))
          assert.notMatch(r.stdout, /^ {2}(An integer|A true or false value)\.$/m, path.join(" "))
          assert.notInclude(r.stdout, escape, path.join(" "))
        }
      }))

    it.effect("on a terminal, help is styled, unless NO_COLOR is set", () =>
      Effect.gen(function*() {
        const styled = yield* hai(["run", "--help"], { stdoutTTY: true })
        assert.include(styled.stdout, escape)
        assert.notInclude(styled.stdout, "A user-defined piece of text")
        const plain = yield* hai(["run", "--help"], { stdoutTTY: true, env: { NO_COLOR: "1" } })
        assert.notInclude(plain.stdout, escape)
        assert.include(plain.stdout, "--agent text")
      }))

    it.effect("NO_COLOR or TERM=dumb: no escapes on a terminal, the run's spinner included", () =>
      Effect.gen(function*() {
        for (const env of [{ NO_COLOR: "1" }, { TERM: "dumb" }]) {
          const r = yield* hai(["run", "Spin", "--max-steps", "3"], {
            stdoutTTY: true,
            stderrTTY: true,
            env: { HAI_API_KEY: "hk-emulator", ...env }
          })
          assert.strictEqual(r.code, 0, r.stderr)
          assert.notInclude(r.stderr + r.stdout, escape, JSON.stringify(env))
          assert.match(r.stderr, /\n\s+\d+ AgentEvent/)
        }
        // An empty NO_COLOR does not count (https://no-color.org).
        const empty = yield* hai(["run", "Spin", "--max-steps", "3"], {
          stderrTTY: true,
          env: { HAI_API_KEY: "hk-emulator", NO_COLOR: "" }
        })
        assert.include(empty.stderr, escape)
      }))

    it.effect("a usage error is plain text when piped", () =>
      Effect.gen(function*() {
        const r = yield* hai(["nonsense"])
        assert.strictEqual(r.code, 2)
        assert.include(r.stderr, "Invalid subcommand")
        assert.notInclude(r.stderr + r.stdout, escape)
      }))

    it.effect("global options before the subcommand, in any order, --log-level included", () =>
      Effect.gen(function*() {
        for (
          const args of [
            ["--log-level", "debug", "whoami", "--json"],
            ["--json", "--log-level", "debug", "whoami"],
            ["--api-key", "hk-emulator", "--log-level=debug", "--json", "whoami"],
            ["whoami", "--log-level", "debug", "--json"]
          ]
        ) {
          const r = yield* hai(args)
          assert.strictEqual(r.code, 0, `${args.join(" ")}: ${r.stderr}`)
          assert.strictEqual(r.json()[0].quota.limit, 10, args.join(" "))
          // Debug logging shows each request and its status, never the key.
          assert.match(r.stderr, /^debug: → GET \S+\/api\/v2\/sessions\/quota\n/m, args.join(" "))
          assert.match(r.stderr, /^debug: ← 200 GET \S+\/api\/v2\/sessions\/quota\n/m, args.join(" "))
          assert.notInclude(r.stderr, "hk-emulator")
        }
        const quiet = yield* hai(["--json", "whoami"])
        assert.strictEqual(quiet.stderr, "")
        const bad = yield* hai(["--log-level", "loud", "whoami"])
        assert.strictEqual(bad.code, 2)
        assert.match(bad.stderr, /^Error: Invalid --log-level "loud": use one of all, trace, debug/)
      }))
  })
})
