#!/usr/bin/env node
/**
 * The `hai` executable.
 *
 * @since 0.1.0
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Cause from "effect/Cause"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Cli from "./Cli.js"
import * as LazyHttpClient from "./internal/lazyHttpClient.js"
import * as RunMain from "./internal/runMain.js"

// What @effect/cli needs, and no more: NodeContext would add a command executor and workers, whose
// streams every run would load and none uses.
Cli.main(process.argv).pipe(
  Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer, LazyHttpClient.layer)),
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
