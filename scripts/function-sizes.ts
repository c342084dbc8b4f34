/**
 * Prints the largest hand-written functions of a package's `src/` by line count, so the "no function
 * over N lines" rule can be checked and its figures reproduced.
 *
 *   pnpm function-sizes [--top N] [--max N] [dir]
 *
 * `dir` defaults to `packages/core/src`. Generated modules (`Wire.ts`, `internal/endpoints.ts`) are
 * skipped. A function's size is the span of its lines, from its first token to its closing brace,
 * nested functions included (a callback inside a function counts towards it too). With `--max N`
 * the script exits 1 when any function is longer than N lines.
 */
import * as Fs from "node:fs"
import * as Path from "node:path"
import ts from "typescript"

const args = process.argv.slice(2)
const option = (name: string): number | undefined => {
  const index = args.indexOf(name)
  if (index === -1) return undefined
  const value = Number(args[index + 1])
  args.splice(index, 2)
  return value
}
const top = option("--top") ?? 10
const max = option("--max")
const root = Path.resolve(args[0] ?? "packages/core/src")
const generated = new Set(["Wire.ts", Path.join("internal", "endpoints.ts")])

const files = (dir: string): ReadonlyArray<string> =>
  Fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = Path.join(dir, entry.name)
    if (entry.isDirectory()) return files(path)
    return entry.name.endsWith(".ts") && !generated.has(Path.relative(root, path)) ? [path] : []
  })

interface Sized {
  readonly lines: number
  readonly where: string
  readonly name: string
}

// The name a reader would search for: the declaration's own, or the variable/property it is bound to.
const nameOf = (node: ts.Node): string => {
  if ((ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name !== undefined) {
    return node.name.getText()
  }
  let parent: ts.Node | undefined = node.parent
  while (parent !== undefined && (ts.isCallExpression(parent) || ts.isParenthesizedExpression(parent))) {
    parent = parent.parent
  }
  if (parent !== undefined && (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent))) {
    return parent.name.getText()
  }
  return "<anonymous>"
}

const sizes: Array<Sized> = []
for (const file of files(root)) {
  const source = ts.createSourceFile(file, Fs.readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true)
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) && "body" in node && node.body !== undefined) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line
      sizes.push({
        lines: end - start + 1,
        where: `${Path.relative(process.cwd(), file)}:${start + 1}`,
        name: nameOf(node)
      })
    }
    ts.forEachChild(node, visit)
  }
  visit(source)
}

sizes.sort((a, b) => b.lines - a.lines)
for (const { lines, name, where } of sizes.slice(0, top)) {
  console.log(`${String(lines).padStart(5)}  ${name.padEnd(28)} ${where}`)
}
if (max !== undefined) {
  const over = sizes.filter((sized) => sized.lines > max)
  if (over.length > 0) {
    console.log(`\n${over.length} function(s) over ${max} lines`)
    process.exitCode = 1
  }
}
