import { FetchHttpClient, HttpClient } from "@effect/platform"
import { assert, describe, it } from "@effect/vitest"
import { HaiAgents, Session, SessionSignals } from "@hai-effect/core"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Effect, Layer, Redacted, Ref } from "effect"
import { WebhookSignals } from "../src/index.js"

const agent = "stepper"
const steps = [
  Scenario.think("40 millis"),
  Scenario.think("40 millis"),
  Scenario.think("40 millis"),
  Scenario.think("40 millis"),
  Scenario.think("40 millis"),
  Scenario.think("40 millis"),
  Scenario.answer("done")
]

/**
 * The emulator delivers its signed webhooks in-process to the bridge, which wakes the watchers;
 * the secret is only known once the webhook is registered, hence the Ref.
 */
const setup = Effect.gen(function*() {
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
    Layer.provideMerge(Emulator.layer({ webhookClient: Emulator.makeClient(bridge), tick: "40 millis" })),
    Layer.provideMerge(Layer.succeed(SessionSignals.SessionSignals, signals)),
    Layer.provide(FetchHttpClient.layer)
  )
  return { secret, layer, requests: () => requests }
})

describe("WebhookSignals", () => {
  it.live("a watcher woken by webhooks settles at once and needs fewer requests than long-polling", () =>
    Effect.gen(function*() {
      const { layer, requests, secret } = yield* setup
      const measured = yield* Effect.gen(function*() {
        const hai = yield* HaiAgents.HaiAgents
        const hook = yield* hai.webhooks.create({ url: "http://hooks.local/hai" })
        yield* Ref.set(secret, hook.secret)
        const emulator = yield* Emulator.Emulator
        yield* emulator.registerScenario(agent, steps)

        const before = requests()
        const started = Date.now()
        const viaSignals = yield* Session.run({
          agent,
          messages: "go",
          watch: { wakeOn: "signals", safetyInterval: "1 minute" }
        })
        const signalMillis = Date.now() - started
        const signalRequests = requests() - before

        const before2 = requests()
        const viaPolling = yield* Session.run({ agent, messages: "go" })
        const pollRequests = requests() - before2

        const delivered = (yield* emulator.deliveries).length
        return { viaSignals, viaPolling, signalMillis, signalRequests, pollRequests, delivered }
      }).pipe(Effect.provide(layer))

      assert.strictEqual(measured.viaSignals.status, "idle")
      assert.strictEqual(measured.viaSignals.answer, "done")
      assert.strictEqual(measured.viaPolling.answer, "done")
      assert.isAbove(measured.delivered, 0)
      // settled on the webhook, not on the one-minute safety poll
      assert.isBelow(measured.signalMillis, 10_000)
      assert.isBelow(measured.signalRequests, measured.pollRequests)
    }))
})
