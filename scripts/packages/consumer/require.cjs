/**
 * CommonJS, as a project without `"type": "module"` writes it: `require()` of the ESM-only
 * packages (Node 20.19 and later load an ES module graph synchronously), next to `effect`
 * required as CommonJS. Runs a session against the emulator URL given on the command line and
 * verifies a delivery it signs itself.
 *
 *   node require.cjs <baseUrl> <apiKey>
 */
const { FetchHttpClient } = require("@effect/platform")
const { HaiAgents, HaiError, Session } = require("@hai-effect/core")
const { Webhook } = require("@hai-effect/webhooks")
const { Effect, Layer, Redacted, Schema } = require("effect")

const [baseUrl, apiKey] = process.argv.slice(2)
const secret = Redacted.make("whsec_commonjs")

const program = Effect.gen(function*() {
  const result = yield* Session.run({
    agent: "h/web-surfer-holo3-1-35b",
    messages: "Answer from CommonJS",
    answer: Schema.Struct({ value: Schema.String }),
    timeout: "60 seconds"
  })
  const body = JSON.stringify({
    type: "session.completed",
    id: "evt_commonjs",
    created_at: new Date().toISOString(),
    data: { session_id: result.id, status: "completed", previous_status: "running" }
  })
  const headers = yield* Webhook.sign({ body, secret })
  const event = yield* Webhook.verify({
    body,
    signature: headers[Webhook.SignatureHeader],
    timestamp: headers[Webhook.TimestampHeader],
    secrets: secret
  })
  const unauthorized = yield* Effect.flip(
    Session.run({ agent: "h/web-surfer-holo3-1-35b", messages: "x" }).pipe(
      Effect.provide(HaiAgents.layer({ apiKey: "hk-wrong", baseUrl }).pipe(Layer.provide(FetchHttpClient.layer)))
    )
  )
  return {
    status: result.status,
    answer: result.answer,
    verified: event.type,
    wrongKey: HaiError.isHaiError(unauthorized) ? unauthorized._tag : "not a HaiError"
  }
})

Effect.runPromise(
  program.pipe(Effect.provide(HaiAgents.layer({ apiKey, baseUrl }).pipe(Layer.provide(FetchHttpClient.layer))))
).then(
  (result) => console.log(JSON.stringify(result)),
  (error) => {
    console.error(error)
    process.exit(1)
  }
)
