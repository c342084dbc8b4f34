import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientError from "@effect/platform/HttpClientError"
import { assert, describe, it } from "@effect/vitest"
import { Workflow } from "@effect/workflow"
import { HaiAgents, RetryPolicy, Session, Tool, Toolkit } from "@hai-effect/core"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Cause, Effect, Exit, Fiber, Layer, Option, Redacted, Ref, Schedule, Schema } from "effect"
import { DurableEngine, DurableSession, DurableWebhooks, SessionLimit } from "../src/index.js"

const Jobs = Schema.Struct({ jobs: Schema.Array(Schema.Struct({ title: Schema.String, company: Schema.String })) })
const Enriched = Schema.Struct({ companies: Schema.Array(Schema.Struct({ name: Schema.String, size: Schema.Number })) })

const FINDER = "test/finder"
const ENRICHER = "test/enricher"
const jobs = { jobs: [{ title: "ML engineer", company: "Acme" }, { title: "Data scientist", company: "Globex" }] }

// What the tool did, outside the workflow: once per call, keyed as the tool was told.
const effects = Effect.runSync(Ref.make<ReadonlyArray<{ readonly company: string; readonly key: string }>>([]))

const lookup = Tool.make("lookup_company", {
  description: "Size of a company",
  parameters: Schema.Struct({ name: Schema.String }),
  success: Schema.Struct({ name: Schema.String, size: Schema.Number }),
  handler: ({ name }) =>
    Effect.gen(function*() {
      const call = yield* DurableSession.ToolCall
      yield* Ref.update(effects, (all) => [...all, { company: name, key: call.idempotencyKey }])
      return { name, size: name.length * 10 }
    })
})
const tools = Toolkit.make(lookup)

const Research = Workflow.make({
  name: "Research",
  payload: { id: Schema.String, poll: Schema.Number },
  success: Schema.Struct({ found: Jobs, enriched: Enriched, ids: Schema.Array(Schema.String) }),
  error: DurableSession.SessionError,
  idempotencyKey: ({ id }) => id
})

const ResearchLive = Research.toLayer(({ poll }) =>
  Effect.gen(function*() {
    const found = yield* DurableSession.run({
      step: "find",
      agent: FINDER,
      messages: "Find two ML roles",
      answer: Jobs,
      pollInterval: poll
    })
    const enriched = yield* DurableSession.run({
      step: "enrich",
      agent: ENRICHER,
      messages: `Enrich: ${found.answer.jobs.map((j) => j.company).join(", ")}`,
      answer: Enriched,
      tools,
      pollInterval: poll
    })
    return { found: found.answer, enriched: enriched.answer, ids: [found.id, enriched.id] }
  })
)

const Single = Workflow.make({
  name: "Single",
  payload: { id: Schema.String, agent: Schema.String, poll: Schema.Number },
  success: Schema.Unknown,
  error: DurableSession.SessionError,
  idempotencyKey: ({ id }) => id
})

const SingleLive = Single.toLayer(({ agent, poll }) =>
  Effect.map(
    DurableSession.run({ step: "only", agent, messages: "Go", answer: Jobs, pollInterval: poll }),
    (result) => result.answer
  )
)

// The service checks answers against the JSON Schema; a refinement it cannot express is checked here only.
const Shouted = Schema.Struct({
  word: Schema.String.pipe(Schema.filter((s) => s === s.toUpperCase(), { message: () => "not upper case" }))
})

const Shout = Workflow.make({
  name: "Shout",
  payload: { id: Schema.String },
  success: Shouted,
  error: DurableSession.SessionError,
  idempotencyKey: ({ id }) => id
})

const ShoutLive = Shout.toLayer(() =>
  Effect.map(
    DurableSession.run({ step: "shout", agent: "test/bad-answer", messages: "Go", answer: Shouted, pollInterval: 30 }),
    (result) => result.answer
  )
)

const scenarios = Effect.gen(function*() {
  const emulator = yield* Emulator.Emulator
  yield* emulator.registerScenario(FINDER, [Scenario.think("tick"), Scenario.answer(jobs)])
  yield* emulator.registerScenario(ENRICHER, [
    Scenario.think("tick"),
    Scenario.callTools([{ name: "lookup_company", args: { name: "Acme" } }, {
      name: "lookup_company",
      args: { name: "Globex" }
    }]),
    Scenario.think("tick"),
    Scenario.answer({ companies: [{ name: "Acme", size: 40 }, { name: "Globex", size: 60 }] })
  ])
  yield* emulator.registerScenario("test/bad-answer", [Scenario.think("tick"), Scenario.answer({ word: "quiet" })])
  yield* emulator.registerScenario("test/fails", [Scenario.think("tick"), Scenario.fail("environment_error", "boom")])
  yield* emulator.registerScenario("test/hangs", [Scenario.think("tick"), Scenario.hang])
  yield* emulator.registerScenario("test/slow", [Scenario.think("150 millis"), Scenario.answer(jobs)])
})

