/**
 * What `hai mcp serve` does (the command is `../commands/mcp.ts`): the MCP server over stdio, or
 * over HTTP with `--http PORT`, on loopback unless `--host` says otherwise and then only with a
 * bearer token. Requests over HTTP are checked by `HttpSecurity.guard`.
 *
 * @since 0.1.0
 */
import * as HaiAgents from "@hai-effect/core/HaiAgents"
import * as HaiMcp from "@hai-effect/mcp/HaiMcp"
import * as HttpSecurity from "@hai-effect/mcp/HttpSecurity"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Client from "../Client.js"
import { CliError } from "../CliError.js"
import type * as McpCommand from "../commands/mcp.js"
import * as Global from "../Global.js"

/**
 * Serves MCP until interrupted.
 *
 * @since 0.1.0
 * @category Handlers
 */
export const serve = (o: McpCommand.ServeParsed) =>
  Effect.gen(function*() {
    const token = Option.filter(o.token, (t) => Redacted.value(t).length > 0)
    if (Option.isSome(o.http) && !HttpSecurity.isLoopbackHost(o.host) && Option.isNone(token)) {
      return yield* new CliError({
        message: `Listening on ${o.host} would let other machines use your API key.`,
        hint: "Pass --token <a long random string> (or set HAI_MCP_TOKEN), or keep the default --host 127.0.0.1."
      })
    }
    const found = yield* Client.credentials
    const client = yield* HaiAgents.make({ apiKey: found.apiKey, baseUrl: found.baseUrl, clientName: "hai-mcp" })
    const HaiLive = Layer.succeed(HaiAgents.HaiAgents, client)
    const info = { name: "hai", version: Global.version }
    if (Option.isSome(o.http)) {
      // Loaded only for HTTP: the HTTP server brings modules stdio has no use for.
      const http = yield* Effect.promise(() => import("./mcpHttp.js"))
      return yield* http.serve(o, o.http.value, token, HaiLive)
    }
    return yield* Layer.launch(HaiMcp.layerStdio(info).pipe(Layer.provide(HaiLive)))
  })
