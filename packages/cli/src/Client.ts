/**
 * The `HaiAgents` client a command talks to the API with, made from the global options and the
 * credentials found the way the SDK finds them.
 *
 * @since 0.1.0
 */
import type * as Command from "@effect/cli/Command"
import * as HttpClient from "@effect/platform/HttpClient"
import * as UrlParams from "@effect/platform/UrlParams"
import * as HaiAgents from "@hai-effect/core/HaiAgents"
import * as Credentials from "@hai-effect/platform-node/Credentials"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import type * as Redacted from "effect/Redacted"
import { globals } from "./Global.js"

/**
 * The name sent in `X-HCompany-Client-Name`.
 *
 * @since 0.1.0
 * @category Constants
 */
export const clientName = "hai-cli"

/**
 * Finds the credentials the way the SDK does, the global options first.
 *
 * @since 0.1.0
 * @category Accessors
 */
export const credentials: Effect.Effect<
  Credentials.Resolved,
  Credentials.ResolveError,
  Command.Command.Context<"hai">
> = Effect.flatMap(globals, (g) =>
  Credentials.resolve({
    apiKey: Option.getOrUndefined(g.apiKey),
    baseUrl: Option.getOrUndefined(g.baseUrl)
  }))

const target = (
  request: { readonly method: string; readonly url: string; readonly urlParams: UrlParams.UrlParams }
) => {
  const query = UrlParams.toString(request.urlParams)
  return `${request.method} ${request.url}${query.length > 0 ? `?${query}` : ""}`
}

/**
 * Logs every request and its status at debug level (`hai --log-level debug ...`). Headers,
 * and with them the key, are never logged.
 *
 * @since 0.1.0
 * @category Combinators
 */
export const logRequests = (client: HttpClient.HttpClient): HttpClient.HttpClient =>
  client.pipe(
    HttpClient.tapRequest((request) => Effect.logDebug(`→ ${target(request)}`)),
    HttpClient.tap((response) => Effect.logDebug(`← ${response.status} ${target(response.request)}`))
  )

/**
 * A `HaiAgents` client for found credentials, named as the CLI, its requests logged at debug
 * level.
 *
 * @since 0.1.0
 * @category Constructors
 */
export const makeClient = (
  found: { readonly apiKey: Redacted.Redacted<string>; readonly baseUrl?: string | undefined }
): Effect.Effect<HaiAgents.Service, never, HttpClient.HttpClient> =>
  HaiAgents.make({ apiKey: found.apiKey, baseUrl: found.baseUrl, clientName, transformClient: logRequests })

/**
 * Runs an effect with a `HaiAgents` client built from the resolved credentials over the
 * `HttpClient` in context.
 *
 * @since 0.1.0
 * @category Combinators
 */
export const withClient = <A, E, R>(
  effect: Effect.Effect<A, E, R>
): Effect.Effect<
  A,
  E | Credentials.ResolveError,
  Exclude<R, HaiAgents.HaiAgents> | HttpClient.HttpClient | Command.Command.Context<"hai">
> =>
  Effect.gen(function*() {
    const client = yield* makeClient(yield* credentials)
    return yield* Effect.provideService(effect, HaiAgents.HaiAgents, client)
  })
