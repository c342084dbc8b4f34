/**
 * A scripted, recording `HttpClient` and the client layer built on it.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as HaiAgents from "../../src/HaiAgents.js"

/** A distinctive key, searched for in every error, log and dump. */
export const API_KEY = "hk-SECRET-123"
export const BASE_URL = "https://api.test"
export const SESSION_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"

/** One request as it left the SDK. */
export interface Sent {
  readonly method: string
  readonly url: URL
  /** Lower-cased names. */
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | undefined
  /** Aborted when the caller gives up on the request (interruption, timeout). */
  readonly signal: AbortSignal
}

export type Reply =
  | {
    readonly status: number
    readonly json?: unknown
    readonly text?: string
    readonly bytes?: Uint8Array
    readonly headers?: Readonly<Record<string, string>>
  }
  | { readonly transportError: string }
  | { readonly never: true }

export const json = (status: number, body: unknown, headers?: Readonly<Record<string, string>>): Reply =>
  headers === undefined ? { status, json: body } : { status, json: body, headers }

export const empty = (status: number, headers?: Readonly<Record<string, string>>): Reply =>
  headers === undefined ? { status } : { status, headers }

export interface Fake {
  readonly client: HttpClient.HttpClient
  readonly sent: Array<Sent>
}

/** A client answering each request with `reply(request, index)`. */
export const fake = (reply: (request: Sent, index: number) => Reply): Fake => {
  const sent: Array<Sent> = []
  const client = HttpClient.make((request, url, signal) =>
    Effect.suspend(() => {
      const body = request.body._tag === "Uint8Array" ? new TextDecoder().decode(request.body.body) : undefined
      const record: Sent = {
        method: request.method,
        url: new URL(url.toString()),
        headers: { ...request.headers },
        body,
        signal
      }
      sent.push(record)
      const answer = reply(record, sent.length - 1)
      if ("transportError" in answer) {
        return Effect.fail(
          new HttpClientError.RequestError({
            request,
            reason: "Transport",
            cause: new Error(answer.transportError),
            description: answer.transportError
          })
        )
      }
      // No answer; like every platform client, it gives up when its request is aborted.
      if ("never" in answer) {
        return Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.HttpClientError>((resume) => {
          const onAbort = () =>
            resume(
              Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", description: "aborted" }))
            )
          signal.addEventListener("abort", onAbort, { once: true })
          return Effect.sync(() => signal.removeEventListener("abort", onAbort))
        })
      }
      const payload = answer.bytes ?? answer.text ?? (answer.json !== undefined ? JSON.stringify(answer.json) : null)
      const noBody = answer.status === 204 || answer.status === 205 || answer.status === 304
      return Effect.succeed(
        HttpClientResponse.fromWeb(
          request,
          new Response(noBody ? null : payload as BodyInit, {
            status: answer.status,
            headers: {
              "content-type": answer.bytes ? "application/octet-stream" : "application/json",
              ...answer.headers
            }
          })
        )
      )
    })
  )
  return { client, sent }
}

/** The client layer over a fake; `apiKey` and `baseUrl` default to the test ones. */
export const layer = (
  f: Fake,
  options?: Partial<HaiAgents.Options>
): Layer.Layer<HaiAgents.HaiAgents> =>
  HaiAgents.layer({ apiKey: API_KEY, baseUrl: BASE_URL, ...options }).pipe(
    Layer.provide(Layer.succeed(HttpClient.HttpClient, f.client))
  )

/** Runs `f` against a client over the fake. */
export const call = <A, E>(
  f: Fake,
  use: (hai: HaiAgents.Service) => Effect.Effect<A, E>,
  options?: Partial<HaiAgents.Options>
): Effect.Effect<A, E> => Effect.flatMap(HaiAgents.HaiAgents, use).pipe(Effect.provide(layer(f, options)))
