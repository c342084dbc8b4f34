#!/usr/bin/env node
/**
 * The `hai` executable.
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeHai from "@hai-effect/platform-node/NodeHai"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Logger from "effect/Logger"
import * as Cli from "./Cli.js"

Cli.main(process.argv).pipe(
  Effect.provide(Layer.mergeAll(
    NodeContext.layer,
    NodeHai.layerHttpClient,
    Logger.replace(Logger.defaultLogger, Logger.prettyLogger({ stderr: true }))
  )),
  (effect) =>
    NodeRuntime.runMain(effect, {
      disableErrorReporting: true,
      teardown: (exit, onExit) =>
        onExit(
          Exit.isSuccess(exit) ? (exit.value as number) : Cause.isInterruptedOnly(exit.cause) ? 130 : 1
        )
    })
)