/** The in-memory engine, the workflows, and the SDK on an in-process emulator (fast ticks). */
const TestLayer = (options?: { readonly webhooks?: boolean }) => {
  const secret = { current: "" }
  // The emulator delivers webhooks straight into the workflows' handler (no socket).
  const emulatorLayer = Layer.unwrapEffect(Effect.map(
    Effect.context<DurableEngine.Engine>(),
    (engine) =>
      Emulator.layer({
        tick: "20 millis",
        cancelDelay: "20 millis",
        ...(options?.webhooks
          ? {
            webhookClient: Emulator.makeClient(
              Effect.provide(
                Effect.suspend(() => DurableWebhooks.toHttpApp({ secrets: Redacted.make(secret.current) })),
                engine
              )
            )
          }
          : {})
      })
  ))
  const setup = Layer.effectDiscard(Effect.gen(function*() {
    yield* scenarios
    if (options?.webhooks) {
      const hai = yield* HaiAgents.HaiAgents
      const hook = yield* hai.webhooks.create({ url: "http://runner.local/hai/webhooks", enabled_events: ["*"] })
      secret.current = hook.secret
    }
  }))
  return setup.pipe(
    Layer.provideMerge(Layer.mergeAll(ResearchLive, SingleLive, ShoutLive)),
    Layer.provideMerge(HaiAgents.layer({ apiKey: "hk-emulator", baseUrl: "http://emulator.local" })),
    Layer.provideMerge(Emulator.layerClient),
    Layer.provideMerge(emulatorLayer),
    Layer.provideMerge(DurableEngine.layerMemory)
  )
}

const stats = Effect.flatMap(Emulator.Emulator, (e) => e.stats)

/** `Single` alone, its SDK's HTTP client passed through `middleware` (to see what it sends, or fail it). */
const singleOver = (
  middleware: (client: HttpClient.HttpClient) => HttpClient.HttpClient,
  hai?: Partial<Parameters<typeof HaiAgents.layer>[0]>
) =>
  SingleLive.pipe(
    Layer.provideMerge(HaiAgents.layer({ apiKey: "hk-emulator", baseUrl: "http://emulator.local", ...hai })),
    Layer.provideMerge(
      Layer.provide(
        Layer.effect(HttpClient.HttpClient, Effect.map(HttpClient.HttpClient, middleware)),
        Emulator.layerClient
      )
    ),
    Layer.provideMerge(Layer.effectDiscard(scenarios)),
    Layer.provideMerge(Emulator.layer({ tick: "20 millis" })),
    Layer.provideMerge(DurableEngine.layerMemory)
  )

