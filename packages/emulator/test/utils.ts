import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Effect, Layer } from "effect"
import * as Emulator from "../src/Emulator.js"

export const KEY = "hk-emulator"

export const testLayer = (options: Emulator.Options = {}) =>
  Emulator.layerClient.pipe(
    Layer.provideMerge(Emulator.layer({ validateResponses: true, tick: "100 millis", ...options }))
  )

export interface Res {
  readonly status: number
  readonly body: any
  /** The body as text (also for bodies that are not JSON). */
  readonly text: string
  readonly headers: Record<string, string>
}

const read = (r: HttpClientResponse.HttpClientResponse): Effect.Effect<Res> =>
  Effect.map(Effect.orDie(r.text), (text) => ({
    status: r.status,
    text,
    body: text === "" || !(r.headers["content-type"] ?? "").includes("json") ? undefined : JSON.parse(text),
    headers: r.headers as Record<string, string>
  }))

export const call = (
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
  path: string,
  options: {
    body?: unknown
    key?: string | null
    headers?: Record<string, string>
    rawBody?: string
    rawBytes?: Uint8Array
  } = {}
) =>
  Effect.gen(function*() {
    const client = yield* HttpClient.HttpClient
    let req = HttpClientRequest.make(method)(`http://example.test${path}`)
    if (options.key !== null) req = HttpClientRequest.bearerToken(req, options.key ?? KEY)
    if (options.headers) req = HttpClientRequest.setHeaders(req, options.headers)
    if (options.rawBytes !== undefined) {
      req = HttpClientRequest.bodyUint8Array(req, options.rawBytes, "application/json")
    } else if (options.rawBody !== undefined) req = HttpClientRequest.bodyText(req, options.rawBody, "application/json")
    else if (options.body !== undefined) req = HttpClientRequest.bodyUnsafeJson(req, options.body)
    return yield* Effect.flatMap(Effect.orDie(client.execute(req)), read)
  })

export const createSession = (body: Record<string, unknown>, headers?: Record<string, string>) =>
  call("POST", "/api/v2/sessions", headers === undefined ? { body } : { body, headers })

export const noViolations = Effect.gen(function*() {
  const e = yield* Emulator.Emulator
  return yield* e.responseViolations
})

/** Wait (in real time: WebCrypto signing is a real async step) until `predicate` holds, up to 3 s. */
export const eventually = (predicate: () => boolean) =>
  Effect.promise(async () => {
    for (let i = 0; i < 300 && !predicate(); i++) await new Promise((r) => setTimeout(r, 10))
  })
