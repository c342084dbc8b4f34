/**
 * `hai mcp serve --http PORT`: the MCP server over streamable HTTP, its requests checked by
 * `HttpSecurity.guard`.
 *
 * @since 0.1.0
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpServer from "@effect/platform/HttpServer"
import type * as HaiAgents from "@hai-effect/core/HaiAgents"
import * as HaiMcp from "@hai-effect/mcp/HaiMcp"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import { createServer } from "node:http"
import type * as McpCommand from "../commands/mcp.js"
import * as Global from "../Global.js"
import * as Render from "../Render.js"

const formatHost = (host: string) => host.includes(":") ? `[${host}]` : host

// Every interface: no single name to add to the Host allow-list.
const isWildcard = (host: string) => host === "0.0.0.0" || host === "::" || host === "[::]"

/**
 * Serves MCP over HTTP on `port` until interrupted.
 *
 * @since 0.1.0
 * @category Handlers
 */
export const serve = (
  o: McpCommand.ServeParsed,
  port: number,
  token: Option.Option<Redacted.Redacted<string>>,
  HaiLive: Layer.Layer<HaiAgents.HaiAgents>
) =>
  Effect.gen(function*() {
    const info = { name: "hai", version: Global.version }
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
        Layer.provide(NodeHttpServer.layer(createServer, { port, host: o.host }))
      )
    )
  })
