/**
 * Reading a request body as the hosted API's gateway and framework do: a body over the size limit
 * is refused by its `Content-Length` before a byte is read, and capped while it streams (never
 * held whole); bytes that are not UTF-8, and JSON nested deeper than a parser follows, are a 400.
 *
 * @internal
 */
import type * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as Effect from "effect/Effect"
import * as Stream from "effect/Stream"
import type { Reply } from "./reply.js"
import { detail } from "./reply.js"

/** The gateway's limit (WIRE.md: bodies over 10 MB are refused). @internal */
export const MAX_BODY_BYTES = 10 * 1024 * 1024

/** Deeper JSON makes Python's parser give up (its recursion limit), so the hosted API answers 400. @internal */
export const MAX_JSON_DEPTH = 512

/** The answer of the hosted API's framework to a body it cannot parse. @internal */
export const unparsable: Reply = detail(400, "There was an error parsing the body")

// The client may still be sending: close the connection rather than read the rest.
const tooLarge: Reply = detail(413, "Request Entity Too Large", { connection: "close" })

/** @internal */
export type Body = { readonly _tag: "Text"; readonly text: string } | {
  readonly _tag: "Refused"
  readonly reply: Reply
}

const decoder = new TextDecoder("utf-8", { fatal: true })

const decode = (bytes: Uint8Array): Body => {
  try {
    return { _tag: "Text", text: decoder.decode(bytes) }
  } catch {
    return { _tag: "Refused", reply: unparsable }
  }
}

/** @internal */
export const read = (request: HttpServerRequest.HttpServerRequest, limit = MAX_BODY_BYTES): Effect.Effect<Body> => {
  const declared = request.headers["content-length"]
  if (declared !== undefined && Number(declared) > limit) {
    return Effect.succeed({ _tag: "Refused", reply: tooLarge })
  }
  // A declared length bounds what the HTTP parser delivers: read it at once.
  if (declared !== undefined) {
    return request.arrayBuffer.pipe(
      Effect.map((buffer): Body => decode(new Uint8Array(buffer))),
      Effect.orElseSucceed((): Body => ({ _tag: "Text", text: "" }))
    )
  }
  const chunks: Array<Uint8Array> = []
  let size = 0
  return Stream.runForEachWhile(request.stream, (chunk) =>
    Effect.sync(() => {
      size += chunk.length
      if (size > limit) return false
      chunks.push(chunk)
      return true
    })).pipe(
      Effect.map((): Body => {
        if (size > limit) return { _tag: "Refused", reply: tooLarge }
        const bytes = new Uint8Array(size)
        let at = 0
        for (const c of chunks) {
          bytes.set(c, at)
          at += c.length
        }
        return decode(bytes)
      }),
      // A body that cannot be read (the connection went away) is an empty one.
      Effect.orElseSucceed((): Body => ({ _tag: "Text", text: "" }))
    )
}

/** Whether a parsed JSON value nests deeper than `max` (iteratively: it may be very deep). @internal */
export const tooDeep = (value: unknown, max = MAX_JSON_DEPTH): boolean => {
  const stack: Array<{ readonly v: unknown; readonly d: number }> = [{ v: value, d: 1 }]
  while (stack.length > 0) {
    const { d, v } = stack.pop()!
    if (v === null || typeof v !== "object") continue
    if (d > max) return true
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === "object") stack.push({ v: child, d: d + 1 })
    }
  }
  return false
}
