/**
 * What guards the MCP server's HTTP endpoint, as the MCP specification's security guidance for the
 * streamable HTTP transport asks: a web page the user visits must not be able to drive the server
 * (and spend the user's API key) through the browser.
 *
 * - `Host` must name this machine (loopback) or a host you allow: a page on `evil.example` whose
 *   name was re-pointed at 127.0.0.1 (DNS rebinding) still sends `Host: evil.example`.
 * - `Origin`, when a browser sends one, must be a loopback page or an origin you allow.
 * - A `POST` must be `Content-Type: application/json`: a page can send `text/plain` or a form to
 *   any address without a CORS preflight, but not JSON.
 * - Every request but `initialize` must carry the `Mcp-Session-Id` that `initialize` answered
 *   with; `DELETE` with it ends the session.
 * - With a `token`, every request must carry `Authorization: Bearer <token>`: needed as soon as
 *   the server listens on anything but loopback.
 *
 * @example
 * import { HaiMcp, HttpSecurity } from "@hai-effect/mcp"
 * import { Redacted } from "effect"
 *
 * const layer = HaiMcp.layerHttp({
 *   path: "/mcp",
 *   allowedHosts: ["mcp.internal"],
 *   token: Redacted.make("a long random string")
 * })
 * HttpSecurity.isLoopbackHost("127.0.0.1") // true
 *
 * @since 0.1.0
 */
import type * as HttpApp from "@effect/platform/HttpApp"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Redacted from "effect/Redacted"
import * as Crypto from "node:crypto"

/**
 * What the endpoint accepts beyond loopback.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Options {
  /**
   * Host names (without port) accepted in the `Host` header, besides `localhost`, `127.0.0.1`
   * and `[::1]`. Add the names clients use to reach the server when it listens elsewhere.
   */
  readonly allowedHosts?: ReadonlyArray<string> | undefined
  /**
   * Origins (`https://app.example`) accepted in the `Origin` header, besides pages served from
   * loopback. Requests without `Origin` (programs, not browsers) are not affected.
   */
  readonly allowedOrigins?: ReadonlyArray<string> | undefined
  /** When set, every request must carry `Authorization: Bearer <token>`. */
  readonly token?: Redacted.Redacted<string> | undefined
  /** The most sessions remembered at once; the oldest is forgotten first. Defaults to 1,000. */
  readonly maxSessions?: number | undefined
}

/**
 * The header that carries the session id (`initialize` answers with it).
 *
 * @example
 * import { HttpSecurity } from "@hai-effect/mcp"
 *
 * const headers = { [HttpSecurity.SessionHeader]: "0b9e3b2a-3c1e-4a55-9d7e-6f2b0c1d2e3f" }
 *
 * @since 0.1.0
 * @category Constants
 */
export const SessionHeader = "mcp-session-id" as const

/**
 * Whether a host name (no port; IPv6 with or without brackets) is this machine's loopback:
 * `localhost`, `127.0.0.0/8` or `::1`.
 *
 * @example
 * import { HttpSecurity } from "@hai-effect/mcp"
 *
 * HttpSecurity.isLoopbackHost("localhost") // true
 * HttpSecurity.isLoopbackHost("0.0.0.0") // false: every interface
 *
 * @since 0.1.0
 * @category Guards
 */
export const isLoopbackHost = (host: string): boolean => {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, "$1")
  return name === "localhost" || name === "::1" || /^127(\.\d{1,3}){3}$/.test(name)
}

/** The host name of a `Host` header value, lowercased, without port or IPv6 brackets. */
const hostNameOf = (header: string): string | undefined => {
  const value = header.trim().toLowerCase()
  if (value.length === 0) return undefined
  if (value.startsWith("[")) {
    const end = value.indexOf("]")
    return end < 0 ? undefined : value.slice(1, end)
  }
  const colon = value.indexOf(":")
  return colon < 0 ? value : value.slice(0, colon)
}

const normalizeHost = (host: string) => host.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1")

const normalizeOrigin = (origin: string): string | undefined => {
  try {
    const url = new URL(origin)
    return url.protocol === "http:" || url.protocol === "https:" ? url.origin : undefined
  } catch {
    return undefined
  }
}

const digest = (text: string) => Crypto.createHash("sha256").update(text).digest()

const refuse = (status: number, message: string, headers?: Record<string, string>) =>
  HttpServerResponse.unsafeJson(
    {
      jsonrpc: "2.0",
      error: { code: status === 400 && message.startsWith("Parse") ? -32700 : -32000, message },
      id: null
    },
    { status, ...(headers === undefined ? {} : { headers }) }
  )

