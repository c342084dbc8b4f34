/**
 * The API's routes on `@effect/platform`'s `HttpLayerRouter`, one per operation of the spec. Each
 * request is authenticated, put through the configured faults, its body read within the limits,
 * validated against the spec (a FastAPI-style 422 when it is off) and handed to its operation's
 * handler with its typed input.
 *
 * @internal
 */
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import * as Effect from "effect/Effect"
import * as Scope from "effect/Scope"
import type * as Faults from "../Faults.js"
import { forRoute } from "../Faults.js"
import * as Body from "./body.js"
import type { AllHandlers, OperationId } from "./handlers.js"
import type { Reply } from "./reply.js"
import { detail, json } from "./reply.js"
import type { Operation } from "./spec.js"
import { match, operations } from "./spec.js"
import { validateRequest, validateResponse } from "./validation.js"

/** Set on a response whose connection must be dropped instead (a fault). @internal */
export const DROP = "x-hai-emulator-drop"

/** @internal */
export interface Deps {
  /** Lent to every request (no handler adds finalizers to it): a scope per request costs more. */
  readonly scope: Scope.Scope
  readonly handlers: AllHandlers
  /** Accepted keys; empty accepts any bearer key. */
  readonly keys: ReadonlyArray<string>
  readonly faults: () => Faults.Config
  readonly random: () => number
  readonly validateResponses: boolean
  readonly onViolation: (route: string, status: number, errors: ReadonlyArray<string>) => void
  readonly countRoute: (route: string) => void
}

const toResponse = (reply: Reply): HttpServerResponse.HttpServerResponse => {
  const headers = reply.drop === true ? { ...reply.headers, [DROP]: "1" } : reply.headers ?? {}
  if (reply.bytes !== undefined) {
    return HttpServerResponse.uint8Array(reply.bytes.content, {
      status: reply.status,
      headers,
      contentType: reply.bytes.contentType
    })
  }
  return reply.body === undefined
    ? HttpServerResponse.empty({ status: reply.status, headers })
    : HttpServerResponse.unsafeJson(reply.body, { status: reply.status, headers })
}

// `{agent_name}` and `{key}` may hold slashes (`h/web-surfer-...`): they take the rest of the path.
const routePath = (op: Operation): HttpLayerRouter.PathInput =>
  op.path.replace(/\{(agent_name|key)\}$/, "*").replace(/\{([^}]+)\}/g, ":$1") as HttpLayerRouter.PathInput

const checkResponse = (op: Operation, reply: Reply): ReadonlyArray<string> => {
  if (reply.bytes !== undefined) return []
  const declared = op.responses[String(reply.status)] !== undefined
  if (!declared && reply.status >= 400) {
    const d = (reply.body as { readonly detail?: unknown } | undefined)?.detail
    return typeof d === "string" || Array.isArray(d) ? [] : [`error ${reply.status} without a detail`]
  }
  return validateResponse(op, reply.status, reply.body, reply.body !== undefined)
}

/** @internal */
export const make = (
  deps: Deps
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, HttpServerRequest.HttpServerRequest> => {
  const authenticate = (request: HttpServerRequest.HttpServerRequest): Reply | undefined => {
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers["authorization"] ?? "")
    if (bearer === null) return detail(401, "Not authenticated", { "www-authenticate": "Bearer" })
    if (deps.keys.length > 0 && !deps.keys.includes(bearer[1].trim())) return detail(403, "Invalid API key")
    return undefined
  }

  const handle = (
    op: Operation,
    request: HttpServerRequest.HttpServerRequest,
    params: Record<string, string | undefined>
  ) =>
    Effect.gen(function*() {
      const route = `${op.method} ${op.path}`
      deps.countRoute(route)
      if (op.secured) {
        const denied = authenticate(request)
        if (denied !== undefined) return denied
      }
      const rf = forRoute(deps.faults(), op.method, op.path, op.operationId)
      if (rf !== undefined) {
        if (rf.latency !== undefined) yield* Effect.sleep(rf.latency)
        if (rf.dropRate !== undefined && deps.random() < rf.dropRate) return { status: 502, drop: true } satisfies Reply
        if (rf.errorRate !== undefined && deps.random() < rf.errorRate) {
          return detail(rf.errorStatus ?? 503, "Service Unavailable (injected by the emulator)")
        }
        if (rf.rateLimitRate !== undefined && deps.random() < rf.rateLimitRate) {
          return detail(429, "Rate limit exceeded (injected by the emulator)", {
            "retry-after": String(rf.retryAfterSeconds ?? 1)
          })
        }
      }
      let bodyText = ""
      if (op.requestBody !== undefined) {
        const body = yield* Body.read(request)
        if (body._tag === "Refused") return body.reply
        bodyText = body.text
      }
      const pathParams: Record<string, string> = {}
      for (const name of op.pathParams) {
        const raw = /^(agent_name|key)$/.test(name) && op.path.endsWith(`{${name}}`) ? params["*"] : params[name]
        if (raw !== undefined) pathParams[name] = decodeURIComponent(raw)
      }
      const url = new URL(request.url, "http://emulator.local")
      const headers: Record<string, string | undefined> = {}
      for (const [k, v] of Object.entries(request.headers)) headers[k.toLowerCase()] = v
      const valid = validateRequest(op, { pathParams, searchParams: url.searchParams, headers, bodyText })
      if (valid._tag === "Unparsable") return Body.unparsable
      if (valid._tag === "Invalid") return json(422, { detail: valid.issues })
      // The input was validated against this operation's spec: it has the operation's input type.
      const handler = deps.handlers[op.operationId as OperationId] as (input: unknown) => Effect.Effect<Reply>
      let reply = yield* handler(valid.value)
      if (deps.validateResponses) {
        const errors = checkResponse(op, reply)
        if (errors.length > 0) {
          deps.onViolation(route, reply.status, errors)
          reply = detail(500, `Emulator response violates the spec: ${errors.join("; ")}`)
        }
      }
      if (rf?.dropResponseRate !== undefined && deps.random() < rf.dropResponseRate) return { ...reply, drop: true }
      return reply
    }).pipe(
      Effect.catchAllDefect((defect) => Effect.succeed(detail(500, `Emulator defect: ${String(defect)}`))),
      Effect.map(toResponse)
    )

  const unrouted = Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
    const method = request.method.toUpperCase()
    deps.countRoute(`${method} ?`)
    const m = match(method, new URL(request.url, "http://emulator.local").pathname)
    return toResponse(m.methodNotAllowed ? detail(405, "Method Not Allowed") : detail(404, "Not Found"))
  })

  const routes = operations().map((op) =>
    HttpLayerRouter.route(
      op.method as "GET" | "POST" | "PUT" | "PATCH" | "DELETE",
      routePath(op),
      Effect.flatMap(
        HttpRouter.RouteContext,
        (context) =>
          Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) => handle(op, request, context.params))
      )
    )
  )

  const router = Effect.runSync(
    Effect.provideService(HttpLayerRouter.make, HttpLayerRouter.RouterConfig, { ignoreTrailingSlash: true })
  )
  Effect.runSync(router.addAll([...routes, HttpLayerRouter.route("*", "*", unrouted)]))
  return router.asHttpEffect().pipe(
    Effect.provideService(Scope.Scope, deps.scope),
    // Every path has a route (the catch-all), so this is only a guard.
    Effect.catchAll(() => unrouted)
  )
}
