/**
 * `hai mcp serve` (the MCP server over stdio, or HTTP with `--http PORT`) and
 * `hai mcp install [cursor|vscode|claude-code|windsurf|list]`, which registers `hai mcp serve` in
 * an MCP client's config file. No API key is ever written there: the server resolves its
 * credentials itself.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpServer from "@effect/platform/HttpServer"
import * as HaiAgents from "@hai-effect/core/HaiAgents"
import * as HaiMcp from "@hai-effect/mcp/HaiMcp"
import * as HttpSecurity from "@hai-effect/mcp/HttpSecurity"
import * as Credentials from "@hai-effect/platform-node/Credentials"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Fs from "node:fs/promises"
import { createServer } from "node:http"
import * as Path from "node:path"
import { CliError } from "../CliError.js"
import * as Global from "../Global.js"
import * as Render from "../Render.js"

// =============================================================================
// serve
// =============================================================================

const formatHost = (host: string) => host.includes(":") ? `[${host}]` : host

// Every interface: no single name to add to the Host allow-list.
const isWildcard = (host: string) => host === "0.0.0.0" || host === "::" || host === "[::]"

/**
 * `hai mcp serve [--http PORT] [--host 127.0.0.1] [--path /mcp] [--allow-host NAME]...
 * [--allow-origin URL]... [--token TOKEN]`
 *
 * Over HTTP the server listens on loopback unless `--host` says otherwise, and then only with a
 * bearer token (`--token` or `HAI_MCP_TOKEN`). Requests are checked by `HttpSecurity.guard`.
 *
 * @since 0.1.0
 * @category Commands
 */
export const serve = Command.make("serve", {
  http: Options.integer("http").pipe(
    Options.withDescription("Serve streamable HTTP on this port instead of stdio (0 picks a free port)"),
    Options.optional
  ),
  host: Options.text("host").pipe(
    Options.withDescription("Address to listen on with --http; anything but loopback needs --token"),
    Options.withDefault("127.0.0.1")
  ),
  path: Options.text("path").pipe(Options.withDescription("HTTP path"), Options.withDefault("/mcp")),
  allowHost: Options.text("allow-host").pipe(
    Options.withDescription("Also accept this name in the Host header (repeatable; loopback always is)"),
    Options.repeated
  ),
  allowOrigin: Options.text("allow-origin").pipe(
    Options.withDescription("Also accept browser requests from this origin, e.g. https://app.example (repeatable)"),
    Options.repeated
  ),
  token: Options.redacted("token").pipe(
    Options.withDescription("Require Authorization: Bearer <token> on every HTTP request"),
    Options.withFallbackConfig(Config.redacted("HAI_MCP_TOKEN")),
    Options.optional
  )
}, (o) =>
  Effect.gen(function*() {
    const token = Option.filter(o.token, (t) => Redacted.value(t).length > 0)
    if (Option.isSome(o.http) && !HttpSecurity.isLoopbackHost(o.host) && Option.isNone(token)) {
      return yield* new CliError({
        message: `Listening on ${o.host} would let other machines use your API key.`,
        hint: "Pass --token <a long random string> (or set HAI_MCP_TOKEN), or keep the default --host 127.0.0.1."
      })
    }
    const found = yield* Global.credentials
    const client = yield* HaiAgents.make({ apiKey: found.apiKey, baseUrl: found.baseUrl, clientName: "hai-mcp" })
    const HaiLive = Layer.succeed(HaiAgents.HaiAgents, client)
    const info = { name: "hai", version: Global.version }
    if (Option.isSome(o.http)) {
      const allowedHosts = [...o.allowHost, ...(isWildcard(o.host) ? [] : [o.host])]
      const announce = Layer.effectDiscard(Effect.gen(function*() {
        const server = yield* HttpServer.HttpServer
        const address = server.address as HttpServer.TcpAddress
        yield* Render.info(`hai MCP server on http://${formatHost(address.hostname)}:${address.port}${o.path}`)
        if (Option.isSome(token)) yield* Render.info("Clients must send Authorization: Bearer <token>.")
      }))
      return yield* Layer.launch(
        Layer.mergeAll(
          HaiMcp.layerHttp({
            ...info,
            path: o.path as `/${string}`,
            allowedHosts,
            allowedOrigins: o.allowOrigin,
            token: Option.getOrUndefined(token)
          }),
          announce
        ).pipe(
          Layer.provide(HaiLive),
          Layer.provide(NodeHttpServer.layer(createServer, { port: o.http.value, host: o.host }))
        )
      )
    }
    return yield* Layer.launch(HaiMcp.layerStdio(info).pipe(Layer.provide(HaiLive)))
  })).pipe(Command.withDescription("Run the MCP server (stdio by default)"))

// =============================================================================
// install
// =============================================================================

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
 * `hai mcp install [cursor|vscode|claude-code|windsurf|list] [--name hai] [--command hai]`
 *
 * @since 0.1.0
 * @category Commands
 */
export const installCommand = Command.make("install", {
  client: Args.choice(
    [
      ["cursor", "cursor"],
      ["vscode", "vscode"],
      ["claude-code", "claude-code"],
      ["windsurf", "windsurf"],
      ["list", "list"]
    ] as const
  ).pipe(Args.withDescription("The client to configure, or `list`"), Args.withDefault("list" as const)),
  name: Options.text("name").pipe(Options.withDescription("Server name in the config"), Options.withDefault("hai")),
  command: Options.text("command").pipe(
    Options.withDescription("Command that starts hai (e.g. \"npx tsx /path/to/bin.ts\")"),
    Options.withDefault("hai")
  )
}, (o) =>
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
  })).pipe(Command.withDescription("Register `hai mcp serve` in an MCP client's config"))

/**
 * `hai mcp ...`
 *
 * @since 0.1.0
 * @category Commands
 */
export const command = Command.make("mcp").pipe(
  Command.withDescription("The MCP server for AI assistants"),
  Command.withSubcommands([serve, installCommand])
)
