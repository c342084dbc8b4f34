import { NotFound, SessionFailed, Unauthorized } from "@hai-effect/core/HaiError"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Effect, Layer, ManagedRuntime, Option, Schema } from "effect"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { HaiClient, tool } from "../src/index.js"

const agent = "h/web-surfer-holo3-1-35b"

// The emulator, served over a real socket on a free port, for the whole file.
const emulatorRuntime = ManagedRuntime.make(
  Emulator.layerServer({ port: 0 }).pipe(
    Layer.provideMerge(Emulator.layer({ tick: "20 millis", cancelDelay: "20 millis" }))
  )
)
let emulator: Emulator.Service
let url: string
let client: HaiClient

const useScenario = (scenario: Scenario.Scenario) =>
  emulatorRuntime.runPromise(emulator.registerScenario(agent, scenario))

const sessionStatus = async (id: string) =>
  Option.map(await emulatorRuntime.runPromise(emulator.session(id)), (s) => s.status).pipe(Option.getOrUndefined)

const eventually = async (check: () => Promise<boolean>, millis = 3000) => {
  const deadline = Date.now() + millis
  while (Date.now() < deadline) {
    if (await check()) return true
    await new Promise((r) => setTimeout(r, 20))
  }
  return false
}

beforeAll(async () => {
  const services = await emulatorRuntime.runPromise(
    Effect.all({ server: Emulator.EmulatorServer, emulator: Emulator.Emulator })
  )
  emulator = services.emulator
  url = services.server.url
  client = new HaiClient({ apiKey: emulator.apiKey, baseUrl: url })
})

afterAll(async () => {
  await client.close()
  // bounded: closing the emulator can wait on emulated agents (see the examples' notes)
  await Promise.race([emulatorRuntime.dispose(), new Promise((r) => setTimeout(r, 2000))])
})

