/**
 * A stand-in for the H Company portal's desktop sign-in endpoints (see WIRE.md, "Browser
 * sign-in"): authorize (302 to the loopback redirect with a code), the PKCE code exchange, `me`
 * and the organisation's API keys. Plus a fake browser that follows the redirect.
 */
import * as Effect from "effect/Effect"
import * as Crypto from "node:crypto"
import * as Http from "node:http"
import type { AddressInfo } from "node:net"
import type * as Interactive from "../../src/Interactive.js"

export interface Portal {
  readonly url: string
  /** "METHOD path" of every request, in order. */
  readonly calls: Array<string>
  /** Bodies of the key creations. */
  readonly created: Array<{ readonly name: string }>
  readonly keys: Map<string, { readonly name: string; readonly key: string }>
  readonly close: () => Promise<void>
}

const readBody = async (req: Http.IncomingMessage) => {
  const chunks: Array<Buffer> = []
  for await (const chunk of req) chunks.push(chunk as Buffer)
  const text = Buffer.concat(chunks).toString("utf8")
  return text.length > 0 ? JSON.parse(text) : undefined
}

/** Starts the portal on 127.0.0.1; every minted key is `mintedKey`. */
export const start = (options: { readonly mintedKey: string; readonly org?: string }): Promise<Portal> =>
  new Promise((resolve) => {
    const org = options.org ?? "org-42"
    const codes = new Map<string, { challenge: string; redirectUri: string }>()
    const tokens = new Set<string>()
    const keys = new Map<string, { name: string; key: string }>()
    const calls: Array<string> = []
    const created: Array<{ name: string }> = []
    let next = 0
    const send = (res: Http.ServerResponse, status: number, body?: unknown) => {
      res.writeHead(status, body === undefined ? {} : { "content-type": "application/json" })
      res.end(body === undefined ? undefined : JSON.stringify(body))
    }
    const server = Http.createServer(async (req, res) => {
      const url = new URL(req.url ?? "/", "http://portal")
      calls.push(`${req.method} ${url.pathname}`)
      const authed = tokens.has((req.headers.authorization ?? "").replace(/^Bearer /, ""))
      if (req.method === "GET" && url.pathname === "/api/auth/authorize") {
        const redirectUri = url.searchParams.get("redirect_uri") ?? ""
        const challenge = url.searchParams.get("code_challenge") ?? ""
        if (
          url.searchParams.get("code_challenge_method") !== "S256" || !/^http:\/\/127\.0\.0\.1:\d+\/$/.test(redirectUri)
          || challenge.length < 43
        ) return send(res, 400, { detail: "bad authorize request" })
        const code = `code-${++next}`
        codes.set(code, { challenge, redirectUri })
        res.writeHead(302, { location: `${redirectUri}?code=${code}` }).end()
        return
      }
      if (req.method === "POST" && url.pathname === "/api/auth/desktop/exchange") {
        const body = await readBody(req)
        const entry = codes.get(body?.code)
        const expected = entry && Crypto.createHash("sha256").update(String(body.code_verifier)).digest("base64url")
        if (!entry || expected !== entry.challenge || body.redirect_uri !== entry.redirectUri) {
          return send(res, 400, { detail: "invalid_grant" })
        }
        codes.delete(body.code)
        const token = `at-${++next}`
        tokens.add(token)
        return send(res, 200, { access_token: token, token_type: "bearer" })
      }
      if (!authed) return send(res, 401, { detail: "not authenticated" })
      if (req.method === "GET" && url.pathname === "/api/auth/me") {
        return send(res, 200, { id: "user-1", email: "ada@example.com", organization_id: org })
      }
      const prefix = `/api/organizations/${org}/keys/`
      if (url.pathname === prefix && req.method === "POST") {
        const body = await readBody(req)
        created.push(body)
        if ([...keys.values()].some((k) => k.name === body.name)) {
          return send(res, 400, { detail: { code: "already_exists", message: "A key with this name exists" } })
        }
        const id = `key-${++next}`
        keys.set(id, { name: body.name, key: options.mintedKey })
        return send(res, 201, { id, name: body.name, key: options.mintedKey })
      }
      if (url.pathname === prefix && req.method === "GET") {
        return send(res, 200, [...keys].map(([id, k]) => ({ id, name: k.name })))
      }
      if (url.pathname.startsWith(prefix) && req.method === "DELETE") {
        const id = url.pathname.slice(prefix.length).replace(/\/$/, "")
        return keys.delete(id) ? send(res, 204) : send(res, 404, { detail: "no such key" })
      }
      send(res, 404, { detail: "not found" })
    })
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      resolve({
        url: `http://127.0.0.1:${port}`,
        calls,
        created,
        keys,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done())
            server.closeAllConnections()
          })
      })
    })
  })

/** A browser that follows the portal's redirect to the loopback listener, as a real one would. */
export const browser = (opened: Array<string> = []): Interactive.BrowserService => ({
  open: (url) =>
    Effect.sync(() => {
      opened.push(url)
      void (async () => {
        const authorize = await fetch(url, { redirect: "manual" })
        const location = authorize.headers.get("location")
        if (location) await fetch(location).then((r) => r.text())
      })()
      return true
    })
})
