/**
 * Records every help invocation of the command tree, rendered by the CLI itself, as the
 * {@link FastHelp.HelpTable} the executable's entry serves. The build runs {@link record}; the
 * tests compare its table with the executable's output.
 *
 * @internal
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Cli from "../Cli.js"
import * as Render from "../Render.js"
import type * as FastHelp from "./fastHelp.js"
import { keyOf } from "./fastHelp.js"
import * as LazyHttpClient from "./lazyHttpClient.js"

/** What the CLI prints for `hai ...args`, its stdout a terminal (`ansi`) or not. */
export const render = (args: ReadonlyArray<string>, ansi: boolean) =>
  Effect.gen(function*() {
    const output = Render.capture({ stdoutTTY: ansi })
    const code = yield* Cli.main(["node", "hai", ...args]).pipe(
      Effect.provideService(Render.Output, output.service),
      // Neither NO_COLOR nor TERM=dumb: the terminal alone decides.
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map())),
      Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer, LazyHttpClient.layer))
    )
    return { stdout: output.stdout(), stderr: output.stderr(), code }
  })

/**
 * The commands of the tree (`[]`, `["sessions"]`, `["sessions", "list"]`, ...), as the root help
 * lists them: a line `  - sessions list [options] <args>` per command.
 */
export const commands = Effect.map(render(["--help"], false), ({ stdout }) => {
  const listed = stdout.slice(stdout.indexOf("\nCOMMANDS\n")).split("\n").flatMap((line) => {
    const match = /^ {2}- (\S.*)$/.exec(line)
    if (match === null) return []
    const words = match[1]!.split(" ")
    const end = words.findIndex((word) => !/^[a-z][a-z0-9-]*$/.test(word))
    return [words.slice(0, end === -1 ? words.length : end)]
  })
  return [[], ...listed] as ReadonlyArray<ReadonlyArray<string>>
})

/** The help invocations: `--help` and `-h` after every command. */
export const invocations = Effect.map(
  commands,
  (paths) => paths.flatMap((path) => [[...path, "--help"], [...path, "-h"]])
)

/** Renders every help invocation both ways; fails if one writes to stderr (nothing to record). */
export const record = Effect.gen(function*() {
  const texts: Array<string> = []
  const indexOf = (text: string) => {
    const at = texts.indexOf(text)
    return at === -1 ? texts.push(text) - 1 : at
  }
  const recorded: Record<string, FastHelp.Recorded> = {}
  for (const args of yield* invocations) {
    const plain = yield* render(args, false)
    const ansi = yield* render(args, true)
    if (plain.stderr !== "" || ansi.stderr !== "" || plain.code !== ansi.code) {
      return yield* Effect.dieMessage(`hai ${args.join(" ")} writes to stderr or its exit code depends on colour`)
    }
    recorded[keyOf(args)] = { plain: indexOf(plain.stdout), ansi: indexOf(ansi.stdout), code: plain.code }
  }
  return { texts, invocations: recorded } satisfies FastHelp.HelpTable
})
