/**
 * Receiving webhooks: a local server mounts `WebhookHandler.toHttpApp`, which reads the raw
 * body, verifies the `X-H-Webhook-Signature` HMAC and timestamp, decodes a typed event and runs
 * the handler (answering 204; 401 for a bad signature). Offline, the emulator delivers signed
 * webhooks to it: register a webhook pointing at the server (its secret comes back once, at
 * creation), run a session, print the verified events. A forged delivery is refused.
 *
 * Online, the hosted API cannot reach localhost: the example then only verifies a delivery it
 * signs itself (`Webhook.sign`), as you would in a test.
 *
 *   npx tsx examples/webhooks.ts
 */
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { HaiAgents, Session } from "@hai-effect/core"
import { Webhook, WebhookConfig, WebhookDedupe, WebhookEvent, WebhookHandler } from "@hai-effect/webhooks"
import { Console, Deferred, Effect, Layer, Queue, Redacted, Stream } from "effect"
import { createServer } from "node:http"
import * as Example from "./support/layer.js"

const program = Effect.gen(function*() {
  const hai = yield* HaiAgents.HaiAgents
  const received = yield* Queue.unbounded<WebhookEvent.WebhookEvent>()
  const secret = yield* Deferred.make<Redacted.Redacted<string>>()

  // The receiver: verified events go to a queue. Its secret is known once the webhook exists,
  // so the app waits for it (a real server would read HAI_WEBHOOK_SECRET: WebhookConfig.layerConfig()).
  const app = Effect.flatMap(
    Deferred.await(secret),
    (key) =>
      WebhookHandler.toHttpApp((event) => Queue.offer(received, event)).pipe(
        Effect.provideService(WebhookConfig.WebhookConfig, WebhookConfig.make({ secrets: key }))
      )
  )
  const server = yield* Layer.build(
    HttpServer.serve(app).pipe(
      Layer.provide(WebhookDedupe.layerMemory()), // a replayed event id is acknowledged, not run twice
      Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" }))
    )
  ).pipe(Effect.flatMap((context) => Effect.provide(HttpServer.HttpServer, context)))
  const address = server.address
  const receiverUrl = `http://127.0.0.1:${address._tag === "TcpAddress" ? address.port : 0}/webhooks`
  yield* Console.log(`webhook receiver on ${receiverUrl}`)

  if (yield* Example.isOffline) {
    const webhook = yield* hai.webhooks.create({
      url: receiverUrl,
      enabled_events: ["session.status_updated", "session.idle", "session.completed", "session.failed"],
      description: "examples/webhooks.ts"
    })
    yield* Console.log(`registered webhook ${webhook.id} (secret ${webhook.secret.slice(0, 10)}…, shown once)`)
    yield* Deferred.succeed(secret, Redacted.make(webhook.secret))

    const result = yield* Session.run({ agent: "h/web-surfer-holo3-1-35b", messages: "Find the top story on HN" })
    yield* Console.log(`session ${result.id} settled ${result.status}; verified deliveries:`)
    yield* Stream.fromQueue(received).pipe(
      Stream.tap((event) =>
        Console.log(
          WebhookEvent.isSessionEvent(event)
            ? `  ${event.type.padEnd(24)} ${event.data.previous_status ?? "-"} -> ${event.data.status}`
            : `  ${String(event.type)}`
        )
      ),
      Stream.takeUntil((event) => event.type === "session.idle" || event.type === "session.completed"),
      Stream.runDrain,
      Effect.timeout("10 seconds")
    )
    yield* hai.webhooks.delete(webhook.id)
  } else {
    yield* Deferred.succeed(secret, Redacted.make("whsec_local_example"))
  }

  // A delivery signed with the right secret is accepted; a forged one gets 401.
  const body = JSON.stringify({
    type: "session.completed",
    id: `evt_${Date.now()}`,
    created_at: new Date().toISOString(),
    data: { session_id: "00000000-0000-4000-8000-000000000000", status: "completed", previous_status: "running" }
  })
  const key = yield* Deferred.await(secret)
  const signed = yield* Webhook.sign({ body, secret: key })
  const post = (headers: Record<string, string>) =>
    Effect.promise(() => fetch(receiverUrl, { method: "POST", body, headers }).then((r) => r.status))
  yield* Console.log(`signed delivery: ${yield* post({ ...signed })}`)
  yield* Console.log(
    `forged delivery: ${yield* post({ ...signed, [Webhook.SignatureHeader]: `sha256=${"0".repeat(64)}` })}`
  )
  const last = yield* Queue.take(received)
  yield* Console.log(`handler saw ${last.type} for ${WebhookEvent.isSessionEvent(last) ? last.data.session_id : "?"}`)
})

Example.runMain(program)
