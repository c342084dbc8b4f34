/**
 * A session through `FetchHttpClient` (the runtime's own `fetch`), for other runtimes: run as
 * `bun packages/core/test/runtimes/session-fetch.ts <baseUrl> <apiKey>`; prints the result as JSON.
 */
import { FetchHttpClient } from "@effect/platform"
import { Effect, Layer, Schema } from "effect"
import { HaiAgents, Session, Tool, Toolkit } from "../../src/index.js"

const [baseUrl, apiKey] = process.argv.slice(2)

const double = Tool.make("double", {
  description: "Doubles a number",
  parameters: Schema.Struct({ n: Schema.Number }),
  handler: ({ n }) => Effect.succeed(n * 2)
})

const program = Session.run({
  agent: "h/web-surfer-holo3-1-35b",
  messages: "Double a number with the tool",
  answer: Schema.Struct({ value: Schema.String }),
  tools: Toolkit.make(double),
  timeout: "60 seconds"
}).pipe(
  Effect.map((result) => ({
    status: result.status,
    answer: result.answer,
    events: result.events.length,
    runtime: typeof (globalThis as any).Bun !== "undefined" ? "bun" : "node"
  })),
  Effect.provide(HaiAgents.layer({ apiKey, baseUrl }).pipe(Layer.provide(FetchHttpClient.layer)))
)

Effect.runPromise(program).then(
  (result) => process.stdout.write(JSON.stringify(result) + "\n"),
  (error) => {
    process.stderr.write(String(error) + "\n")
    process.exit(1)
  }
)
