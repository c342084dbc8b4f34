/**
 * `hai mcp serve` (the MCP server over stdio, or HTTP with `--http PORT`) and
 * `hai mcp install [cursor|vscode|claude-code|windsurf|list]`, which registers `hai mcp serve` in
 * an MCP client's config file. What they do is in `../handlers/mcpServe.ts` and
 * `../handlers/mcpInstall.ts`, loaded when one runs.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Config from "effect/Config"
import * as Effect from "effect/Effect"

const serveConfig = {
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
}

/**
 * The parsed options of `hai mcp serve`.
 *
 * @since 0.1.0
 * @category Models
 */
export type ServeParsed = Command.Command.ParseConfig<typeof serveConfig>

/**
 * `hai mcp serve [--http PORT] [--host 127.0.0.1] [--path /mcp] [--allow-host NAME]...
 * [--allow-origin URL]... [--token TOKEN]`
 *
 * Over HTTP the server listens on loopback unless `--host` says otherwise, and then only with a
 * bearer token (`--token` or `HAI_MCP_TOKEN`).
 *
 * @since 0.1.0
 * @category Commands
 */
export const serve = Command.make(
  "serve",
  serveConfig,
  (o) => Effect.flatMap(Effect.promise(() => import("../handlers/mcpServe.js")), (h) => h.serve(o))
).pipe(Command.withDescription("Run the MCP server (stdio by default)"))

const installConfig = {
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
}

/**
 * The parsed arguments of `hai mcp install`.
 *
 * @since 0.1.0
 * @category Models
 */
export type InstallParsed = Command.Command.ParseConfig<typeof installConfig>

/**
 * `hai mcp install [cursor|vscode|claude-code|windsurf|list] [--name hai] [--command hai]`
 *
 * @since 0.1.0
 * @category Commands
 */
export const installCommand = Command.make(
  "install",
  installConfig,
  (o) => Effect.flatMap(Effect.promise(() => import("../handlers/mcpInstall.js")), (h) => h.installOrList(o))
).pipe(Command.withDescription("Register `hai mcp serve` in an MCP client's config"))

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
