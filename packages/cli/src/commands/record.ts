/**
 * `hai sessions record ID --out run.json`: saves a session's whole event history and timing, from
 * the hosted API or the emulator, for `Scenario.fromRecording` to replay offline. What it does is
 * in `../handlers/record.ts`, loaded when it runs.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"

/**
 * `hai sessions record ID --out run.json [--until settled|terminal]`
 *
 * @since 0.1.0
 * @category Commands
 */
export const command = Command.make("record", {
  id: Args.text({ name: "session-id" }).pipe(Args.withDescription("The session id")),
  out: Options.text("out").pipe(Options.withDescription("Where to write the recording (JSON)")),
  until: Options.choice("until", ["settled", "terminal"]).pipe(
    Options.withDescription("Follow the session until it settles (default) or until it ends"),
    Options.withDefault("settled" as const)
  )
}, (o) => Effect.flatMap(Effect.promise(() => import("../handlers/record.js")), (h) => h.record(o))).pipe(
  Command.withDescription("Save a session's events and timing for replay in the emulator")
)
