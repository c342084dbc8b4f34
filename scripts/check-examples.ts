/**
 * Type-checks every JSDoc `@example` of `packages/*\/src`: each example becomes a module of its
 * own (fenced ```ts blocks, or the raw text of an unfenced example) under `.build/examples/`, and
 * one TypeScript program checks them all, importing the packages as a user would
 * (`@hai-effect/core`, `effect`, ...). Errors point at the example's line in the source.
 *
 *   pnpm check-examples
 *
 * An example may use names it does not declare only if it declares them (`declare const id: string`).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import ts from "typescript"
import { packages, root } from "./support/workspace.js"

const outDir = Path.join(root, ".build/examples")
Fs.rmSync(outDir, { recursive: true, force: true })

interface Example {
  readonly file: string
  readonly source: string
  /** 0-based line in `source` of the example's first line. */
  readonly line: number
}

const examples: Array<Example> = []

const sourceFiles = (dir: string): Array<string> =>
  Fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = Path.join(dir, entry.name)
    return entry.isDirectory() ? sourceFiles(path) : entry.name.endsWith(".ts") ? [path] : []
  })

for (const pkg of packages()) {
  const src = Path.join(pkg.dir, "src")
  if (!Fs.existsSync(src)) continue
  for (const source of sourceFiles(src)) {
    const lines = Fs.readFileSync(source, "utf8").split("\n")
    let inComment = false
    let current: { start: number; body: Array<string> } | undefined
    const finish = () => {
      if (current === undefined) return
      const { body, start } = current
      current = undefined
      const fenceStart = body.findIndex((l) => /^```(ts|typescript)?\s*$/.test(l.trim()))
      const blocks: Array<{ line: number; code: Array<string> }> = []
      if (fenceStart === -1) {
        blocks.push({ line: start, code: body })
      } else {
        let open: { line: number; code: Array<string> } | undefined
        body.forEach((l, i) => {
          if (/^```/.test(l.trim())) {
            if (open === undefined) open = { line: start + i + 1, code: [] }
            else {
              blocks.push(open)
              open = undefined
            }
          } else if (open !== undefined) open.code.push(l)
        })
      }
      for (const block of blocks) {
        if (block.code.every((l) => l.trim() === "")) continue
        const rel = Path.relative(root, source).replace(/\.ts$/, "")
        const file = Path.join(outDir, `${rel}.${block.line + 1}.ts`)
        Fs.mkdirSync(Path.dirname(file), { recursive: true })
        Fs.writeFileSync(file, block.code.join("\n") + "\nexport {}\n")
        examples.push({ file, source, line: block.line })
      }
    }
    lines.forEach((raw, i) => {
      const trimmed = raw.trim()
      if (!inComment && trimmed.startsWith("/**")) inComment = true
      if (!inComment) return
      const ends = trimmed.endsWith("*/")
      const text = raw.replace(/^\s*\/\*\*\s?/, "").replace(/\s*\*\/\s*$/, "").replace(/^\s*\* ?/, "")
      if (/^@example\b/.test(text.trim())) {
        finish()
        current = { start: i + 1, body: [] }
        const rest = text.trim().slice("@example".length).trim()
        if (rest !== "") current.body.push(rest)
      } else if (/^@\w+/.test(text.trim()) && !/^```/.test(text.trim())) {
        finish()
      } else if (current !== undefined && !(ends && text.trim() === "")) {
        current.body.push(text)
      }
      if (ends) {
        finish()
        inComment = false
      }
    })
  }
}

const base = ts.readConfigFile(Path.join(root, "tsconfig.base.json"), ts.sys.readFile).config
const { options } = ts.convertCompilerOptionsFromJson(
  { ...base.compilerOptions, noEmit: true, noUnusedLocals: false, noUnusedParameters: false, types: ["node"] },
  root
)
const started = performance.now()
const program = ts.createProgram(examples.map((e) => e.file), options)
const diagnostics = ts.getPreEmitDiagnostics(program).filter((d) =>
  d.file === undefined || d.file.fileName.startsWith(outDir)
)

for (const d of diagnostics) {
  const message = ts.flattenDiagnosticMessageText(d.messageText, "\n")
  if (d.file === undefined || d.start === undefined) {
    console.error(message)
    continue
  }
  const example = examples.find((e) => Path.resolve(e.file) === Path.resolve(d.file!.fileName))!
  const { character, line } = d.file.getLineAndCharacterOfPosition(d.start)
  console.error(
    `${Path.relative(root, example.source)}:${example.line + line + 1}:${character + 1} (@example): ${message}`
  )
}

const seconds = ((performance.now() - started) / 1000).toFixed(1)
if (diagnostics.length > 0) {
  console.error(`\n${diagnostics.length} error(s) in ${examples.length} examples`)
  process.exitCode = 1
} else {
  console.log(`${examples.length} JSDoc examples type-check (${seconds} s)`)
}
