#!/usr/bin/env node
/**
 * The `hai` executable.
 *
 * @since 0.1.0
 */
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeHai from "@hai-effect/platform-node/NodeHai"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Cli from "./Cli.js"
import * as RunMain from "./internal/runMain.js"

Cli.main(process.argv).pipe(
  Effect.provide(Layer.mergeAll(NodeContext.layer, NodeHai.layerHttpClient)),
  RunMain.make()({
    disableErrorReporting: true,
    // Cli.main installs the CLI's own logger; the runtime's pretty one would print every line twice.
    disablePrettyLogger: true,
    teardown: (exit, onExit) =>
      onExit(
        Exit.isSuccess(exit)
          ? (exit.value as number)
          : Cause.isInterruptedOnly(exit.cause)
          ? RunMain.interruptedExitCode
          : 1
      )
  })
)
