/**
 * What every runtime proves, from the installed tarballs: `Session.run` with a tool and an
 * answer Schema over the runtime's own `fetch`, then `Webhook.verify` of a signed delivery the
 * emulator made for that session (fetched from the harness's collector), and the refusal of the
 * same delivery with its body changed.
 */
import { FetchHttpClient } from "@effect/platform"
import { HaiAgents, Session, Tool, Toolkit } from "@hai-effect/core"
import { Webhook } from "@hai-effect/webhooks"
import { Effect, Either, Layer, Redacted, Schedule, Schema } from "effect"

const runtimeName = () => {
  const g = globalThis
  if (typeof g.Bun !== "undefined") return `bun ${g.Bun.version}`
  if (typeof g.Deno !== "undefined") return `deno ${g.Deno.version.deno}`
  if (g.navigator?.userAgent === "Cloudflare-Workers") return "workerd"
  return `node ${g.process.versions.node}`
}

/**
 * @param {{ baseUrl: string, apiKey: string, collectorUrl: string, webhookSecret: string }} options
 */
export const probe = (options) => {
  let toolCalls = 0
  const double = Tool.make("double", {
    description: "Doubles a number",
    parameters: Schema.Struct({ n: Schema.Number }),
    success: Schema.Number,
    handler: ({ n }) => Effect.sync(() => (toolCalls++, n * 2))
  })

  const delivery = (sessionId) =>
    Effect.tryPromise(() =>
      fetch(`${options.collectorUrl}/deliveries?session=${sessionId}&type=session.completed`).then((r) => r.json())
    ).pipe(
      Effect.filterOrFail((found) => found !== null, () => new Error(`no session.completed delivery for ${sessionId}`)),
      Effect.retry({ schedule: Schedule.spaced("20 millis"), times: 250 })
    )

  const verify = (body, headers) =>
    Webhook.verify({
      body,
      signature: headers[Webhook.SignatureHeader.toLowerCase()] ?? null,
      timestamp: headers[Webhook.TimestampHeader.toLowerCase()] ?? null,
      secrets: Redacted.make(options.webhookSecret)
    })

  const program = Effect.gen(function*() {
    const result = yield* Session.run({
      agent: "h/web-surfer-holo3-1-35b",
      messages: "Double a number with the tool, then answer",
      answer: Schema.Struct({ value: Schema.String }),
      tools: Toolkit.make(double),
      timeout: "60 seconds"
    })
    const signed = yield* delivery(result.id)
    const event = yield* verify(signed.body, signed.headers)
    const tampered = yield* Effect.either(verify(signed.body.replace("completed", "failed"), signed.headers))
    return {
      runtime: runtimeName(),
      session: { status: result.status, answer: result.answer, events: result.events.length, toolCalls },
      webhook: {
        verified: event.type,
        sessionMatches: event.data?.session_id === result.id,
        tamperedRejected: Either.isLeft(tampered) ? tampered.left._tag : "ACCEPTED"
      }
    }
  })

  return Effect.runPromise(
    program.pipe(
      Effect.provide(
        HaiAgents.layer({ apiKey: Redacted.make(options.apiKey), baseUrl: options.baseUrl }).pipe(
          Layer.provide(FetchHttpClient.layer)
        )
      )
    )
  )
}
