/**
 * A time limit on one HTTP exchange that costs no fiber.
 *
 * `Effect.timeoutFail` forks the exchange and a sleeper and races them: two fibers and the race's
 * bookkeeping per request, alive for the whole of a long-poll, for every watched session. Here the
 * exchange runs on the caller's fiber, its request tied to a `Scope` (`HttpClient.withScope`), and
 * a timer closes that scope, which aborts the request: the exchange then fails where it waits, and
 * that failure becomes the timeout's. `bench/session-primitives.ts` measures this against
 * `Effect.timeoutFail` (`timeoutBy: "interrupt"`, kept for a client that ignores the abort).
 *
 * Every clock takes the same path; only the timer differs. Under the live clock it is the timer
 * that clock itself would set (`setTimeout`); under another clock (`TestClock`) it is a fiber
 * sleeping on that clock, so tests drive the production path with the test's time. The live
 * clock is not given a fiber too: a fiber per request costs more CPU per request and more memory
 * per waiting long-poll than a timer (`bench/session-primitives.ts`, variant `fork-timer`).
 *
 * @since 0.1.0
 * @internal
 */
import * as HttpClient from "@effect/platform/HttpClient"
import type * as HttpClientError from "@effect/platform/HttpClientError"
import * as Clock from "effect/Clock"
import * as Context from "effect/Context"
import * as DefaultServices from "effect/DefaultServices"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as FiberId from "effect/FiberId"
import * as Scope from "effect/Scope"

/** The clock of Effect's default services: `Date.now` and `setTimeout`. */
export const liveClock: Clock.Clock = Context.get(DefaultServices.liveServices, Clock.Clock)

/** What runs an exchange under a deadline; built once per client. */
export type Deadlined = <A, E, E2>(
  exchange: (
    client: HttpClient.HttpClient.With<HttpClientError.HttpClientError, Scope.Scope>
  ) => Effect.Effect<A, E, Scope.Scope>,
  millis: number,
  onTimeout: () => E2
) => Effect.Effect<A, E | E2>

type Timer = ReturnType<typeof setTimeout> | Fiber.RuntimeFiber<void>

/** Calls `fire` after `millis` of `clock`'s time, unless stopped first. */
const startTimer = (clock: Clock.Clock, millis: number, fire: () => void): Timer =>
  clock === liveClock
    ? setTimeout(fire, millis)
    : Effect.runFork(Effect.andThen(clock.sleep(Duration.millis(millis)), fire))

const stopTimer = (timer: Timer) =>
  Fiber.isFiber(timer) ? timer.unsafeInterruptAsFork(FiberId.none) : clearTimeout(timer)

/**
 * Runs `exchange` on `client`; when it has not finished within `millis`, its request is aborted and
 * it fails with `onTimeout()`.
 */
export const make = (
  client: HttpClient.HttpClient,
  by: "abort" | "interrupt" = "abort",
  // `client` with its requests tied to the exchange's scope; given when that tie must sit beneath
  // wrappers of the client (see `Transport.makeRunner`).
  scoped: HttpClient.HttpClient.With<HttpClientError.HttpClientError, Scope.Scope> = HttpClient.withScope(client)
): Deadlined => {
  if (by === "interrupt") {
    return (exchange, millis, onTimeout) =>
      Effect.timeoutFail(Effect.scoped(exchange(client)), { duration: Duration.millis(millis), onTimeout })
  }
  return <A, E, E2>(
    exchange: (
      client: HttpClient.HttpClient.With<HttpClientError.HttpClientError, Scope.Scope>
    ) => Effect.Effect<A, E, Scope.Scope>,
    millis: number,
    onTimeout: () => E2
  ): Effect.Effect<A, E | E2> =>
    Effect.clockWith((clock) =>
      Effect.flatMap(Scope.make(), (scope) => {
        let timedOut = false
        const abort = Scope.close(scope, Exit.void)
        // Closing the scope only aborts the request (the platform's finalizer): it needs none of
        // the caller's context, and runs wherever the timer fires.
        const timer = startTimer(clock, millis, () => {
          timedOut = true
          Effect.runFork(abort)
        })
        return exchange(scoped).pipe(
          Effect.provideService(Scope.Scope, scope),
          // A request tied to a scope is aborted by closing the scope, not by interruption.
          Effect.onExit((exit) => {
            stopTimer(timer)
            return Exit.isFailure(exit) ? abort : Effect.void
          }),
          Effect.mapError((error): E | E2 => timedOut ? onTimeout() : error)
        )
      })
    )
}