describe("HaiClient", () => {
  it("resolves options without a request", async () => {
    const options = await client.options()
    expect(options.baseUrl).toBe(`${url}/`)
    expect(options.environment).toBe("custom")
    const eu = new HaiClient({ apiKey: "hk-x" })
    expect((await eu.options()).baseUrl).toBe("https://agp.eu.hcompany.ai/")
    await eu.close()
    const us = new HaiClient({ apiKey: "hk-x", environment: "us" })
    expect((await us.options()).environment).toBe("us")
    await us.close()
  })

  it("runSession returns the decoded answer", async () => {
    await useScenario([Scenario.think("tick"), Scenario.answer({ title: "Top story", points: 412 })])
    const Story = Schema.Struct({ title: Schema.String, points: Schema.Number })
    const seen: Array<string> = []
    const result = await client.runSession({
      agent,
      messages: "What is the top story on Hacker News?",
      answer: Story,
      onEvent: ({ event }) => void seen.push(String(event.type))
    }, { timeout: "30 seconds" })
    expect(result.status).toBe("idle")
    expect(result.answer).toEqual({ title: "Top story", points: 412 })
    expect(result.answer.points + 1).toBe(413) // typed
    expect(result.rawAnswer).toEqual({ title: "Top story", points: 412 })
    expect(seen).toContain("AgentStartedEvent")
  })

  it("runSession runs plain tools, and reports a throwing tool to the agent", async () => {
    await useScenario([
      Scenario.callTool("add", { a: 2, b: 3 }),
      Scenario.callTool("explode", {}),
      Scenario.answer("done")
    ])
    const calls: Array<number> = []
    const result = await client.runSession({
      agent,
      messages: "Add 2 and 3",
      tools: [
        tool({
          name: "add",
          description: "Add two numbers",
          parameters: Schema.Struct({ a: Schema.Number, b: Schema.Number }),
          handler: async ({ a, b }) => {
            calls.push(a + b)
            return a + b
          }
        }),
        tool({
          name: "explode",
          description: "Always throws",
          parameters: Schema.Struct({}),
          handler: () => {
            throw new Error("kaboom")
          }
        })
      ]
    })
    expect(result.answer).toBe("done")
    expect(calls).toEqual([5])
    const session = Option.getOrThrow(await emulatorRuntime.runPromise(emulator.session(result.id)))
    const dataOf = (e: { data: unknown }) => e.data as { kind?: string; result?: unknown; error?: string }
    expect(session.events.some((e) => dataOf(e).kind === "tool_result" && dataOf(e).result === 5)).toBe(true)
    expect(session.events.some((e) => dataOf(e).kind === "error_event" && String(dataOf(e).error).includes("kaboom")))
      .toBe(true)
  })

  it("an aborted runSession rejects with the signal's reason and cancels the remote session", async () => {
    await useScenario([Scenario.think("tick"), Scenario.hang])
    const controller = new AbortController()
    const run = client.runSession({
      agent,
      messages: "Browse forever",
      onEvent: ({ event }) => {
        if (event.type === "AgentStartedEvent") controller.abort()
      }
    }, { signal: controller.signal })
    const error = await run.then(() => undefined, (e) => e)
    expect(error).toBeInstanceOf(DOMException)
    expect((error as DOMException).name).toBe("AbortError")

    const all = await emulatorRuntime.runPromise(emulator.sessions)
    const id = all.at(-1)!.id
    const stats = await emulatorRuntime.runPromise(emulator.stats)
    expect(stats.requestsByRoute["DELETE /api/v2/sessions/{id}"]).toBeGreaterThanOrEqual(1)
    // the emulator ends it interrupted shortly after the DELETE
    expect(await eventually(async () => (await sessionStatus(id)) === "interrupted")).toBe(true)
    expect((await emulatorRuntime.runPromise(emulator.stats)).sessionsUnsettled).toBe(0)
  })

  it("errors keep their tags and classes", async () => {
    const notFound = await client.sessions.get("00000000-0000-4000-8000-000000000000").then(() => undefined, (e) => e)
    expect(notFound).toBeInstanceOf(NotFound)
    expect(notFound._tag).toBe("NotFound")
    expect(notFound.message).toContain("404")

    const wrongKey = new HaiClient({ apiKey: "hk-wrong", baseUrl: url, maxRetries: 0 })
    const unauthorized = await wrongKey.agents.list().then(() => undefined, (e) => e)
    expect(unauthorized).toBeInstanceOf(Unauthorized)
    expect(unauthorized._tag).toBe("Unauthorized")
    expect(String(unauthorized.message)).not.toContain("hk-wrong")
    await wrongKey.close()

    await useScenario([Scenario.think("tick"), Scenario.fail("environment_error", "The browser crashed")])
    const failed = await client.runSession({ agent, messages: "Crash" }).then(() => undefined, (e) => e)
    expect(failed).toBeInstanceOf(SessionFailed)
    expect(failed).toMatchObject({ _tag: "SessionFailed", status: "failed", errorCode: "environment_error" })
  })

  it("startSession + waitForCompletion + sendMessage: a multi-turn session", async () => {
    await useScenario((
      context
    ) => [Scenario.think("tick"), Scenario.answer(`turn ${context.turn}: ${context.messages.join(" ")}`)])
    const seen: Array<number> = []
    const session = await client.startSession({
      agent,
      messages: "Find the top story on Hacker News",
      idleTimeout: "10 minutes",
      onEvent: ({ index }) => void seen.push(index)
    })
    expect(session.id).toMatch(/[0-9a-f-]{36}/)
    const first = await session.waitForCompletion({ timeout: "30 seconds" })
    expect(first.status).toBe("idle")
    expect(first.answer).toBe("turn 0: Find the top story on Hacker News")
    // onEvent saw every event of the turn, in order, before it settled.
    expect(seen).toEqual(Array.from({ length: first.nextIndex }, (_, i) => i))

    await session.sendMessage({ type: "user_message", message: "Now summarize its comments" })
    const second = await session.waitForCompletion({ timeout: "30 seconds" })
    expect(second.answer).toBe("turn 1: Now summarize its comments")

    const status = await session.status()
    expect(status.status).toBe("idle")
    expect((await session.get()).id).toBe(session.id)

    const types: Array<string> = []
    for await (const { event, index } of session.changes({ fromIndex: 0 })) {
      expect(typeof index).toBe("number")
      types.push(String(event.type))
    }
    expect(types[0]).toBe("RequestStartEvent")
    expect(types).toContain("AgentStartedEvent")

    const link = await session.share()
    expect(link.share_url).toContain(session.id)
    await session.unshare()

    await session.cancel()
    expect(await eventually(async () => (await sessionStatus(session.id)) === "interrupted")).toBe(true)
    await session.close()
  })

  it("closing a handle of an unsettled session cancels it", async () => {
    await useScenario([Scenario.think("tick"), Scenario.hang])
    const session = await client.startSession({ agent, messages: "Browse forever" })
    await session.pause()
    await session.close()
    expect(await eventually(async () => (await sessionStatus(session.id)) === "interrupted")).toBe(true)
  })

  it("aborting startSession's signal later closes the handle and cancels the session", async () => {
    await useScenario([Scenario.think("tick"), Scenario.hang])
    const controller = new AbortController()
    const session = await client.startSession({ agent, messages: "Browse forever" }, { signal: controller.signal })
    expect(await sessionStatus(session.id)).not.toBe("interrupted")
    controller.abort()
    expect(await eventually(async () => (await sessionStatus(session.id)) === "interrupted")).toBe(true)
  })

  it("an already aborted signal never creates a session", async () => {
    const before = (await emulatorRuntime.runPromise(emulator.stats)).sessionsCreated
    const controller = new AbortController()
    controller.abort(new Error("not today"))
    const error = await client.startSession({ agent, messages: "x" }, { signal: controller.signal }).then(
      () => undefined,
      (e) => e
    )
    expect(error).toBeInstanceOf(Error)
    expect(error.message).toBe("not today")
    expect((await emulatorRuntime.runPromise(emulator.stats)).sessionsCreated).toBe(before)
  })

  it("attachSession follows a session started elsewhere; iterating changes can be aborted", async () => {
    await useScenario([Scenario.think("tick"), Scenario.think("tick"), Scenario.hang])
    const started = await client.startSession({ agent, messages: "Browse forever" })
    const attached = await client.attachSession(started.id)
    expect(attached.id).toBe(started.id)
    expect(["pending", "running", "queued"]).toContain(await attached.lastStatus())

    const controller = new AbortController()
    const seen: Array<number> = []
    const iterate = (async () => {
      for await (const { index } of attached.events({ signal: controller.signal })) {
        seen.push(index)
        if (seen.length === 3) controller.abort()
      }
    })()
    const error = await iterate.then(() => undefined, (e) => e)
    expect(error?.name).toBe("AbortError")
    expect(seen).toEqual([0, 1, 2])

    await attached.close() // does not cancel: it did not start the session
    expect(await sessionStatus(started.id)).not.toBe("interrupted")
    await started.close() // does: the session had not settled
    expect(await eventually(async () => (await sessionStatus(started.id)) === "interrupted")).toBe(true)
  })

  it("client.close() closes the handles still open, cancelling their sessions", async () => {
    await useScenario([Scenario.think("tick"), Scenario.hang])
    const other = new HaiClient({ apiKey: emulator.apiKey, baseUrl: url })
    const a = await other.startSession({ agent, messages: "one" })
    const b = await other.startSession({ agent, messages: "two" })
    await other.close()
    expect(
      await eventually(async () =>
        (await sessionStatus(a.id)) === "interrupted" && (await sessionStatus(b.id)) === "interrupted"
      )
    ).toBe(true)
  })

  it("resource namespaces: Promises, and async iterables for listAll", async () => {
    const agents = await client.agents.list()
    expect(agents.items.some((a) => a.name === agent)).toBe(true)
    const quota = await client.sessions.quota()
    expect(quota.limit).toBeGreaterThan(0)
    const ids: Array<string> = []
    for await (const summary of client.sessions.listAll({ size: 2 })) ids.push(summary.id)
    const created = (await emulatorRuntime.runPromise(emulator.stats)).sessionsCreated
    expect(ids.length).toBe(created)
    expect(new Set(ids).size).toBe(ids.length)
  })

  it("uses the fetch it is given", async () => {
    const urls: Array<string> = []
    const counting = new HaiClient({
      apiKey: emulator.apiKey,
      baseUrl: url,
      fetch: (input, init) => {
        urls.push(String(input instanceof Request ? input.url : input))
        return fetch(input, init)
      }
    })
    await counting.sessions.quota()
    await counting.close()
    expect(urls).toEqual([`${url}/api/v2/sessions/quota`])
  })

  it("a missing key is a configuration error, not a crash", async () => {
    const previous = { HAI_API_KEY: process.env.HAI_API_KEY, H_API_KEY: process.env.H_API_KEY }
    delete process.env.HAI_API_KEY
    delete process.env.H_API_KEY
    try {
      const noKey = new HaiClient({ baseUrl: url })
      const error = await noKey.sessions.quota().then(() => undefined, (e) => e)
      expect(error).toBeDefined()
      expect(String(error?.message ?? error)).toContain("HAI_API_KEY")
      await noKey.close().catch(() => undefined)
    } finally {
      if (previous.HAI_API_KEY !== undefined) process.env.HAI_API_KEY = previous.HAI_API_KEY
      if (previous.H_API_KEY !== undefined) process.env.H_API_KEY = previous.H_API_KEY
    }
  })
})
