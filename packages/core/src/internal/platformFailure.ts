/**
 * What kept a request from an answer, read from the platform's error: its kind (named from the
 * codes of the errors under it), its reason in words, and the error itself as a cause an error may
 * keep, without the API key.
 *
 * @since 0.1.0
 * @internal
 */
import * as Headers from "@effect/platform/Headers"
import * as HttpClientError from "@effect/platform/HttpClientError"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import type * as HaiError from "../HaiError.js"
import * as Bounded from "./bounded.js"
import { excerptLength, type Redaction } from "./response.js"

const failureByCode: Record<string, HaiError.TransportFailure> = {
  ECONNREFUSED: "ConnectionRefused",
  ENOTFOUND: "DnsLookup",
  EAI_AGAIN: "DnsLookup",
  EAI_FAIL: "DnsLookup",
  EAI_NONAME: "DnsLookup",
  EAI_NODATA: "DnsLookup",
  ECONNRESET: "ConnectionReset",
  ECONNABORTED: "ConnectionReset",
  EPIPE: "ConnectionReset",
  UND_ERR_SOCKET: "ConnectionReset",
  UND_ERR_CLOSED: "ConnectionReset",
  ETIMEDOUT: "ConnectTimeout",
  UND_ERR_CONNECT_TIMEOUT: "ConnectTimeout",
  EHOSTUNREACH: "Unreachable",
  ENETUNREACH: "Unreachable",
  ENETDOWN: "Unreachable",
  EHOSTDOWN: "Unreachable",
  EPROTO: "Tls",
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: "Tls",
  UNABLE_TO_GET_ISSUER_CERT: "Tls",
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: "Tls",
  DEPTH_ZERO_SELF_SIGNED_CERT: "Tls",
  SELF_SIGNED_CERT_IN_CHAIN: "Tls",
  CERT_HAS_EXPIRED: "Tls",
  CERT_NOT_YET_VALID: "Tls",
  HOSTNAME_MISMATCH: "Tls"
}

const failureOfCode = (code: string): HaiError.TransportFailure | undefined =>
  failureByCode[code] ?? (/^(ERR_TLS_|ERR_SSL_|CERT_)/.test(code) ? "Tls" : undefined)

/** The errors under a platform error, outermost first (`cause` chains, and `AggregateError`s). */
const chainOf = (error: unknown): Array<Record<string, unknown>> => {
  const out: Array<Record<string, unknown>> = []
  const queue: Array<unknown> = [error]
  while (queue.length > 0 && out.length < 8) {
    const current = queue.shift()
    if (current === null || typeof current !== "object" || out.includes(current as Record<string, unknown>)) continue
    const record = current as Record<string, unknown>
    out.push(record)
    if (Array.isArray(record.errors)) queue.push(...record.errors.slice(0, 4))
    if ("cause" in record) queue.push(record.cause)
  }
  return out
}

/** What kept a request from an answer, named from the codes of the errors under it. */
export const classify = (error: HttpClientError.HttpClientError): HaiError.TransportFailure => {
  if (error._tag === "RequestError" && error.reason === "InvalidUrl") return "InvalidUrl"
  for (const item of chainOf(error.cause)) {
    const failure = typeof item.code === "string" ? failureOfCode(item.code) : undefined
    if (failure !== undefined) return failure
  }
  return "Other"
}

/** The messages along the error chain, each once: what the platform said, then what Node said. */
export const reasonOf = (error: HttpClientError.HttpClientError): string => {
  const parts: Array<string> = []
  const add = (text: unknown) => {
    if (typeof text === "string" && text.length > 0 && !parts.some((p) => p.includes(text))) parts.push(text)
  }
  add(error.description)
  for (const item of chainOf(error.cause)) {
    add(item.message)
    if (typeof item.code === "string" && !parts.some((p) => p.includes(item.code as string))) add(item.code)
  }
  if (parts.length === 0) parts.push(error.reason)
  return Bounded.cut(parts.join(": "), excerptLength)
}

/** The platform's error as a cause an error may keep: without the request's key. */
export const keyless = (
  redaction: Redaction,
  error: HttpClientError.HttpClientError
): HttpClientError.HttpClientError => {
  // The same request without the headers that carry the key (and without its body).
  const original = error.request
  const keyFree = HttpClientRequest.make(original.method)(original.url, {
    urlParams: original.urlParams,
    headers: Headers.remove(
      original.headers,
      Object.keys(original.headers).filter((name) =>
        name === "authorization" || original.headers[name].includes(redaction.secret)
      )
    )
  })
  const fields = {
    cause: error.cause,
    ...(error.description !== undefined ? { description: redaction.scrub(error.description) } : {})
  }
  if (error._tag === "RequestError") {
    return new HttpClientError.RequestError({ request: keyFree, reason: error.reason, ...fields })
  }
  // Rebuilt, since the response refers to the request it answered, key included.
  const response = HttpClientResponse.fromWeb(
    keyFree,
    new Response(null, {
      status: Math.min(599, Math.max(200, error.response.status)),
      headers: Headers.remove(error.response.headers, "set-cookie")
    })
  )
  return new HttpClientError.ResponseError({ request: keyFree, response, reason: error.reason, ...fields })
}