describe("DurableSession.run (in-memory engine)", () => {
  it.live("two steps: typed answers, tools run once per call, one session per step", () =>
    Effect.gen(function*() {
      yield* Ref.set(effects, [])
      const result = yield* Research.execute({ id: "r1", poll: 30 })
      assert.deepStrictEqual(result.found, jobs)
      assert.deepStrictEqual(result.enriched.companies.map((c) => c.name), ["Acme", "Globex"])
      assert.strictEqual((yield* stats).sessionsCreated, 2)
      const done = yield* Ref.get(effects)
      assert.deepStrictEqual(done.map((e) => e.company).sort(), ["Acme", "Globex"])
      assert.strictEqual(new Set(done.map((e) => e.key)).size, 2)

      // The results reached the session as `Session.run` posts them.
      const emulator = yield* Emulator.Emulator
      const enrich = Option.getOrThrow(yield* emulator.session(result.ids[1]))
      const posted = enrich.events.filter((e) => e.type === "AgentEvent" && (e.data as any).kind === "tool_result")
      assert.strictEqual(posted.length, 2)

      // The same execution again is the recorded result: no new session, no tool run.
      const again = yield* Research.execute({ id: "r1", poll: 30 })
      assert.deepStrictEqual(again, result)
      assert.strictEqual((yield* stats).sessionsCreated, 2)
      assert.strictEqual((yield* Ref.get(effects)).length, 2)
    }).pipe(Effect.provide(TestLayer())))

  it.live("the result is the one Session.run gives for the same session", () =>
    Effect.gen(function*() {
      const durable = yield* Single.execute({ id: "same", agent: FINDER, poll: 30 })
      const plain = yield* Session.run({ agent: FINDER, messages: "Go", answer: Jobs })
      assert.deepStrictEqual(durable, plain.answer)
    }).pipe(Effect.provide(TestLayer())))

  it.live("the create carries an Idempotency-Key derived from the execution and the step", () =>
    Effect.gen(function*() {
      const keys: Array<string> = []
      const recording = (client: HttpClient.HttpClient) =>
        HttpClient.tapRequest(client, (request) =>
          Effect.sync(() => {
            if (request.method === "POST" && request.url.endsWith("/sessions")) {
              keys.push(request.headers["idempotency-key"])
            }
          }))
      const program = Effect.gen(function*() {
        yield* Single.execute({ id: "k1", agent: FINDER, poll: 30 })
        yield* Single.execute({ id: "k2", agent: FINDER, poll: 30 })
      })
      yield* program.pipe(Effect.provide(singleOver(recording)))
      assert.strictEqual(keys.length, 2)
      assert.match(keys[0], /^hai-wf-[0-9a-f]{32}$/)
      assert.notStrictEqual(keys[0], keys[1])
    }))

  it.live("a create that cannot reach the service is tried again under its key, not failed", () =>
    Effect.gen(function*() {
      const keys: Array<string> = []
      // The first two creates never reach the service (the SDK itself does not retry here).
      const unreachable = (client: HttpClient.HttpClient) =>
        HttpClient.transform(client, (response, request) => {
          if (request.method !== "POST" || !request.url.endsWith("/sessions")) return response
          keys.push(request.headers["idempotency-key"])
          return keys.length <= 2
            ? Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", description: "refused" }))
            : response
        })
      const answer = yield* Single.execute({ id: "unreachable", agent: FINDER, poll: 30 }).pipe(
        Effect.provide(singleOver(unreachable, { retrySchedule: RetryPolicy.none }))
      )
      assert.deepStrictEqual(answer, jobs)
      assert.strictEqual(keys.length, 3)
      assert.strictEqual(new Set(keys).size, 1)
    }))

  it.live("webhooks wake the waiting step (the fallback check is an hour away)", () =>
    Effect.gen(function*() {
      const result = yield* Research.execute({ id: "hooked", poll: 3_600_000 })
      assert.strictEqual(result.enriched.companies.length, 2)
      const emulator = yield* Emulator.Emulator
      const delivered = (yield* emulator.deliveries).filter((d) => d.responseStatus === 204)
      assert.isAbove(delivered.length, 0)
    }).pipe(Effect.provide(TestLayer({ webhooks: true }))))

  it.live("an answer that does not match the Schema fails with AnswerValidationError", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Shout.execute({ id: "bad" }))
      assert.strictEqual(error._tag, "AnswerValidationError")
      if (error._tag === "AnswerValidationError") {
        assert.deepStrictEqual(error.raw, { word: "quiet" })
        assert.include(error.issues, "not upper case")
      }
    }).pipe(Effect.provide(TestLayer())))

  it.live("a failed session fails the step with SessionFailed", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Single.execute({ id: "failed", agent: "test/fails", poll: 30 }))
      assert.strictEqual(error._tag, "SessionFailed")
      if (error._tag === "SessionFailed") {
        assert.strictEqual(error.status, "failed")
        assert.strictEqual(error.errorCode, "environment_error")
      }
    }).pipe(Effect.provide(TestLayer())))

  it.live("interrupting the workflow cancels its running session", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      const fiber = yield* Effect.fork(Effect.exit(Single.execute({ id: "stop", agent: "test/hangs", poll: 30 })))
      // Wait until the session runs, then interrupt the workflow (not the caller's fiber).
      const sessionId = yield* emulator.sessions.pipe(
        Effect.flatMap((all) => {
          const s = all.find((s) => s.agent === "test/hangs" && s.status === "running")
          return s === undefined ? Effect.fail("not running yet") : Effect.succeed(s.id)
        }),
        Effect.retry(Schedule.spaced("10 millis"))
      )
      const executionId = yield* Single.executionId({ id: "stop", agent: "test/hangs", poll: 30 })
      yield* Single.interrupt(executionId)
      const exit = yield* Fiber.join(fiber)
      assert.isTrue(Exit.isFailure(exit) && Cause.isInterrupted(exit.cause))
      yield* Effect.sleep("100 millis")
      const after = Option.getOrThrow(yield* emulator.session(sessionId))
      assert.strictEqual(after.status, "interrupted")
    }).pipe(Effect.provide(TestLayer())))
})

describe("SessionLimit", () => {
  it.live("a runner keeps at most N sessions active; the other steps wait their turn", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.Emulator
      let most = 0
      const sampler = yield* Effect.fork(Effect.forever(Effect.zipRight(
        Effect.map(emulator.sessions, (all) => {
          const active = all.filter((s) => s.agent === "test/slow" && s.status !== "idle").length
          most = Math.max(most, active)
        }),
        Effect.sleep("5 millis")
      )))
      const results = yield* Effect.forEach(
        [1, 2, 3, 4, 5, 6],
        (i) => Single.execute({ id: `limited-${i}`, agent: "test/slow", poll: 20 }),
        { concurrency: "unbounded" }
      )
      yield* Fiber.interrupt(sampler)
      assert.strictEqual(results.length, 6)
      assert.strictEqual((yield* emulator.sessions).filter((s) => s.agent === "test/slow").length, 6)
      assert.isAtMost(most, 2)
      assert.isAtLeast(most, 1)
      assert.strictEqual(yield* Effect.flatMap(SessionLimit.SessionLimit, (l) => l.active), 0)
    }).pipe(Effect.provide(TestLayer().pipe(Layer.provideMerge(SessionLimit.layer(2))))))
})
