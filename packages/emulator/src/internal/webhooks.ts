import type * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientRequest from "@effect/platform/HttpClientRequest"
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import type * as Scope from "effect/Scope"
import { createHmac } from "node:crypto"
import type { Config as FaultsConfig } from "../Faults.js"
import type { Reply } from "./reply.js"
import { detail, empty, json, notFound, page } from "./reply.js"
import type { Status } from "./session/model.js"

/** @internal */
export const EVENT_TYPES: ReadonlyArray<{ type: string; description: string }> = [
  { type: "session.status_updated", description: "A session changed status." },
  { type: "session.completed", description: "A session completed." },
  { type: "session.failed", description: "A session failed." },
  { type: "session.idle", description: "A session went idle and waits for a message." },
  { type: "session.timed_out", description: "A session timed out." },
  { type: "session.awaiting_tool_results", description: "A session waits for custom tool results." }
]

const SPECIFIC: Partial<Record<Status, string>> = {
  completed: "session.completed",
  failed: "session.failed",
  idle: "session.idle",
  timed_out: "session.timed_out",
  awaiting_tool_results: "session.awaiting_tool_results"
}

/** How many of the latest deliveries the emulator keeps for inspection. */
const deliveryHistory = 10_000

/** @internal */
export interface Delivery {
  readonly webhookId: string
  readonly url: string
  readonly type: string
  readonly body: string
  readonly headers: Record<string, string>
  readonly responseStatus: number | null
  readonly error: string | null
}

interface WebhookRow {
  readonly id: string
  url: string
  enabled_events: Array<string>
  description: string | null
  disabled: boolean
  secret: string
  last_delivery_status: "succeeded" | "failed" | null
  last_delivery_error: string | null
  last_delivery_at: number | null
  last_success_at: number | null
  consecutive_failures: number
  readonly created_at: number
  updated_at: number
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())

/**
 * The signature the service sends: HMAC-SHA256 of `timestamp.body` under the webhook's secret.
 * Computed synchronously (`node:crypto`): WebCrypto's per-call key import and job hand-off cost
 * more than the HMAC itself when a fleet of sessions makes thousands of deliveries a second.
 *
 * @internal
 */
export const sign = (secret: string, timestamp: number, body: string) =>
  Effect.sync(() => `sha256=${createHmac("sha256", secret).update(`${timestamp}.${body}`).digest("hex")}`)

