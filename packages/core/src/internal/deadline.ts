/**
 * A time limit on one HTTP exchange that costs no fiber.
 *
 * `Effect.timeoutFail` forks the exchange and a sleeper and races them: two fibers and the race's
 * bookkeeping per request, alive for the whole of a 20 s long-poll. With a thousand sessions
 * watched at once that was the largest single cost of a request (a fork alone costs about a third
 * of a request). Here the request is tied to a `Scope` (`HttpClient.withScope`), and a plain timer,
 * the one the live `Clock` itself would use, closes that scope, which aborts the request: the
 * exchange then fails where it waits, in its own fiber, and that failure becomes the timeout's.
 *
 * Under any other clock (`TestClock`) the standard `Effect.timeoutFail` keeps the rule testable, and
 * `timeoutBy: "interrupt"` asks for it for a hand-made client that would ignore the abort.
 *
 * @since 0.1.0
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import type * as Clock from "effect/Clock"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Scope from "effect/Scope"

let live: Clock.Clock | undefined
// The default services' clock is one instance for the whole runtime; a test clock is another.
const liveClock = (): Clock.Clock => (live ??= Effect.runSync(Effect.clock))

/** What runs an exchange under a deadline; built once per client. */
export type Deadlined = <A, E, E2>(
  exchange: (
    client: HttpClient.HttpClient.With<HttpClientError.HttpClientError, Scope.Scope>
  ) => Effect.Effect<A, E, Scope.Scope>,
  millis: number,
  onTimeout: () => E2
) => Effect.Effect<A, E | E2>

/**
 * Runs `exchange` on `client`; when it has not finished within `millis`, its request is aborted and
 * it fails with `onTimeout()`.
 */
export const make = (client: HttpClient.HttpClient, by: "abort" | "interrupt" = "abort"): Deadlined => {
  const scoped = HttpClient.withScope(client)
  return <A, E, E2>(
    exchange: (
      client: HttpClient.HttpClient.With<HttpClientError.HttpClientError, Scope.Scope>
    ) => Effect.Effect<A, E, Scope.Scope>,
    millis: number,
    onTimeout: () => E2
  ): Effect.Effect<A, E | E2> =>
    Effect.clockWith((clock) => {
      if (by === "interrupt" || clock !== liveClock()) {
        return Effect.timeoutFail(Effect.scoped(exchange(client)), { duration: Duration.millis(millis), onTimeout })
      }
      return Effect.flatMap(Scope.make(), (scope) => {
        let timedOut = false
        const abort = Scope.close(scope, Exit.void)
        const timer = setTimeout(() => {
          timedOut = true
          Effect.runFork(abort)
        }, millis)
        return exchange(scoped).pipe(
          Effect.provideService(Scope.Scope, scope),
          // A request tied to a scope is aborted by closing the scope, not by interruption.
          Effect.onExit((exit) => {
            clearTimeout(timer)
            return Exit.isFailure(exit) ? abort : Effect.void
          }),
          Effect.mapError((error): E | E2 => timedOut ? onTimeout() : error)
        )
      })
    })
}
