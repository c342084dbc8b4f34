/**
 * Requests per session when watchers are woken by webhooks (SessionSignals, polling once a minute
 * as a safety net) against plain long-polling, on the same long-running scripted sessions.
 *
 * Time is simulated (TestClock): the sessions run for minutes of emulated time in a second of
 * real time, and request counts do not depend on the machine's speed. Webhooks are delivered
 * in-process by the emulator to the WebhookSignals bridge, signed and verified for real.
 *
 *   pnpm tsx bench/webhook-savings.ts [sessions=20] [steps=30] [stepSeconds=5]
 */
import { HttpClient } from "@effect/platform"
import { HaiAgents, Session, SessionSignals } from "@hai-effect/core"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { WebhookSignals } from "@hai-effect/webhooks"
import { Effect, Fiber, Layer, Option, Redacted, Ref, TestClock, TestContext } from "effect"

const sessions = Number(process.argv[2] ?? 20)
const steps = Number(process.argv[3] ?? 30)
const stepSeconds = Number(process.argv[4] ?? 5)

const measure = (mode: "longPoll" | "signals") =>
  Effect.gen(function*() {
    const secret = yield* Ref.make("unset")
    const signals = yield* SessionSignals.make
    const bridge = Effect.flatMap(Ref.get(secret), (s) => WebhookSignals.toHttpApp({ secrets: Redacted.make(s) })).pipe(
      Effect.provideService(SessionSignals.SessionSignals, signals)
    )
    let requests = 0
    const layer = HaiAgents.layer({
      apiKey: "hk-emulator",
      baseUrl: "http://emulator.local",
      transformClient: HttpClient.tapRequest(() => Effect.sync(() => requests++))
    }).pipe(
      Layer.provideMerge(Emulator.layerClient),
      Layer.provideMerge(
        Emulator.layer({ webhookClient: Emulator.makeClient(bridge), concurrency: sessions, tick: "300 millis" })
      ),
      Layer.provideMerge(Layer.succeed(SessionSignals.SessionSignals, signals))
    )
    return yield* Effect.gen(function*() {
      const hai = yield* HaiAgents.HaiAgents
      const emulator = yield* Emulator.Emulator
      const hook = yield* hai.webhooks.create({ url: "http://hooks.local/hai" })
      yield* Ref.set(secret, hook.secret)
      yield* emulator.registerScenario("bench/long", [
        ...Array.from({ length: steps }, () => Scenario.think(`${stepSeconds} seconds`)),
        Scenario.answer("done")
      ])
      requests = 0
      const fiber = yield* Effect.fork(Effect.forEach(
        Array.from({ length: sessions }, (_, i) => i),
        (i) =>
          Session.run({
            agent: "bench/long",
            messages: `task ${i}`,
            watch: mode === "signals" ? { wakeOn: "signals", safetyInterval: "1 minute" } : undefined
          }),
        { concurrency: "unbounded" }
      ))
      let simulated = 0
      while (Option.isNone(yield* Fiber.poll(fiber))) {
        // WebCrypto signing is a real promise: give it real time between clock steps.
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 1)))
        yield* TestClock.adjust("250 millis")
        simulated += 0.25
      }
      const results = yield* Fiber.join(fiber)
      return { requests, simulated, settled: results.length }
    }).pipe(Effect.provide(layer))
  }).pipe(Effect.scoped, Effect.provide(TestContext.TestContext))

const main = Effect.gen(function*() {
  const polling = yield* measure("longPoll")
  const signalled = yield* measure("signals")
  const per = (n: number) => (n / sessions).toFixed(1)
  yield* Effect.sync(() => {
    console.log(
      `${sessions} sessions of ${steps} steps x ${stepSeconds} s (about ${steps * stepSeconds} s each, simulated)`
    )
    console.log(
      `long-polling: ${polling.requests} requests = ${per(polling.requests)} per session (${polling.settled} settled)`
    )
    console.log(
      `webhooks + 1 min safety poll: ${signalled.requests} requests = ${
        per(signalled.requests)
      } per session (${signalled.settled} settled)`
    )
    console.log(
      `webhook-savings: ratio=${(signalled.requests / polling.requests).toFixed(2)}x of the long-poll requests`
    )
  })
})

Effect.runPromise(main).catch((error) => {
  console.error(error)
  process.exit(1)
})
