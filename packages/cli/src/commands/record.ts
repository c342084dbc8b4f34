/**
 * `hai sessions record ID --out run.json`: saves a session's whole event history and timing, from
 * the hosted API or the emulator, for `Scenario.fromRecording` to replay offline.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Recorder from "@hai-effect/emulator/Recorder"
import * as Recording from "@hai-effect/emulator/Recording"
import * as Effect from "effect/Effect"
import { CliError } from "../CliError.js"
import * as Global from "../Global.js"
import * as Render from "../Render.js"

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
}, ({ id, out, until }) =>
  Global.withClient(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const recording = yield* Recorder.record(id, { until })
    yield* Recording.write(recording, out).pipe(
      Effect.mapError((e) => new CliError({ message: `Cannot write the recording to ${out}: ${e.message}` }))
    )
    if (json) {
      return yield* Render.json({ out, session_id: id, status: recording.status, events: recording.events.length })
    }
    yield* Render.line(`Recorded ${recording.events.length} events of ${id} (${recording.status}) to ${out}`)
  }))).pipe(Command.withDescription("Save a session's events and timing for replay in the emulator"))
