/**
 * Node only, from the installed tarballs: a workflow whose step is `DurableSession.run` (a tool
 * and an answer Schema) on the in-memory engine, against the harness's emulator. The consumer
 * installs neither database driver (both are optional peers of @hai-effect/workflow), so this
 * also proves the package's index loads without them.
 */
import { FetchHttpClient } from "@effect/platform"
import { Workflow } from "@effect/workflow"
import { HaiAgents, Tool, Toolkit } from "@hai-effect/core"
import { DurableEngine, DurableSession } from "@hai-effect/workflow"
import { Effect, Layer, Redacted, Schema } from "effect"

/**
 * @param {{ baseUrl: string, apiKey: string }} options
 */
export const durable = (options) => {
  let toolCalls = 0
  const double = Tool.make("double", {
    description: "Doubles a number",
    parameters: Schema.Struct({ n: Schema.Number }),
    success: Schema.Number,
    handler: ({ n }) => Effect.sync(() => (toolCalls++, n * 2))
  })
  const Answer = Schema.Struct({ value: Schema.String })
  const Once = Workflow.make({
    name: "Once",
    payload: { id: Schema.String },
    success: Schema.Struct({ id: Schema.String, answer: Answer }),
    error: DurableSession.SessionError,
    idempotencyKey: ({ id }) => id
  })
  const OnceLive = Once.toLayer(() =>
    DurableSession.run({
      step: "only",
      agent: "h/web-surfer-holo3-1-35b",
      messages: "Double a number with the tool, then answer",
      answer: Answer,
      tools: Toolkit.make(double),
      pollInterval: "200 millis"
    }).pipe(Effect.map((result) => ({ id: result.id, answer: result.answer })))
  )
  return Effect.runPromise(
    Once.execute({ id: "consumer" }).pipe(
      Effect.map((result) => ({ sessionId: result.id, answer: result.answer, toolCalls })),
      Effect.provide(
        OnceLive.pipe(
          Layer.provideMerge(DurableEngine.layerMemory),
          Layer.provideMerge(
            HaiAgents.layer({ apiKey: Redacted.make(options.apiKey), baseUrl: options.baseUrl }).pipe(
              Layer.provide(FetchHttpClient.layer)
            )
          )
        )
      )
    )
  )
}
