/**
 * Type-checked (never run) by a strict consumer: `module`/`moduleResolution: nodenext`,
 * `skipLibCheck: false`, `exactOptionalPropertyTypes`. Every declaration file of the packages and
 * of what they import is checked too.
 */
import type { HaiAgents } from "@hai-effect/core"
import { HaiError, Session, Tool, Toolkit } from "@hai-effect/core"
import * as SessionModule from "@hai-effect/core/Session"
import { NodeHai } from "@hai-effect/platform-node"
import { Webhook, WebhookEvent } from "@hai-effect/webhooks"
import { DurableEngine, DurableSession } from "@hai-effect/workflow"
import { Effect, Match, Redacted, Schema } from "effect"

const lookup = Tool.make("lookup", {
  description: "Looks a word up",
  parameters: Schema.Struct({ word: Schema.String }),
  success: Schema.String,
  handler: ({ word }) => Effect.succeed(word.toUpperCase())
})

const Answer = Schema.Struct({ city: Schema.String, temperature: Schema.Number })

export const run: Effect.Effect<
  { readonly city: string; readonly temperature: number },
  HaiError.SessionError,
  HaiAgents.HaiAgents
> = Session.run({
  agent: "h/web-surfer-holo3-1-35b",
  messages: "What is the weather in Paris?",
  answer: Answer,
  tools: Toolkit.make(lookup),
  timeout: "5 minutes"
}).pipe(Effect.map((result) => result.answer))

export const sameModule: typeof Session.run = SessionModule.run

export const described = (error: HaiError.HaiError): string =>
  Match.value(error).pipe(
    Match.tag("RateLimited", (e) => `rate limited, retry in ${e.retryAfterMillis ?? "?"} ms`),
    Match.orElse((e) => `${e._tag}: ${e.message}`)
  )

export const isError: (u: unknown) => u is HaiError.HaiError = HaiError.isHaiError

export const verified = (body: string, signature: string | null, timestamp: string | null) =>
  Webhook.verify({ body, signature, timestamp, secrets: Redacted.make("whsec_x") }).pipe(
    Effect.map((event): string => WebhookEvent.isSessionEvent(event) ? event.data.session_id : String(event.type))
  )

export const main = run.pipe(
  Effect.provide(NodeHai.layer({ apiKey: Redacted.make("hk-..."), environment: "us" }))
)

// @hai-effect/workflow's index type-checks without either database driver installed.
export const durableStep = DurableSession.run({
  step: "find",
  agent: "h/web-surfer-holo3-1-35b",
  messages: "What is the weather in Paris?",
  answer: Answer
})
export const memoryEngine: typeof DurableEngine.layerMemory = DurableEngine.layerMemory