/** @internal */
export const make = (deps: {
  readonly scope: Scope.Scope
  readonly client: HttpClient.HttpClient
  readonly nextId: () => string
  readonly random: () => number
  readonly faults: Ref.Ref<FaultsConfig>
}) =>
  Effect.gen(function*() {
    const rows = yield* Ref.make(new Map<string, WebhookRow>())
    // Append-only and bounded: a fleet of sessions makes hundreds of thousands of deliveries, and
    // copying the log on each (or keeping all of them in a long-running emulator) does not scale.
    const log: Array<Delivery> = []
    const record = (delivery: Delivery) => {
      log.push(delivery)
      if (log.length > 2 * deliveryHistory) log.splice(0, log.length - deliveryHistory)
    }
    const deliveries = Effect.sync((): ReadonlyArray<Delivery> => log.slice(-deliveryHistory))
    const secret = () => `whsec_${deps.nextId().replace(/-/g, "")}`

    const view = (w: WebhookRow) => ({
      id: w.id,
      url: w.url,
      enabled_events: w.enabled_events,
      description: w.description,
      disabled: w.disabled,
      last_delivery_status: w.last_delivery_status,
      last_delivery_error: w.last_delivery_error,
      last_delivery_at: iso(w.last_delivery_at),
      last_success_at: iso(w.last_success_at),
      consecutive_failures: w.consecutive_failures,
      created_at: iso(w.created_at),
      updated_at: iso(w.updated_at)
    })

    const envelope = (type: string, data: unknown) =>
      Effect.map(Clock.currentTimeMillis, (now) => ({
        type,
        body: JSON.stringify({ type, id: `evt_${deps.nextId().replace(/-/g, "")}`, created_at: iso(now), data })
      }))

    const deliver = (w: WebhookRow, { body, type }: { readonly type: string; readonly body: string }) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const timestamp = Math.floor(now / 1000)
        const headers = {
          "content-type": "application/json",
          "x-h-webhook-timestamp": String(timestamp),
          "x-h-webhook-signature": yield* sign(w.secret, timestamp, body),
          "user-agent": "hai-emulator-webhooks/1.0"
        }
        const request = HttpClientRequest.post(w.url).pipe(
          HttpClientRequest.setHeaders(headers),
          HttpClientRequest.bodyText(body, "application/json")
        )
        const result = yield* deps.client.execute(request).pipe(
          Effect.map((r) => ({ status: r.status as number | null, error: null as string | null })),
          Effect.interruptible,
          Effect.timeout("10 seconds"),
          Effect.catchAll((e) => Effect.succeed({ status: null, error: String(e) })),
          Effect.scoped
        )
        const ok = result.status !== null && result.status >= 200 && result.status < 300
        const at = yield* Clock.currentTimeMillis
        w.last_delivery_at = at
        w.last_delivery_status = ok ? "succeeded" : "failed"
        w.last_delivery_error = ok ? null : result.error ?? `HTTP ${result.status}`
        if (ok) {
          w.last_success_at = at
          w.consecutive_failures = 0
        } else w.consecutive_failures++
        const delivery: Delivery = {
          webhookId: w.id,
          url: w.url,
          type,
          body,
          headers,
          responseStatus: result.status,
          error: ok ? null : w.last_delivery_error
        }
        record(delivery)
        return delivery
      })

    const onStatusChange = (sessionId: string, previous: Status, next: Status) =>
      Effect.gen(function*() {
        if (previous === next) return
        const hooks = Array.from((yield* Ref.get(rows)).values()).filter((w) => !w.disabled)
        if (hooks.length === 0) return
        const types = ["session.status_updated", ...(SPECIFIC[next] ? [SPECIFIC[next]!] : [])]
        const faults = (yield* Ref.get(deps.faults)).webhooks ?? {}
        // Each endpoint is delivered to on its own, as a real webhook service does: a slow
        // endpoint does not delay the others. One endpoint gets one change's events in order.
        const perHook: Array<Array<Effect.Effect<unknown>>> = []
        for (const w of hooks) {
          const jobs: Array<Effect.Effect<unknown>> = []
          perHook.push(jobs)
          for (const type of types) {
            if (!w.enabled_events.includes("*") && !w.enabled_events.includes(type)) continue
            const job = deliver(
              w,
              yield* envelope(type, { session_id: sessionId, status: next, previous_status: previous })
            )
            jobs.push(job)
            if (faults.duplicateRate !== undefined && deps.random() < faults.duplicateRate) jobs.push(job)
          }
          if (faults.reorder === true) {
            for (let i = jobs.length - 1; i > 0; i--) {
              const j = Math.floor(deps.random() * (i + 1))
              ;[jobs[i], jobs[j]] = [jobs[j], jobs[i]]
            }
          }
        }
        yield* Effect.forkIn(
          Effect.interruptible(Effect.forEach(
            perHook,
            (jobs) => Effect.forEach(jobs, (j) => j, { discard: true }),
            { concurrency: "unbounded", discard: true }
          )),
          deps.scope
        )
      })

    const withHook = (id: string, f: (w: WebhookRow) => Effect.Effect<Reply>) =>
      Effect.flatMap(Ref.get(rows), (m) => {
        const w = m.get(id)
        return w === undefined ? Effect.succeed(notFound("Webhook")) : f(w)
      })

    const create = (body: Record<string, any>) =>
      Effect.gen(function*() {
        const m = yield* Ref.get(rows)
        if (m.size >= 10) return detail(400, "Webhook limit reached (10 per organization)")
        const now = yield* Clock.currentTimeMillis
        const row: WebhookRow = {
          id: deps.nextId(),
          url: body.url,
          enabled_events: body.enabled_events ?? ["*"],
          description: body.description ?? null,
          disabled: false,
          secret: secret(),
          last_delivery_status: null,
          last_delivery_error: null,
          last_delivery_at: null,
          last_success_at: null,
          consecutive_failures: 0,
          created_at: now,
          updated_at: now
        }
        yield* Ref.update(rows, (m) => new Map(m).set(row.id, row))
        return json(201, { ...view(row), secret: row.secret })
      })

    const list = (q: Record<string, any>) =>
      Effect.map(Ref.get(rows), (m) => {
        const items = Array.from(m.values()).sort((a, b) => a.created_at - b.created_at)
        if ((q.sort ?? [])[0]?.startsWith("-")) items.reverse()
        return json(200, page(items.map(view), q.page ?? 1, q.size ?? 50))
      })

    const get = (id: string) => withHook(id, (w) => Effect.succeed(json(200, view(w))))

    const patch = (id: string, body: Record<string, any>) =>
      withHook(id, (w) =>
        Effect.gen(function*() {
          if (body.url != null) w.url = body.url
          if (body.enabled_events != null) w.enabled_events = body.enabled_events
          if (body.description !== undefined) w.description = body.description
          if (body.disabled != null) w.disabled = body.disabled
          w.updated_at = yield* Clock.currentTimeMillis
          return json(200, view(w))
        }))

    const remove = (id: string) =>
      withHook(id, (w) =>
        Effect.as(
          Ref.update(rows, (m) => {
            const n = new Map(m)
            n.delete(w.id)
            return n
          }),
          empty(204)
        ))

    const rotate = (id: string) =>
      withHook(id, (w) =>
        Effect.gen(function*() {
          w.secret = secret()
          w.updated_at = yield* Clock.currentTimeMillis
          return json(200, { ...view(w), secret: w.secret })
        }))

    const ping = (id: string) =>
      withHook(id, (w) =>
        Effect.map(
          Effect.flatMap(envelope("ping", { webhook_id: w.id }), (e) => deliver(w, e)),
          (d) => json(200, { response_status: d.responseStatus ?? 0 })
        ))

    const events = Effect.succeed(json(200, EVENT_TYPES))

    return { onStatusChange, create, list, get, patch, remove, rotate, ping, events, deliveries }
  })
