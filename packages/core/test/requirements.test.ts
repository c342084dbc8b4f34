/**
 * The services a session needs are those of its tools, checked by the compiler: these tests are
 * type checks (`pnpm check` compiles this file), run as tests so the checks and what they mean sit
 * together. A `@ts-expect-error` line fails the check when the error it expects is not there.
 */
import { assert, describe, it } from "@effect/vitest"
import type { Scope } from "effect"
import { Context, Effect, Layer, Schema } from "effect"
import { expectTypeOf } from "vitest"
import type { HaiError } from "../src/index.js"
import { HaiAgents, Session, Tool, ToolCall, Toolkit } from "../src/index.js"

class Orders extends Context.Tag("test/Orders")<Orders, { readonly status: (id: string) => Effect.Effect<string> }>() {}
class Clock2 extends Context.Tag("test/Clock2")<Clock2, { readonly now: Effect.Effect<number> }>() {}

const orderStatus = Tool.make("order_status", {
  description: "The status of an order",
  parameters: Schema.Struct({ id: Schema.String }),
  handler: ({ id }) => Effect.flatMap(Orders, (orders) => orders.status(id))
})
const now = Tool.make("now", {
  description: "The time",
  parameters: Schema.Struct({}),
  handler: () => Effect.flatMap(Clock2, (clock) => clock.now)
})
const free = Tool.make("free", {
  description: "Needs nothing",
  parameters: Schema.Struct({}),
  handler: () => Effect.never
})

const agent = "h/web-surfer-holo3-1-35b"
const hai = Layer.succeed(HaiAgents.HaiAgents, {} as HaiAgents.Service)

describe("a tool's services are the session's requirements", () => {
  it("run, start, attach and runAll require the services of every tool, and no more", () => {
    const tools = Toolkit.make(orderStatus, now, free)
    expectTypeOf(Session.run({ agent, tools })).toEqualTypeOf<
      Effect.Effect<Session.Result<unknown>, HaiError.SessionError, HaiAgents.HaiAgents | Orders | Clock2>
    >()
    expectTypeOf(Session.start({ agent, tools })).toEqualTypeOf<
      Effect.Effect<Session.Handle<unknown>, HaiError.HaiError, HaiAgents.HaiAgents | Scope.Scope | Orders | Clock2>
    >()
    expectTypeOf(Session.attach("id", { tools })).toEqualTypeOf<
      Effect.Effect<
        Session.Handle<unknown>,
        HaiError.HaiError | HaiError.PersistenceError,
        HaiAgents.HaiAgents | Scope.Scope | Orders | Clock2
      >
    >()
    expectTypeOf(Session.run({ agent, tools: Toolkit.make(free) })).toEqualTypeOf<
      Effect.Effect<Session.Result<unknown>, HaiError.SessionError, HaiAgents.HaiAgents>
    >()
    expectTypeOf(ToolCall.run(tools, { tool_name: "now" })).toEqualTypeOf<
      Effect.Effect<ToolCall.Outcome, never, Orders | Clock2>
    >()
    assert.lengthOf(tools.definitions, 3)
  })

  it("a program that leaves a tool's service out does not compile", () => {
    const program = Session.run({ agent, tools: Toolkit.make(orderStatus) }).pipe(Effect.provide(hai))
    // @ts-expect-error `order_status` needs `Orders`, which nothing provides: the program cannot run.
    const runnable: Effect.Effect<unknown, unknown, never> = program
    const provided: Effect.Effect<unknown, unknown, never> = program.pipe(
      Effect.provideService(Orders, { status: () => Effect.succeed("shipped") })
    )
    assert.isDefined(runnable)
    assert.isDefined(provided)
  })

  it("in generic code a toolkit's needs are unknown, never assumed met", () => {
    // Were a toolkit's requirements `any` inside generic code (as when they were read through a
    // bound of `any`), code that drops them would compile, and so would a session runtime whose
    // watcher forgot them.
    const dropsThem = <T extends Toolkit.Any>(
      request: Session.RunRequest<unknown, unknown, T>
    ): Effect.Effect<unknown, unknown, HaiAgents.HaiAgents> =>
      // @ts-expect-error the toolkit may need more than `HaiAgents`
      Session.run(request)
    const keepsThem = <T extends Toolkit.Any>(
      request: Session.RunRequest<unknown, unknown, T>
    ): Effect.Effect<unknown, unknown, HaiAgents.HaiAgents | Toolkit.Requirements<T>> => Session.run(request)
    assert.isFunction(dropsThem)
    assert.isFunction(keepsThem)
  })
})
