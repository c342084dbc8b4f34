/**
 * What an answer of the service becomes: the decoded value of a 2xx, or the tagged error its
 * status and body name, with server text cut and the API key taken out.
 *
 * @since 0.1.0
 * @internal
 */
import type * as Headers from "@effect/platform/Headers"
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Option from "effect/Option"
import * as ParseResult from "effect/ParseResult"
import * as Schema from "effect/Schema"
import * as HaiError from "../HaiError.js"
import * as Wire from "../Wire.js"
import * as Bounded from "./bounded.js"
import type { Endpoint } from "./endpoints.js"
import * as FastDecode from "./fastDecode.js"

/** How much server text an error keeps. */
export const excerptLength = 300

/** A response with its body read: as text, or as bytes for a download. */
export interface Exchange {
  readonly response: HttpClientResponse.HttpClientResponse
  readonly text: string
  readonly bytes: Uint8Array | undefined
}

/** What every error of a request names. */
export interface RequestInfo {
  readonly method: string
  readonly url: string
}

/** The key a runner sends, and how to take it out of any text an error keeps. */
export interface Redaction {
  readonly secret: string
  readonly scrub: (text: string) => string
}

export type Parse = (u: unknown) => Either.Either<unknown, ParseResult.ParseError>

/** One decoder (or encoder) per schema, made on first use. */
export const perSchema = (make: (schema: Schema.Schema<any, any>) => Parse) => {
  const cache = new WeakMap<Schema.Schema<any, any>, Parse>()
  return (schema: Schema.Schema<any, any>): Parse => {
    let parse = cache.get(schema)
    if (parse === undefined) cache.set(schema, parse = make(schema))
    return parse
  }
}

// The compiled decoder answers valid bodies; Schema runs only for what it does not accept, and
// gives the error.
const decoderOf = perSchema((schema) => {
  const fast = FastDecode.make(schema)
  const full = Schema.decodeUnknownEither(schema)
  return (u) => {
    const value = fast(u)
    return value !== undefined ? Either.right(value) : full(u)
  }
})

/**
 * The issue to report: the one deepest in the value. Where a union's members all failed, that is
 * the member that matched furthest, the one the caller meant.
 */
export const firstIssue = (error: ParseResult.ParseError): { readonly path: string; readonly issue: string } => {
  const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
  let issue = issues[0]
  for (const other of issues) if (other.path.length > issue.path.length) issue = other
  return issue === undefined
    ? { path: "", issue: error.message }
    : { path: issue.path.map(String).join("."), issue: issue.message }
}

export const describe = (defect: unknown) => defect instanceof Error ? defect.message : String(defect)

/** Reads the delay the server asked for, in milliseconds from now. */
export const retryAfterMillis = (headers: Readonly<Record<string, string>>, now: number): number | undefined => {
  const ms = headers["retry-after-ms"]
  if (ms !== undefined && Number.isFinite(Number(ms))) return Math.max(0, Number(ms))
  const after = headers["retry-after"]
  if (after !== undefined) {
    if (/^\s*\d+(\.\d+)?\s*$/.test(after)) return Number(after) * 1000
    const date = Date.parse(after)
    if (!Number.isNaN(date)) return Math.max(0, date - now)
  }
  const reset = headers["x-ratelimit-reset"]
  if (reset !== undefined && Number.isFinite(Number(reset))) return Math.max(0, Number(reset) * 1000 - now)
  return undefined
}

// `__proto__` keys would become prototypes when decoded into records: drop them at the door.
const dropProto = (key: string, value: unknown) => key === "__proto__" ? undefined : value

export const parseJson = (text: string): Option.Option<unknown> => {
  try {
    // The reviver makes parsing several times slower: pay it only when the key could be there at
    // all (spelled out, or hidden behind \u escapes).
    const risky = text.includes("__proto__") || text.includes("\\u")
    return Option.some(risky ? JSON.parse(text, dropProto) : JSON.parse(text))
  } catch {
    return Option.none()
  }
}

/** A body that is markup rather than data: what a web server answers when the base URL is wrong. */
const looksLikeMarkup = (text: string, contentType: string | undefined) =>
  (contentType !== undefined && /html|xml/i.test(contentType)) || /^\s*</.test(text)

const decodeValidation = Schema.decodeUnknownOption(Schema.Array(Wire.ValidationError))

/**
 * Server text kept by an error: the key taken out, then cut (in that order, so that a cut never
 * leaves part of the key).
 */
export const excerpt = (redaction: Redaction, text: string) =>
  Bounded.cut(redaction.scrub(text.slice(0, excerptLength + redaction.secret.length)), excerptLength)

const detailOf = (redaction: Redaction, text: string): unknown => {
  const json = parseJson(text)
  if (Option.isNone(json)) return text.length > 0 ? excerpt(redaction, text) : undefined
  const body = json.value
  return Bounded.copy(
    body !== null && typeof body === "object" && "detail" in body ? body.detail : body,
    redaction.scrub
  )
}

