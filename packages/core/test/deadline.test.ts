/**
 * Request time limits under the live clock, over real sockets: there the SDK aborts the request
 * itself (no race of fibers), so these check what a user would see on a silent server: the typed
 * timeout at the right time, the connection closed, a retry, and interruption still aborting.
 */
import { FetchHttpClient, HttpClient } from "@effect/platform"
import * as NodeHttpClient from "@effect/platform-node/NodeHttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Fiber, Layer } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { HaiAgents, RetryPolicy } from "../src/index.js"

const SESSION_ID = "3fa85f64-5717-4562-b3fc-2c963f66afa6"

/** A server that never answers; counts the requests it got and the connections that closed. */
const silentServer = Effect.acquireRelease(
  Effect.async<{ url: string; requests: () => number; closed: () => number; server: http.Server }>((resume) => {
    let requests = 0
    let closed = 0
    const server = http.createServer((request) => {
      requests++
      request.socket.once("close", () => closed++)
    })
    server.listen(0, "127.0.0.1", () =>
      resume(Effect.succeed({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        requests: () => requests,
        closed: () => closed,
        server
      })))
  }),
  ({ server }) =>
    Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
)

const clients = {
  undici: NodeHttpClient.layerUndici,
  fetch: FetchHttpClient.layer
} as const

const waitUntil = (check: () => boolean, millis = 3_000) =>
  Effect.gen(function*() {
    const deadline = Date.now() + millis
    while (!check() && Date.now() < deadline) yield* Effect.sleep("10 millis")
    return check()
  })

describe.each(Object.keys(clients) as Array<keyof typeof clients>)("live deadlines over %s", (name) => {
  const withClient = (url: string, options: Partial<HaiAgents.Options>) =>
    HaiAgents.layer({ apiKey: "hk-test", baseUrl: url, ...options }).pipe(Layer.provide(clients[name]))

  it.scopedLive("a silent server: TimeoutError after the timeout, and the connection is closed", () =>
    Effect.gen(function*() {
      const server = yield* silentServer
      const started = Date.now()
      const exit = yield* Effect.flatMap(HaiAgents.HaiAgents, (hai) => hai.sessions.status(SESSION_ID)).pipe(
        Effect.provide(withClient(server.url, { timeout: "300 millis", retrySchedule: RetryPolicy.none })),
        Effect.exit
      )
      const elapsed = Date.now() - started
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error: any = exit.cause._tag === "Fail" ? exit.cause.error : undefined
        assert.strictEqual(error?._tag, "TimeoutError", String(exit.cause))
        assert.strictEqual(error?.timeoutMillis, 300)
      }
      assert.isAtLeast(elapsed, 290)
      assert.isBelow(elapsed, 2_000)
      assert.isTrue(yield* waitUntil(() => server.closed() === 1), "the timed-out request's connection was not closed")
    }))

  it.scopedLive("a timed-out GET is retried, each attempt with its own time limit", () =>
    Effect.gen(function*() {
      const server = yield* silentServer
      const exit = yield* Effect.flatMap(HaiAgents.HaiAgents, (hai) => hai.sessions.status(SESSION_ID)).pipe(
        Effect.provide(withClient(server.url, {
          timeout: "150 millis",
          retrySchedule: RetryPolicy.backoff({ base: "10 millis", retries: 2 })
        })),
        Effect.exit
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.strictEqual(server.requests(), 3)
      assert.isTrue(yield* waitUntil(() => server.closed() === 3))
    }))

  it.scopedLive("interrupting a request in flight aborts it", () =>
    Effect.gen(function*() {
      const server = yield* silentServer
      const fiber = yield* Effect.flatMap(HaiAgents.HaiAgents, (hai) => hai.sessions.status(SESSION_ID)).pipe(
        Effect.provide(withClient(server.url, { retrySchedule: RetryPolicy.none })),
        Effect.fork
      )
      assert.isTrue(yield* waitUntil(() => server.requests() === 1))
      yield* Fiber.interrupt(fiber)
      assert.isTrue(yield* waitUntil(() => server.closed() === 1), "the interrupted request's connection stayed open")
    }))

  it.scopedLive("an answer within the limit is not affected by the timer", () =>
    Effect.gen(function*() {
      const server = yield* silentServer
      server.server.removeAllListeners("request")
      server.server.on("request", (_request, response) => {
        setTimeout(() => {
          response.writeHead(200, { "content-type": "application/json" })
          response.end(JSON.stringify({
            status: "running",
            error: null,
            error_code: null,
            outcome: null,
            steps: 1,
            usage_per_model: [],
            subagent_session_ids: []
          }))
        }, 100)
      })
      const status = yield* Effect.flatMap(HaiAgents.HaiAgents, (hai) => hai.sessions.status(SESSION_ID)).pipe(
        Effect.provide(withClient(server.url, { timeout: "400 millis", retrySchedule: RetryPolicy.none }))
      )
      assert.strictEqual(status.status, "running")
      // Past the limit, nothing fires late.
      yield* Effect.sleep("500 millis")
    }))
})

describe("timeoutBy", () => {
  // A hand-made client that never answers and ignores its AbortSignal.
  const deaf = Layer.succeed(HttpClient.HttpClient, HttpClient.make(() => Effect.never))
  const statusOverDeaf = (options: Pick<HaiAgents.Options, "timeout" | "timeoutBy">) =>
    Effect.flatMap(HaiAgents.HaiAgents, (hai) => hai.sessions.status(SESSION_ID)).pipe(
      Effect.provide(
        HaiAgents.layer({
          apiKey: "hk-test",
          baseUrl: "http://deaf.invalid",
          retrySchedule: RetryPolicy.none,
          ...options
        }).pipe(Layer.provide(deaf))
      )
    )

  it.live("\"interrupt\" times out a client that ignores the abort signal", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.exit(statusOverDeaf({ timeout: "200 millis", timeoutBy: "interrupt" }))
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        assert.strictEqual(exit.cause._tag === "Fail" ? exit.cause.error._tag : undefined, "TimeoutError")
      }
    }))

  it.live("\"abort\" (the default) relies on the signal: such a client is still waiting past its timeout", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(statusOverDeaf({ timeout: "100 millis" }))
      yield* Effect.sleep("400 millis")
      assert.isNull(fiber.unsafePoll(), "documented in HaiAgents.Options.timeoutBy")
      yield* Fiber.interrupt(fiber)
    }))
})
