import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { assert, describe, layer } from "@effect/vitest"
import * as HaiAgents from "@hai-effect/core/HaiAgents"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Client } from "@modelcontextprotocol/sdk/client/index.js"
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js"
import { Effect, Layer } from "effect"
import { createServer } from "node:http"
import { HaiMcp } from "../src/index.js"

const EmulatorLive = Emulator.layerClient.pipe(
  Layer.provideMerge(Emulator.layer({ region: "us", tick: "20 millis", cancelDelay: "20 millis" }))
)

const ServerLive = HaiMcp.layerHttp({ path: "/mcp" }).pipe(
  Layer.provide(HaiAgents.layer({ apiKey: "hk-emulator", baseUrl: "http://emulator.local" })),
  Layer.provideMerge(NodeHttpServer.layer(createServer, { port: 0, host: "127.0.0.1" })),
  Layer.provideMerge(EmulatorLive)
)

const connect = Effect.acquireRelease(
  Effect.gen(function*() {
    const server = yield* HttpServer.HttpServer
    const address = server.address as HttpServer.TcpAddress
    const client = new Client({ name: "test", version: "1.0.0" })
    yield* Effect.promise(() =>
      client.connect(new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${address.port}/mcp`)))
    )
    return client
  }),
  (client) => Effect.promise(() => client.close())
)

const text = (result: any) => JSON.parse(result.content[0].text)

describe("HaiMcp over streamable HTTP", () => {
  layer(ServerLive, { excludeTestServices: true })((it) => {
    it.scoped("lists the seven tools with accurate hints", () =>
      Effect.gen(function*() {
        const client = yield* connect
        const { tools } = yield* Effect.promise(() => client.listTools())
        const byName = Object.fromEntries(tools.map((t) => [t.name, t]))
        assert.deepStrictEqual(Object.keys(byName).sort(), [
          "cancel_session",
          "get_session",
          "list_agents",
          "run_agent",
          "send_message",
          "share_session",
          "wait_for_session"
        ])
        assert.deepInclude(byName.list_agents!.annotations, {
          readOnlyHint: true,
          destructiveHint: false,
          idempotentHint: true,
          openWorldHint: false
        })
        assert.deepInclude(byName.cancel_session!.annotations, { readOnlyHint: false, destructiveHint: true })
        assert.deepInclude(byName.run_agent!.annotations, {
          readOnlyHint: false,
          destructiveHint: false,
          idempotentHint: false,
          openWorldHint: true
        })
        assert.deepInclude(byName.get_session!.annotations, { readOnlyHint: true, destructiveHint: false })
        assert.deepStrictEqual((byName.run_agent!.inputSchema as any).required, ["task"])
      }))

    it.scoped("run_agent returns the answer; get_session, wait_for_session and share_session read it", () =>
      Effect.gen(function*() {
        const client = yield* connect
        const agents = text(yield* Effect.promise(() => client.callTool({ name: "list_agents", arguments: {} })))
        assert.isTrue(agents.agents.some((a: any) => a.name === HaiMcp.defaultAgent))

        const run = yield* Effect.promise(() =>
          client.callTool({
            name: "run_agent",
            arguments: {
              task: "Find a job",
              max_steps: 10,
              answer_schema: { type: "object", properties: { title: { type: "string" } }, required: ["title"] }
            }
          })
        )
        assert.isFalse(run.isError)
        const outcome = text(run)
        assert.strictEqual(outcome.status, "completed")
        assert.strictEqual(typeof outcome.answer.title, "string")
        assert.deepStrictEqual(run.structuredContent, outcome)

        const got = text(
          yield* Effect.promise(() =>
            client.callTool({ name: "get_session", arguments: { session_id: outcome.session_id } })
          )
        )
        assert.strictEqual(got.status, "completed")
        assert.strictEqual(got.agent, HaiMcp.defaultAgent)

        const waited = text(
          yield* Effect.promise(() =>
            client.callTool({ name: "wait_for_session", arguments: { session_id: outcome.session_id, timeout_s: 5 } })
          )
        )
        assert.strictEqual(waited.status, "completed")

        const shared = text(
          yield* Effect.promise(() =>
            client.callTool({ name: "share_session", arguments: { session_id: outcome.session_id } })
          )
        )
        assert.match(shared.share_url, /^https?:\/\//)
      }))

    it.scoped("send_message and cancel_session steer a running session", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.Emulator
        yield* emulator.registerScenario("h/web-environment", [Scenario.think("30 seconds")])
        const hai = yield* HaiAgents.make({ apiKey: "hk-emulator", baseUrl: "http://emulator.local" })
        const session = yield* hai.sessions.create({ agent: "h/web-environment", messages: "Long" })
        const client = yield* connect
        const sent = text(
          yield* Effect.promise(() =>
            client.callTool({ name: "send_message", arguments: { session_id: session.id, message: "Hurry" } })
          )
        )
        assert.deepStrictEqual(sent, { session_id: session.id, sent: true })
        const cancelled = text(
          yield* Effect.promise(() =>
            client.callTool({ name: "cancel_session", arguments: { session_id: session.id } })
          )
        )
        assert.deepStrictEqual(cancelled, { session_id: session.id, cancelled: true })
        const stats = yield* emulator.stats
        assert.strictEqual(stats.requestsByRoute["DELETE /api/v2/sessions/{id}"], 1)
      }))

    it.scoped("failures are typed HaiToolError results", () =>
      Effect.gen(function*() {
        const client = yield* connect
        const result = yield* Effect.promise(() =>
          client.callTool({ name: "get_session", arguments: { session_id: "00000000-0000-4000-8000-000000000000" } })
        )
        assert.isTrue(result.isError)
        const error = result.structuredContent as any
        assert.strictEqual(error._tag, "HaiToolError")
        assert.strictEqual(error.reason, "NotFound")
        assert.include(error.message, "404")
      }))
  })
})