/** The error a status other than the endpoint's success names. */
export const errorFor = (
  redaction: Redaction,
  status: number,
  text: string,
  headers: Headers.Headers,
  info: RequestInfo,
  now: number
): HaiError.HaiError => {
  const detail = detailOf(redaction, text)
  switch (true) {
    case status === 401 || status === 403:
      return new HaiError.Unauthorized({ ...info, status: status as 401 | 403, detail })
    case status === 404:
      return new HaiError.NotFound({ ...info, detail })
    case status === 408:
      return new HaiError.TimeoutError({ ...info, status })
    case status === 409:
      return new HaiError.Conflict({ ...info, detail })
    case status === 422:
      return new HaiError.Unprocessable({
        ...info,
        detail: Option.getOrElse(decodeValidation(detail), () => []),
        raw: detail
      })
    case status === 429:
      return new HaiError.RateLimited({ ...info, retryAfterMillis: retryAfterMillis(headers, now), detail })
    case status >= 500:
      return new HaiError.ServerError({ ...info, status, retryAfterMillis: retryAfterMillis(headers, now), detail })
    default:
      return new HaiError.UnexpectedStatus({ ...info, status, excerpt: excerpt(redaction, text) })
  }
}

export const notJson = (
  redaction: Redaction,
  info: RequestInfo,
  status: number,
  text: string,
  contentType: string | undefined
) =>
  new HaiError.DecodeError({
    ...info,
    status,
    path: "",
    issue: "the body is not JSON",
    excerpt: excerpt(redaction, text),
    kind: "NotJson",
    ...(contentType !== undefined ? { contentType: Bounded.cut(contentType, 100) } : {})
  })

/** The value of a success: nothing, an optional value, or a body decoded by the endpoint's schema. */
export const decodeBody = (
  redaction: Redaction,
  endpoint: Endpoint,
  exchange: Exchange,
  info: () => RequestInfo
): Effect.Effect<unknown, HaiError.HaiError> => {
  const { response, text } = exchange
  const status = response.status
  if (endpoint.decode === "void") {
    // The body of an acknowledgement is not read, but a web page is not one.
    return text.length > 0 && looksLikeMarkup(text, response.headers["content-type"])
      ? Effect.fail(notJson(redaction, info(), status, text, response.headers["content-type"]))
      : Effect.void
  }
  if (endpoint.decode === "option" && (status === 204 || text.length === 0)) {
    return Effect.succeed(Option.none())
  }
  const json = parseJson(text)
  if (Option.isNone(json)) {
    return Effect.fail(notJson(redaction, info(), status, text, response.headers["content-type"]))
  }
  let decoded: Either.Either<unknown, ParseResult.ParseError>
  let issue: { readonly path: string; readonly issue: string }
  try {
    decoded = decoderOf(endpoint.response!)(json.value)
    if (Either.isRight(decoded)) {
      return Effect.succeed(endpoint.decode === "option" ? Option.some(decoded.right) : decoded.right)
    }
    issue = firstIssue(decoded.left)
  } catch (defect) {
    // Schema's formatter can throw on hostile values (e.g. `{"toString": null}` as a tag), and a
    // body nested deeper than the decoder can walk overflows the stack: still a bad body.
    issue = { path: "", issue: `the body could not be decoded (${describe(defect)})` }
  }
  return Effect.fail(
    new HaiError.DecodeError({
      ...info(),
      status,
      path: Bounded.cut(redaction.scrub(issue.path), excerptLength),
      issue: Bounded.cut(redaction.scrub(issue.issue), excerptLength * 2),
      excerpt: excerpt(redaction, text),
      kind: "Schema"
    })
  )
}

/**
 * What an exchange becomes: the endpoint's value for a success it documents, a `DecodeError` for
 * a 2xx that is not JSON, or the error its status names.
 */
export const settle = (
  redaction: Redaction,
  endpoint: Endpoint,
  exchange: Exchange,
  info: () => RequestInfo
): Effect.Effect<unknown, HaiError.HaiError> => {
  const status = exchange.response.status
  const ok = status >= 200 && status < 300
  // An acknowledgement is any 2xx; an answer with a body, the statuses the API documents.
  if (ok && (endpoint.decode === "void" || endpoint.successStatus.includes(status))) {
    return exchange.bytes !== undefined
      ? Effect.succeed(exchange.bytes)
      : decodeBody(redaction, endpoint, exchange, info)
  }
  if (ok && exchange.text.length > 0 && Option.isNone(parseJson(exchange.text))) {
    return Effect.fail(notJson(redaction, info(), status, exchange.text, exchange.response.headers["content-type"]))
  }
  return Effect.flatMap(
    Clock.currentTimeMillis,
    (now) => Effect.fail(errorFor(redaction, status, exchange.text, exchange.response.headers, info(), now))
  )
}
