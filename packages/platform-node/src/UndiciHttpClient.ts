/**
 * An `HttpClient` over undici, for the way this SDK uses HTTP: a thousand long-polls in flight at
 * once, each answered and replaced every few seconds. It behaves as `NodeHttpClient.layerUndici`
 * does (same dispatcher, same `UndiciRequestOptions`, bodies read once and kept, aborted through
 * the request's signal) but does less per request:
 *
 * - the request is undici's callback API inside one `Effect.async`, where `layerUndici` adds a
 *   promise, an `AbortController` of its own and a context merge (a `FiberRef` change) per request;
 * - a body is read through a promise kept on the response, where `layerUndici` builds and runs an
 *   `Effect.cached` for each response.
 *
 * What a request keeps while it waits survives the young-generation collections and is promoted,
 * so this is what drives the old-generation collections of a process watching many sessions.
 * `pnpm bench --only get-vs-fetch,primitives` measures it against `layerUndici`, side by side.
 *
 * @example
 * import { HaiAgents } from "@hai-effect/core"
 * import { UndiciHttpClient } from "@hai-effect/platform-node"
 * import { Layer } from "effect"
 *
 * const HaiLive = HaiAgents.layer({ apiKey: "hk-..." }).pipe(Layer.provide(UndiciHttpClient.layer))
 *
 * @since 0.1.0
 */
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import * as NodeStream from "@effect/platform-node/NodeStream"
import type * as Undici from "@effect/platform-node/Undici"
import * as Cookies from "@effect/platform/Cookies"
import * as Headers from "@effect/platform/Headers"
import type * as HttpBody from "@effect/platform/HttpBody"
import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import type * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as IncomingMessage from "@effect/platform/HttpIncomingMessage"
import * as UrlParams from "@effect/platform/UrlParams"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Inspectable from "effect/Inspectable"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import type * as Stream from "effect/Stream"
import { Readable } from "node:stream"
import type { ReadableStream as NodeReadableStream } from "node:stream/web"

type Body = Exclude<Undici.Dispatcher.DispatchOptions["body"], undefined>

// Timeouts are the caller's (the SDK's deadlines abort through the signal), as in `layerUndici`.
const headersTimeout = 60 * 60 * 1000

/**
 * The client over `dispatcher`.
 *
 * @example
 * import { UndiciHttpClient } from "@hai-effect/platform-node"
 * import * as Undici from "@effect/platform-node/Undici"
 *
 * // undici as @effect/platform-node bundles it: 64 connections at most per origin
 * const client = UndiciHttpClient.make(new Undici.Agent({ connections: 64 }))
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (dispatcher: Undici.Dispatcher): HttpClient.HttpClient =>
  HttpClient.make((request, url, signal, fiber) => {
    const options = Context.getOption(fiber.currentContext, NodeHttpClient.UndiciRequestOptions)
    const send = (body: Body, contentType?: string) =>
      Effect.async<HttpClientResponse.HttpClientResponse, HttpClientError.RequestError>((resume) => {
        dispatcher.request({
          ...(Option.isSome(options) ? options.value : undefined),
          signal,
          method: request.method,
          headers: contentType === undefined ? request.headers : { ...request.headers, "content-type": contentType },
          origin: url.origin,
          path: url.pathname + url.search + url.hash,
          body,
          headersTimeout,
          bodyTimeout: 0
        }, (cause, data) =>
          resume(
            cause
              ? Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause }))
              : Effect.succeed(new UndiciResponse(request, data))
          ))
      })
    return bodyOf(request.body, send)
  })

const bodyOf = <A, E>(
  body: HttpBody.HttpBody,
  send: (body: Body, contentType?: string) => Effect.Effect<A, E>
): Effect.Effect<A, E> => {
  switch (body._tag) {
    case "Empty":
      return send(null)
    case "Uint8Array":
    case "Raw":
      return send(body.body as Body)
    case "FormData": {
      // Encoded by the platform's own `Response`: undici's dispatcher does not take Node's global
      // `FormData` (`NodeHttpClient.layerUndici` fails on it), and the boundary goes in the type.
      const encoded = new Response(body.formData)
      return send(
        // The DOM `ReadableStream` type and node:stream/web's differ only in their declarations.
        encoded.body === null ? null : Readable.fromWeb(encoded.body as NodeReadableStream<Uint8Array>),
        encoded.headers.get("content-type") ?? undefined
      )
    }
    case "Stream":
      return Effect.flatMap(NodeStream.toReadable(body.stream), send)
  }
}

const ignoreError = (_: unknown) => {}

/** A body read: started at the first read, its outcome kept for the next ones (a body is read once). */
interface Read<A> {
  promise: Promise<A> | undefined
  settled: Either.Either<A, HttpClientError.ResponseError> | undefined
}

