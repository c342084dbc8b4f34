/**
 * Tracing with OpenTelemetry: every operation of the SDK is a span (`Session.run`,
 * `Session.start`, `HaiAgents.sessions.create`, the HTTP client's spans with redacted headers,
 * ...), tagged with `hai.session_id`. `@effect/opentelemetry` exports them; here to an in-memory
 * exporter whose spans are printed as a tree (swap in an OTLP exporter for Jaeger, Honeycomb, ...).
 * The session watcher's long-polls are not traced: two spans per event would bury the rest.
 *
 *   npx tsx examples/tracing.ts
 */
import { NodeSdk } from "@effect/opentelemetry"
import { Session, Tool, Toolkit } from "@hai-effect/core"
import { InMemorySpanExporter, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { Console, Effect, Schema } from "effect"
import * as Example from "./support/layer.js"

interface Recorded {
  readonly name: string
  readonly spanId: string
  readonly parentId: string | undefined
  readonly millis: number
  readonly ok: boolean
  readonly sessionId: unknown
}

const exporter = new InMemorySpanExporter()
const OpenTelemetry = NodeSdk.layer(() => ({
  resource: { serviceName: "hai-effect-example" },
  spanProcessor: new SimpleSpanProcessor(exporter)
}))

const recorded = (): Array<Recorded> =>
  exporter.getFinishedSpans().map((span) => ({
    name: span.name,
    spanId: span.spanContext().spanId,
    parentId: span.parentSpanContext?.spanId,
    millis: span.duration[0] * 1e3 + span.duration[1] / 1e6,
    ok: span.status.code !== 2,
    sessionId: span.attributes["hai.session_id"]
  }))

const lookup = Tool.make("lookup", {
  description: "Look a word up",
  parameters: Schema.Struct({ word: Schema.String }),
  handler: ({ word }) => Effect.succeed(`${word}: a definition`).pipe(Effect.withSpan("app.lookup"))
})

const program = Effect.gen(function*() {
  yield* Session.run({
    agent: "h/web-surfer-holo3-1-35b",
    messages: "Define 'effect' using the lookup tool",
    tools: Toolkit.make(lookup),
    timeout: "10 minutes"
  }).pipe(Effect.withSpan("app.main"))

  // Print the tree under app.main, collapsing repeated siblings (the long-poll rounds).
  const spans = recorded()
  const children = (id: string | undefined) => spans.filter((s) => s.parentId === id)
  const print = (span: Recorded, depth: number): Effect.Effect<void> =>
    Effect.gen(function*() {
      const session = span.sessionId === undefined ? "" : `  [hai.session_id=${String(span.sessionId).slice(0, 8)}…]`
      yield* Console.log(
        `${"  ".repeat(depth)}${span.name} ${span.millis.toFixed(1)} ms${span.ok ? "" : " (failed)"}${session}`
      )
      const kids = children(span.spanId)
      const byName = new Map<string, Array<Recorded>>()
      for (const kid of kids) byName.set(kid.name, [...(byName.get(kid.name) ?? []), kid])
      for (const [name, group] of byName) {
        if (group.length > 3) {
          yield* print(group[0], depth + 1)
          yield* Console.log(`${"  ".repeat(depth + 1)}… ${group.length - 1} more ${name}`)
        } else {
          for (const kid of group) yield* print(kid, depth + 1)
        }
      }
    })
  const root = spans.find((s) => s.name === "app.main")
  if (root !== undefined) yield* print(root, 0)
  const names = new Set(spans.map((s) => s.name))
  yield* Console.log(`\n${spans.length} spans exported to OpenTelemetry; names: ${[...names].sort().join(", ")}`)
})

Example.runMain(program.pipe(Effect.provide(OpenTelemetry)))
