/**
 * The workspace's packages (`packages/*`), read from their package.json files, in dependency
 * order (a package comes after the workspace packages it depends on).
 */
import * as Fs from "node:fs"
import * as Path from "node:path"

export const root = Path.join(import.meta.dirname, "../..")

export interface Manifest {
  readonly name: string
  readonly version: string
  readonly private?: boolean
  readonly scripts?: Record<string, string>
  readonly dependencies?: Record<string, string>
  readonly devDependencies?: Record<string, string>
  readonly peerDependencies?: Record<string, string>
  readonly [key: string]: unknown
}

export interface Package {
  readonly name: string
  readonly dir: string
  readonly manifest: Manifest
  /** Workspace packages this one imports at run time or in its types. */
  readonly workspaceDependencies: ReadonlyArray<string>
}

const isWorkspace = (range: string) => range.startsWith("workspace:")

export const packages = (): ReadonlyArray<Package> => {
  const base = Path.join(root, "packages")
  const found: Array<Package> = []
  for (const entry of Fs.readdirSync(base).sort()) {
    const file = Path.join(base, entry, "package.json")
    if (!Fs.existsSync(file)) continue
    const manifest: Manifest = JSON.parse(Fs.readFileSync(file, "utf8"))
    const ranges = { ...manifest.peerDependencies, ...manifest.devDependencies, ...manifest.dependencies }
    found.push({
      name: manifest.name,
      dir: Path.join(base, entry),
      manifest,
      workspaceDependencies: Object.keys(ranges).filter((name) => isWorkspace(ranges[name])).sort()
    })
  }
  const ordered: Array<Package> = []
  const visiting = new Set<string>()
  const visit = (pkg: Package) => {
    if (ordered.includes(pkg)) return
    if (visiting.has(pkg.name)) throw new Error(`workspace dependency cycle through ${pkg.name}`)
    visiting.add(pkg.name)
    for (const name of pkg.workspaceDependencies) {
      const dep = found.find((p) => p.name === name)
      if (dep !== undefined) visit(dep)
    }
    ordered.push(pkg)
  }
  for (const pkg of found) visit(pkg)
  return ordered
}
