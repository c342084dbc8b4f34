/**
 * An `HttpClient` that answers every request with what `route` returns for it, recording each
 * request as `METHOD path`: for servers the emulator will not play (an HTML page at the base
 * URL, a key refused with 403, a share link given as a path).
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect } from "effect"

export interface Reply {
  readonly status: number
  readonly body?: unknown
  /** Default `application/json` (the body is JSON-encoded); anything else sends the body as is. */
  readonly contentType?: string
}

export const make = (route: (method: string, path: string) => Reply) => {
  const calls: Array<string> = []
  const client = HttpClient.make((request, url) =>
    Effect.sync(() => {
      calls.push(`${request.method} ${url.pathname}`)
      const reply = route(request.method, url.pathname)
      const type = reply.contentType ?? "application/json"
      const body = reply.body === undefined
        ? null
        : type === "application/json"
        ? JSON.stringify(reply.body)
        : String(reply.body)
      return HttpClientResponse.fromWeb(
        request,
        new Response(body, {
          status: reply.status,
          headers: { "content-type": type, date: new Date().toUTCString() }
        })
      )
    })
  )
  return { client, calls }
}
