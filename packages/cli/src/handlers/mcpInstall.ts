/**
 * What `hai mcp install` does (the command is `../commands/mcp.ts`): registers `hai mcp serve` in
 * an MCP client's config file. No API key is ever written there: the server resolves its
 * credentials itself.
 *
 * @since 0.1.0
 */
import * as Credentials from "@hai-effect/platform-node/Credentials"
import * as Effect from "effect/Effect"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { CliError } from "../CliError.js"
import type * as McpCommand from "../commands/mcp.js"
import * as Global from "../Global.js"
import * as Render from "../Render.js"

/**
 * The MCP clients `hai mcp install` knows.
 *
 * @since 0.1.0
 * @category Models
 */
export type Client = "cursor" | "vscode" | "claude-code" | "windsurf"

/**
 * Where a client keeps its MCP servers and how an entry looks.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Target {
  readonly client: Client
  /** The config file, from the home and working directories. */
  readonly path: (location: Credentials.LocationService) => string
  /** The object of the file that maps server names to entries. */
  readonly key: "mcpServers" | "servers"
  readonly entry: (command: string, args: ReadonlyArray<string>) => Record<string, unknown>
}

/**
 * The well-known config files: Cursor `~/.cursor/mcp.json`, VS Code `.vscode/mcp.json` (in the
 * working directory), Claude Code `~/.claude.json`, Windsurf `~/.codeium/windsurf/mcp_config.json`.
 *
 * @since 0.1.0
 * @category Constants
 */
export const targets: ReadonlyArray<Target> = [
  {
    client: "cursor",
    path: ({ home }) => Path.join(home, ".cursor", "mcp.json"),
    key: "mcpServers",
    entry: (command, args) => ({ command, args })
  },
  {
    client: "vscode",
    path: ({ cwd }) => Path.join(cwd, ".vscode", "mcp.json"),
    key: "servers",
    entry: (command, args) => ({ type: "stdio", command, args })
  },
  {
    client: "claude-code",
    path: ({ home }) => Path.join(home, ".claude.json"),
    key: "mcpServers",
    entry: (command, args) => ({ type: "stdio", command, args, env: {} })
  },
  {
    client: "windsurf",
    path: ({ home }) => Path.join(home, ".codeium", "windsurf", "mcp_config.json"),
    key: "mcpServers",
    entry: (command, args) => ({ command, args })
  }
]

const readConfig = (path: string) =>
  Effect.tryPromise({
    try: async () => {
      try {
        const text = await Fs.readFile(path, "utf8")
        return text.trim().length === 0 ? {} : (JSON.parse(text) as Record<string, unknown>)
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined
        throw e
      }
    },
    catch: (e) =>
      new CliError({
        message: `Cannot read ${path}: ${e instanceof Error ? e.message : String(e)}`,
        hint: "Fix or move the file, then run the command again; it was left untouched."
      })
  })

/**
 * Adds (or replaces) the server entry `name` in a target's config file, keeping everything else.
 * Succeeds with the path written.
 *
 * @since 0.1.0
 * @category Install
 */
export const install = Effect.fn("Mcp.install")(function*(
  target: Target,
  options: { readonly name: string; readonly command: string; readonly args: ReadonlyArray<string> }
) {
  const location = yield* Credentials.Location
  const path = target.path(location)
  const existing = (yield* readConfig(path)) ?? {}
  if (typeof existing !== "object" || existing === null || Array.isArray(existing)) {
    return yield* new CliError({ message: `${path} does not hold a JSON object; it was left untouched.` })
  }
  const servers = existing[target.key]
  const next = {
    ...existing,
    [target.key]: {
      ...(servers !== null && typeof servers === "object" ? servers : {}),
      [options.name]: target.entry(options.command, options.args)
    }
  }
  yield* Effect.tryPromise({
    try: async () => {
      await Fs.mkdir(Path.dirname(path), { recursive: true })
      const temporary = `${path}.${process.pid}.tmp`
      await Fs.writeFile(temporary, `${JSON.stringify(next, null, 2)}\n`, { mode: 0o600 })
      await Fs.rename(temporary, path)
    },
    catch: (e) => new CliError({ message: `Cannot write ${path}: ${String(e)}` })
  })
  return path
})

/**
 * Whether a target's config file already has the entry `name`.
 *
 * @since 0.1.0
 * @category Install
 */
export const installed = (target: Target, name: string) =>
  Effect.gen(function*() {
    const location = yield* Credentials.Location
    const path = target.path(location)
    const config = yield* readConfig(path).pipe(Effect.orElseSucceed(() => undefined))
    const servers = config?.[target.key] as Record<string, unknown> | undefined
    return { path, installed: servers !== undefined && servers !== null && name in servers }
  })

/**
 * Lists the clients and whether each has the entry, or adds the entry to one.
 *
 * @since 0.1.0
 * @category Handlers
 */
export const installOrList = (o: McpCommand.InstallParsed) =>
  Effect.gen(function*() {
    const { json } = yield* Global.globals
    if (o.client === "list") {
      const rows = yield* Effect.forEach(targets, (t) =>
        Effect.map(installed(t, o.name), (s) => ({ client: t.client, ...s })))
      if (json) {
        return yield* Render.json({ clients: rows })
      }
      yield* Render.line(Render.table(
        ["CLIENT", "INSTALLED", "CONFIG"],
        rows.map((r) => [r.client, r.installed ? "yes" : "no", r.path])
      ))
      return yield* Render.info("Install with: hai mcp install <client>")
    }
    const target = targets.find((t) =>
      t.client === o.client
    )!
    const [command, ...prefix] = o.command.split(/\s+/).filter((s) => s.length > 0)
    const path = yield* install(target, { name: o.name, command: command ?? "hai", args: [...prefix, "mcp", "serve"] })
    if (json) return yield* Render.json({ client: o.client, path, name: o.name })
    yield* Render.line(`Added the "${o.name}" MCP server to ${o.client}: ${path}`)
    yield* Render.info("It finds the API key itself (HAI_API_KEY or `hai login`); none was written to the file.")
  })
