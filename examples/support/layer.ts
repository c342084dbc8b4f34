/**
 * The one piece of wiring every example shares: a `HaiAgents` client that talks to the hosted
 * API when `HAI_API_KEY` is set, and otherwise to the emulator, started in this process and
 * served over a real socket on a free port (so the examples exercise the same HTTP path as
 * production).
 *
 * - `layer(options)`: `HaiAgents` + `Backend` (which says where the client points and, when
 *   offline, hands out the emulator to script agents).
 * - `offline(f)`: runs `f(emulator)` only against the emulator (scenarios, stats); `Option.none()`
 *   when online.
 * - `runMain(program, options)`: provides the layer and runs the program with
 *   `NodeRuntime.runMain`, bounding shutdown so an example never hangs on exit.
 */
import { FetchHttpClient } from "@effect/platform"
import { NodeRuntime } from "@effect/platform-node"
import { HaiAgents } from "@hai-effect/core"
import * as Emulator from "@hai-effect/emulator/Emulator"
import { Config, Console, Context, Effect, Exit, Layer, Option, Scope } from "effect"

/** Where the examples' client points. */
export class Backend extends Context.Tag("examples/Backend")<Backend, {
  readonly baseUrl: string
  /** The emulator, when running offline. */
  readonly emulator: Option.Option<Emulator.Service>
  /** The emulator's URL for webhooks and other callers, when running offline. */
  readonly emulatorUrl: Option.Option<string>
}>() {}

/** The emulator's options; a short tick keeps every example quick. */
export interface Options extends Emulator.Options {
  /** Say nothing about where the client points. */
  readonly quiet?: boolean
}

const hosted = (quiet: boolean) =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const client = HaiAgents.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))
    // HAI_API_BASE_URL may point at a region, a proxy or an emulator started elsewhere: say which.
    const backend = Layer.effect(
      Backend,
      Effect.gen(function*() {
        const hai = yield* HaiAgents.HaiAgents
        if (!quiet) yield* Console.log(`using ${hai.options.baseUrl} (HAI_API_KEY is set)`)
        return { baseUrl: hai.options.baseUrl, emulator: Option.none(), emulatorUrl: Option.none() }
      })
    ).pipe(Layer.provide(client))
    return Layer.merge(client, backend)
  }))

const emulated = (options: Options) =>
  Layer.unwrapEffect(Effect.gen(function*() {
    const server = yield* Emulator.EmulatorServer
    const emulator = yield* Emulator.Emulator
    if (options.quiet !== true) yield* Console.log(`emulator on ${server.url} (set HAI_API_KEY to use the hosted API)`)
    return Layer.merge(
      HaiAgents.layer({ apiKey: emulator.apiKey, baseUrl: server.url }).pipe(Layer.provide(FetchHttpClient.layer)),
      Layer.succeed(Backend, {
        baseUrl: server.url,
        emulator: Option.some(emulator),
        emulatorUrl: Option.some(server.url)
      })
    )
  })).pipe(
    Layer.provide(
      Emulator.layerServer({ port: 0 }).pipe(Layer.provideMerge(Emulator.layer({ tick: "20 millis", ...options })))
    )
  )

/** `HaiAgents` and `Backend`: hosted with `HAI_API_KEY`, else the emulator over a local socket. */
export const layer = (options: Options = {}) =>
  Layer.unwrapEffect(
    Effect.map(
      Config.option(Config.nonEmptyString("HAI_API_KEY")),
      (key): Layer.Layer<HaiAgents.HaiAgents | Backend, unknown> =>
        Option.isSome(key) ? hosted(options.quiet === true) : emulated(options)
    )
  )

/** Runs `f` with the emulator when offline (to script an agent or read stats); `None` online. */
export const offline = <A, E, R>(
  f: (emulator: Emulator.Service) => Effect.Effect<A, E, R>
): Effect.Effect<Option.Option<A>, E, R | Backend> =>
  Effect.flatMap(Backend, (backend) =>
    Option.match(backend.emulator, {
      onNone: () => Effect.succeedNone,
      onSome: (emulator) => Effect.asSome(f(emulator))
    }))

/** Whether the examples run against the emulator. */
export const isOffline: Effect.Effect<boolean, never, Backend> = Effect.map(Backend, (b) => Option.isSome(b.emulator))

/**
 * Provides the layer, runs the program, and exits with its status. Shutdown is bounded: closing
 * the layers may wait on in-flight work (a long-poll, an idle emulated agent), so it gets two
 * seconds before the process exits anyway.
 */
export const runMain = <A, E>(
  program: Effect.Effect<A, E, HaiAgents.HaiAgents | Backend | Scope.Scope>,
  options: Options = {}
): void => {
  const main = Effect.gen(function*() {
    const scope = yield* Scope.make()
    const exit = yield* Effect.exit(Effect.gen(function*() {
      const context = yield* Layer.buildWithScope(layer(options), scope)
      return yield* Effect.provide(
        program,
        Layer.merge(Layer.succeedContext(context), Layer.succeed(Scope.Scope, scope))
      )
    }))
    yield* Scope.close(scope, exit).pipe(Effect.disconnect, Effect.timeout("2 seconds"), Effect.ignore)
    return yield* exit
  })
  NodeRuntime.runMain(main, {
    teardown: (exit, onExit) => {
      const code = Exit.isFailure(exit) ? 1 : 0
      onExit(code)
      process.exit(code)
    }
  })
}
