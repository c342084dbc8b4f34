/**
 * The least a `hai --help` built on Effect can cost: a one-option @effect/cli command printing
 * its help, with the services hai gives @effect/cli (file system, path, terminal). bench/cold-start.ts
 * bundles and minifies it as packages/cli/build-bin.mjs does the real executable.
 */
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import * as NodeTerminal from "@effect/platform-node/NodeTerminal"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"

const command = Command.make("floor", { json: Options.boolean("json") })

Command.run(command, { name: "floor", version: "0.0.0" })(process.argv).pipe(
  Effect.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, NodeTerminal.layer)),
  NodeRuntime.runMain
)
