/**
 * The Promise facade, for code not written with Effect: `@hai-effect/client`'s `HaiClient` has
 * the official TypeScript SDK's method names (`runSession`, `startSession`,
 * `waitForCompletion`, `sendMessage`, `client.sessions.list`...), takes an `AbortSignal`
 * (aborting cancels the session), and rejects with the SDK's tagged errors
 * (`err._tag === "NotFound"`, `err instanceof NotFound`).
 *
 * Offline, the emulator is started first (with Effect, since it is an Effect server); everything
 * after that is plain async/await.
 *
 *   npx tsx examples/promise-client.ts
 */
import { HaiClient, NotFound, tool } from "@hai-effect/client"
import * as Emulator from "@hai-effect/emulator/Emulator"
import { Effect, Layer, ManagedRuntime, Schema } from "effect"

const agent = "h/web-surfer-holo3-1-35b"

/** Offline: an emulator on a free port; online (HAI_API_KEY set): nothing to start. */
const startBackend = async () => {
  if (process.env.HAI_API_KEY) return { client: new HaiClient(), stop: async () => {} }
  const runtime = ManagedRuntime.make(
    Emulator.layerServer({ port: 0 }).pipe(Layer.provideMerge(Emulator.layer({ tick: "20 millis" })))
  )
  const { emulator, server } = await runtime.runPromise(
    Effect.all({ emulator: Emulator.Emulator, server: Emulator.EmulatorServer })
  )
  console.log(`emulator on ${server.url} (set HAI_API_KEY to use the hosted API)`)
  return {
    client: new HaiClient({ apiKey: emulator.apiKey, baseUrl: server.url }),
    stop: () => Promise.race([runtime.dispose(), new Promise<void>((r) => setTimeout(r, 2000))])
  }
}

const main = async () => {
  const { client, stop } = await startBackend()
  try {
    // One-shot run, with a typed answer and a plain async tool.
    const result = await client.runSession({
      agent,
      messages: "What should I wear in Paris today? Use get_weather.",
      answer: Schema.Struct({ advice: Schema.String }),
      tools: [
        tool({
          name: "get_weather",
          description: "Get the current weather for a city.",
          parameters: Schema.Struct({ city: Schema.String }),
          handler: async ({ city }) => `Sunny in ${city}`
        })
      ]
    }, { timeout: "10 minutes" })
    console.log(`runSession: ${result.status}, advice: ${result.answer.advice}`)

    // A handle: wait, follow up, wait again.
    await using session = await client.startSession({
      agent,
      messages: "Find the top story on Hacker News",
      idleTimeout: "10 minutes"
    })
    console.log(`startSession: ${session.id}`)
    const first = await session.waitForCompletion({ timeout: "10 minutes" })
    console.log(`turn 1: ${JSON.stringify(first.answer)}`)
    await session.sendMessage({ type: "user_message", message: "Now summarize its comments" })
    const second = await session.waitForCompletion({ timeout: "10 minutes" })
    console.log(`turn 2: ${JSON.stringify(second.answer)}`)
    const status = await session.status()
    console.log(`status(): ${status.status}`)
    let count = 0
    for await (const _ of session.changes({ fromIndex: 0 })) count++
    console.log(`changes({ fromIndex: 0 }): ${count} events`)
    await session.cancel()

    // AbortSignal: aborting a run cancels the session.
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 50)
    await client.runSession({ agent, messages: "Read every comment" }, { signal: controller.signal }).catch((e) =>
      console.log(`aborted runSession: ${e.name}`)
    )

    // Resource namespaces and tagged errors.
    const page = await client.sessions.list({ size: 5 })
    console.log(`sessions.list: ${page.items.length} sessions`)
    const agents = await client.agents.list()
    console.log(`agents.list: ${agents.items.map((a) => a.name).slice(0, 3).join(", ")}`)
    await client.sessions.get("00000000-0000-4000-8000-000000000000").catch((e) => {
      console.log(`sessions.get: ${e._tag} (instanceof NotFound: ${e instanceof NotFound})`)
    })
  } finally {
    await client.close()
    await stop()
  }
}

main().then(() => process.exit(0), (error) => {
  console.error(error)
  process.exit(1)
})