class UndiciResponse extends Inspectable.Class implements HttpClientResponse.HttpClientResponse {
  readonly [IncomingMessage.TypeId]: IncomingMessage.TypeId = IncomingMessage.TypeId
  readonly [HttpClientResponse.TypeId]: HttpClientResponse.TypeId = HttpClientResponse.TypeId
  private reads: Record<string, Read<unknown>> | undefined
  private cachedCookies: Cookies.Cookies | undefined
  private cachedHeaders: Headers.Headers | undefined

  constructor(
    readonly request: HttpClientRequest.HttpClientRequest,
    readonly source: Undici.Dispatcher.ResponseData
  ) {
    super()
    // A body nobody reads can still fail (a reset connection): that must not crash the process.
    source.body.on("error", ignoreError)
  }

  get status(): number {
    return this.source.statusCode
  }

  get headers(): Headers.Headers {
    return this.cachedHeaders ??= Headers.fromInput(this.source.headers as Headers.Input)
  }

  get cookies(): Cookies.Cookies {
    if (this.cachedCookies !== undefined) return this.cachedCookies
    const header = this.source.headers["set-cookie"]
    return this.cachedCookies = header === undefined
      ? Cookies.empty
      : Cookies.fromSetCookie(Array.isArray(header) ? header : [header])
  }

  get remoteAddress(): Option.Option<string> {
    return Option.none()
  }

  private decodeError(cause: unknown) {
    return new HttpClientError.ResponseError({ request: this.request, response: this, reason: "Decode", cause })
  }

  private read<A>(kind: string, start: () => Promise<A>): Effect.Effect<A, HttpClientError.ResponseError> {
    const reads = this.reads ??= {}
    const read = (reads[kind] ??= { promise: undefined, settled: undefined }) as Read<A>
    // Once settled the outcome is returned synchronously (as `inspect`'s `runSync` expects).
    if (read.settled !== undefined) return read.settled
    return Effect.async((resume) => {
      read.promise ??= start()
      read.promise.then(
        (value) => resume(read.settled ??= Either.right(value)),
        (cause) => resume(read.settled ??= Either.left(this.decodeError(cause)))
      )
    })
  }

  get text(): Effect.Effect<string, HttpClientError.ResponseError> {
    return this.read("text", () => this.source.body.text())
  }

  get json(): Effect.Effect<unknown, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => text === "" ? null : JSON.parse(text) as unknown,
        catch: (cause) => this.decodeError(cause)
      }))
  }

  get urlParamsBody(): Effect.Effect<UrlParams.UrlParams, HttpClientError.ResponseError> {
    return Effect.flatMap(this.text, (text) =>
      Effect.try({
        try: () => UrlParams.fromInput(new URLSearchParams(text)),
        catch: (cause) => this.decodeError(cause)
      }))
  }

  get arrayBuffer(): Effect.Effect<ArrayBuffer, HttpClientError.ResponseError> {
    return this.read("arrayBuffer", () => this.source.body.arrayBuffer())
  }

  get formData(): Effect.Effect<FormData, HttpClientError.ResponseError> {
    return this.read("formData", () => this.source.body.formData() as Promise<FormData>)
  }

  get stream(): Stream.Stream<Uint8Array, HttpClientError.ResponseError> {
    return NodeStream.fromReadable(() => this.source.body, (cause) => this.decodeError(cause))
  }

  toJSON(): unknown {
    return IncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpClientResponse",
      request: this.request.toJSON(),
      status: this.status
    })
  }
}

/**
 * The client over the `NodeHttpClient.Dispatcher` in context (e.g. a proxy agent of your own).
 *
 * @example
 * import { NodeHttpClient } from "@effect/platform-node"
 * import { UndiciHttpClient } from "@hai-effect/platform-node"
 * import { Layer } from "effect"
 *
 * const Client = UndiciHttpClient.layerWithoutDispatcher.pipe(Layer.provide(NodeHttpClient.dispatcherLayerGlobal))
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerWithoutDispatcher: Layer.Layer<HttpClient.HttpClient, never, NodeHttpClient.Dispatcher> = Layer
  .effect(HttpClient.HttpClient, Effect.map(NodeHttpClient.Dispatcher, make))

/**
 * The client over a new undici `Agent` (keep-alive connection pooling), destroyed with the layer.
 *
 * @example
 * import { HaiAgents } from "@hai-effect/core"
 * import { UndiciHttpClient } from "@hai-effect/platform-node"
 * import { Layer } from "effect"
 *
 * const HaiLive = HaiAgents.layer({ apiKey: "hk-..." }).pipe(Layer.provide(UndiciHttpClient.layer))
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer: Layer.Layer<HttpClient.HttpClient> = layerWithoutDispatcher.pipe(
  Layer.provide(NodeHttpClient.dispatcherLayer)
)