const isJson = (contentType: string | undefined): boolean =>
  contentType !== undefined && contentType.split(";")[0].trim().toLowerCase() === "application/json"

const isInitialize = (message: unknown): boolean =>
  typeof message === "object" && message !== null && !Array.isArray(message)
  && (message as { readonly method?: unknown }).method === "initialize"

/**
 * Wraps the MCP endpoint's `HttpApp` with the checks above. Each call keeps its own sessions.
 * `HaiMcp.layerHttp` applies it; use it directly to mount the endpoint on a router of your own.
 *
 * @example
 * import { HttpSecurity } from "@hai-effect/mcp"
 * import { HttpServerResponse } from "@effect/platform"
 * import { Effect } from "effect"
 *
 * const app = HttpSecurity.guard({ allowedHosts: ["mcp.internal"] })(Effect.succeed(HttpServerResponse.empty()))
 *
 * @since 0.1.0
 * @category Middleware
 */
export const guard = (options?: Options) => {
  const hosts = new Set((options?.allowedHosts ?? []).map(normalizeHost))
  const origins = new Set(
    (options?.allowedOrigins ?? []).map(normalizeOrigin).filter((o): o is string => o !== undefined)
  )
  const token = options?.token === undefined ? undefined : digest(Redacted.value(options.token))
  const maxSessions = Math.max(1, options?.maxSessions ?? 1_000)
  const sessions = new Set<string>()

  const hostAllowed = (header: string | undefined) => {
    const name = header === undefined ? undefined : hostNameOf(header)
    return name !== undefined && (isLoopbackHost(name) || hosts.has(name))
  }
  const originAllowed = (header: string) => {
    const origin = normalizeOrigin(header)
    if (origin === undefined) return false
    return isLoopbackHost(new URL(origin).hostname) || origins.has(origin)
  }
  const authorized = (header: string | undefined) => {
    if (token === undefined) return true
    const match = header === undefined ? null : /^Bearer\s+(.+)$/i.exec(header.trim())
    return match !== null && Crypto.timingSafeEqual(digest(match[1]), token)
  }
  const openSession = () => {
    const id = Crypto.randomUUID()
    sessions.add(id)
    if (sessions.size > maxSessions) sessions.delete(sessions.values().next().value!)
    return id
  }
  // 400 without the header, 404 for an id this server does not know (the client then initializes again)
  const sessionRefusal = (header: string | undefined) =>
    header === undefined || header.length === 0
      ? refuse(400, "Bad Request: no Mcp-Session-Id header; send initialize first")
      : sessions.has(header)
      ? undefined
      : refuse(404, "Session not found: send initialize again")

  return <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R | HttpServerRequest.HttpServerRequest> =>
    Effect.gen(function*() {
      const request = yield* HttpServerRequest.HttpServerRequest
      const headers = request.headers
      if (!hostAllowed(headers.host)) {
        return refuse(403, "Forbidden: the Host header names no host this server accepts")
      }
      if (headers.origin !== undefined && !originAllowed(headers.origin)) {
        return refuse(403, "Forbidden: the Origin header names no origin this server accepts")
      }
      if (!authorized(headers.authorization)) {
        return refuse(401, "Unauthorized: send Authorization: Bearer <token>", { "www-authenticate": "Bearer" })
      }
      const session = headers[SessionHeader]
      switch (request.method) {
        case "POST": {
          if (!isJson(headers["content-type"])) {
            return refuse(415, "Unsupported Media Type: send Content-Type: application/json")
          }
          const text = yield* Effect.option(request.text)
          let message: unknown
          try {
            message = text._tag === "Some" ? JSON.parse(text.value) : undefined
          } catch {
            return refuse(400, "Parse error: the body is not JSON")
          }
          if (isInitialize(message)) {
            const response = yield* app
            return response.status >= 200 && response.status < 300
              ? HttpServerResponse.setHeader(response, SessionHeader, openSession())
              : response
          }
          return sessionRefusal(session) ?? (yield* app)
        }
        case "GET":
          // no server-initiated stream: the transport allows answering 405
          return sessionRefusal(session)
            ?? HttpServerResponse.empty({ status: 405, headers: { allow: "POST, DELETE" } })
        case "DELETE": {
          const refusal = sessionRefusal(session)
          if (refusal !== undefined) return refusal
          sessions.delete(session!)
          return HttpServerResponse.empty({ status: 204 })
        }
        default:
          return HttpServerResponse.empty({ status: 405, headers: { allow: "POST, GET, DELETE" } })
      }
    })
}
