/**
 * The executable prints the help recorded at build time (src/internal/fastHelp.ts) without loading
 * the CLI: it must be the very text the CLI prints, for every recorded invocation and both colour
 * modes, and anything else must reach the CLI.
 */
import { assert, beforeAll, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import { execFile } from "node:child_process"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as FastHelp from "../src/internal/fastHelp.js"
import * as HelpTable from "../src/internal/helpTable.js"
import * as Binary from "./support/Binary.js"
import { tempDir } from "./support/Harness.js"

let executable: Binary.Executable
let table: FastHelp.HelpTable
/** A module that makes stdout look like a terminal, preloaded through NODE_OPTIONS. */
let asTerminal: string
beforeAll(async () => {
  executable = await Binary.executable()
  const entry = Fs.realpathSync(executable.argv[executable.argv.length - 1]!)
  table = JSON.parse(Fs.readFileSync(Path.join(Path.dirname(entry), "help.json"), "utf8"))
  asTerminal = Path.join(tempDir(), "as-terminal.mjs")
  Fs.writeFileSync(asTerminal, `Object.defineProperty(process.stdout, "isTTY", { value: true })\n`)
}, 120_000)

interface Ran {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

const run = (
  argv: ReadonlyArray<string>,
  args: ReadonlyArray<string>,
  options: { readonly fast: boolean; readonly terminal: boolean; readonly env?: Record<string, string> }
) =>
  new Promise<Ran>((resolve) => {
    const [command, ...prefix] = argv
    execFile(command!, [...prefix, ...args], {
      encoding: "utf8",
      cwd: tempDir(),
      env: {
        PATH: process.env.PATH ?? "/usr/bin:/bin",
        HOME: tempDir(),
        ...(options.fast ? {} : { [FastHelp.disableVariable]: "1" }),
        ...(options.terminal ? { NODE_OPTIONS: `--import=${asTerminal}` } : {}),
        ...options.env
      },
      timeout: 60_000
    }, (error, stdout, stderr) => {
      resolve({ code: error === null ? 0 : typeof error.code === "number" ? error.code : -1, stdout, stderr })
    })
  })

/** Runs `f` on every item, a few at a time. */
const each = async <A>(items: ReadonlyArray<A>, f: (item: A) => Promise<void>) => {
  const queue = [...items]
  await Promise.all(Array.from({ length: 2 }, async () => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await f(item)
  }))
}

const recorded = () => Object.keys(table.invocations).map((key) => key.split("\u0000"))

describe("the recorded help", () => {
  it.effect("covers --help and -h of every command of the tree", () =>
    Effect.gen(function*() {
      const expected = (yield* HelpTable.invocations).map(FastHelp.keyOf)
      assert.includeMembers(
        expected,
        [["--help"], ["sessions", "list", "-h"], ["mcp", "serve", "--help"]].map(FastHelp.keyOf)
      )
      assert.sameMembers(Object.keys(table.invocations), expected)
    }))

  it.effect(
    "is what the CLI renders, byte for byte, for every invocation, on a pipe and on a terminal",
    () =>
      Effect.gen(function*() {
        for (const args of recorded()) {
          const entry = table.invocations[FastHelp.keyOf(args)]!
          for (const terminal of [false, true]) {
            const full = yield* HelpTable.render(args, terminal)
            const what = `hai ${args.join(" ")}${terminal ? " on a terminal" : ""}`
            assert.deepStrictEqual(
              { stdout: table.texts[terminal ? entry.ansi : entry.plain], code: entry.code, stderr: "" },
              full,
              what
            )
            assert.strictEqual(full.stdout.includes("\x1b["), terminal, what)
          }
        }
      }),
    120_000
  )

  // The in-process rendering above is the executable's, and the executable serves the table.
  it("is what the executable prints with the recorded help turned off", async () => {
    const sample = [["--help"], ["-h"], ["sessions", "--help"], ["sessions", "list", "--help"], ["mcp", "serve", "-h"]]
    const cases = sample.flatMap((args) => [{ args, terminal: false }, { args, terminal: true }])
    await each(cases, async ({ args, terminal }) => {
      const [fast, full] = await Promise.all([
        run(executable.argv, args, { fast: true, terminal }),
        run(executable.argv, args, { fast: false, terminal })
      ])
      const what = `hai ${args.join(" ")}${terminal ? " on a terminal" : ""}`
      assert.deepStrictEqual(fast, full, what)
      const entry = table.invocations[FastHelp.keyOf(args)]!
      assert.strictEqual(fast.stdout, table.texts[terminal ? entry.ansi : entry.plain], what)
    })
  }, 300_000)

  it("follows NO_COLOR and TERM=dumb on a terminal, as the CLI does", async () => {
    for (const env of [{ NO_COLOR: "1" }, { TERM: "dumb" }, { NO_COLOR: "" }]) {
      const [fast, full] = await Promise.all([
        run(executable.argv, ["run", "--help"], { fast: true, terminal: true, env }),
        run(executable.argv, ["run", "--help"], { fast: false, terminal: true, env })
      ])
      assert.deepStrictEqual(fast, full, JSON.stringify(env))
    }
  }, 120_000)

  it("is what the executable prints: a changed table changes its help", async () => {
    const entry = Fs.realpathSync(executable.argv[executable.argv.length - 1]!)
    const copy = Path.join(tempDir(), "bin")
    Fs.cpSync(Path.dirname(entry), copy, { recursive: true })
    const key = FastHelp.keyOf(["sessions", "--help"])
    const changed: FastHelp.HelpTable = {
      texts: [...table.texts, "recorded\n"],
      invocations: { ...table.invocations, [key]: { plain: table.texts.length, ansi: table.texts.length, code: 3 } }
    }
    Fs.writeFileSync(Path.join(copy, "help.json"), JSON.stringify(changed))
    const r = await run([process.execPath, Path.join(copy, "hai.js")], ["sessions", "--help"], {
      fast: true,
      terminal: false
    })
    assert.deepStrictEqual(r, { code: 3, stdout: "recorded\n", stderr: "" })
  }, 120_000)

  it("leaves any other argv to the CLI", async () => {
    const others = [
      ["--help", "--log-level", "debug"],
      ["--json", "run", "--help"],
      ["sesions", "--help"],
      ["run", "--help", "extra"],
      ["--log-level", "nope", "--help"],
      ["--version"]
    ]
    await each(others, async (args) => {
      assert.notProperty(table.invocations, FastHelp.keyOf(args))
      const [fast, full] = await Promise.all([
        run(executable.argv, args, { fast: true, terminal: false }),
        run(executable.argv, args, { fast: false, terminal: false })
      ])
      assert.deepStrictEqual(fast, full, args.join(" "))
    })
  }, 300_000)
})
