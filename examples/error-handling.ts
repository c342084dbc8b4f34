/**
 * Error handling by tag: every failure is a tagged error with a message that says what to do.
 * `Effect.catchTags` handles the ones you expect (NotFound, Unprocessable, RateLimited,
 * Unauthorized, SessionFailed, WaitTimeout...) and the compiler knows which are left.
 * HTTP errors carry the method, URL and the server's `detail` (like the official SDK's `ApiError`).
 *
 * Offline, the emulator is scripted to produce each one (a 429 through fault injection).
 *
 *   npx tsx examples/error-handling.ts
 */
import { FetchHttpClient } from "@effect/platform"
import { HaiAgents, RetryPolicy, Session } from "@hai-effect/core"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Console, Effect, Layer } from "effect"
import * as Example from "./support/layer.js"

const agent = "h/web-surfer-holo3-1-35b"

const program = Effect.gen(function*() {
  const hai = yield* HaiAgents.HaiAgents
  const backend = yield* Example.Backend

  // 404: no such session.
  yield* hai.sessions.get("00000000-0000-4000-8000-000000000000").pipe(
    Effect.flatMap((s) => Console.log(`found ${s.id}?`)),
    Effect.catchTags({
      NotFound: (e) => Console.log(`NotFound: ${e.message}`)
    })
  )

  // A request the wire Schema refuses is not even sent: InvalidRequest, with the bad field.
  yield* hai.sessions.create({ agent, messages: "hi", max_steps: -1 }).pipe(
    Effect.flatMap((s) => Console.log(`created ${s.id}?`)),
    Effect.catchTags({
      InvalidRequest: (e) => Console.log(`InvalidRequest (refused before sending): ${e.message}`)
    })
  )

  // 422 from the server (its `detail` list is kept): an idempotency key reused with another body.
  const idempotencyKey = `example-${Date.now()}`
  const first = yield* hai.sessions.create({ agent, messages: "Find the top story" }, { idempotencyKey })
  yield* hai.sessions.create({ agent, messages: "Something else" }, { idempotencyKey }).pipe(
    Effect.flatMap((s) => Console.log(`created ${s.id}?`)),
    Effect.catchTags({
      Unprocessable: (e) => Console.log(`Unprocessable: ${e.message}`)
    })
  )
  yield* hai.sessions.cancel(first.id)

  // 401/403: a wrong key.
  yield* Effect.flatMap(HaiAgents.HaiAgents, (bad) => bad.sessions.quota()).pipe(
    Effect.provide(
      HaiAgents.layer({ apiKey: "hk-wrong", baseUrl: backend.baseUrl }).pipe(Layer.provide(FetchHttpClient.layer))
    ),
    Effect.flatMap(() => Console.log("a wrong key worked?")),
    Effect.catchTags({ Unauthorized: (e) => Console.log(`Unauthorized: ${e.message}`) })
  )

  // 429: offline, inject rate limits; a client without retries surfaces RateLimited at once
  // (the default policy would wait Retry-After and try again).
  yield* Example.offline((emulator) =>
    Effect.gen(function*() {
      yield* emulator.setFaults({
        routes: [{ route: "/api/v2/sessions/quota", rateLimitRate: 1, retryAfterSeconds: 7 }]
      })
      yield* Effect.flatMap(HaiAgents.HaiAgents, (noRetry) => noRetry.sessions.quota()).pipe(
        Effect.provide(
          HaiAgents.layer({ apiKey: emulator.apiKey, baseUrl: backend.baseUrl, retrySchedule: RetryPolicy.none }).pipe(
            Layer.provide(FetchHttpClient.layer)
          )
        ),
        Effect.flatMap(() => Console.log("not rate limited?")),
        Effect.catchTags({ RateLimited: (e) => Console.log(`RateLimited: ${e.message}`) })
      )
      yield* emulator.setFaults({})
    })
  )

  // The session itself failing: a typed SessionFailed with the status and error code.
  yield* Example.offline((emulator) =>
    emulator.registerScenario(agent, (context) =>
      context.messages.some((m) => m.includes("crash"))
        ? [Scenario.think("tick"), Scenario.fail("environment_error", "The browser crashed")]
        : context.messages.some((m) => m.includes("forever"))
        ? [Scenario.hang]
        : Scenario.defaultScenario(context))
  )
  yield* Session.run({ agent, messages: "Open a page that will crash the browser", timeout: "10 minutes" }).pipe(
    Effect.flatMap((r) => Console.log(`settled ${r.status}`)),
    Effect.catchTags({
      SessionFailed: (e) => Console.log(`SessionFailed: status ${e.status}, code ${e.errorCode}, error ${e.error}`)
    })
  )

  // Waiting too long: WaitTimeout names the last status; Session.run cancels the session.
  yield* Session.run({ agent, messages: "Browse forever", timeout: "1 second" }).pipe(
    Effect.flatMap((r) => Console.log(`settled ${r.status}`)),
    Effect.catchTags({
      WaitTimeout: (e) => Console.log(`WaitTimeout: ${e.message}`),
      SessionFailed: (e) => Console.log(`SessionFailed: ${e.message}`)
    })
  )
})

Example.runMain(program)
