/**
 * What `hai sessions record` does (the command is `../commands/record.ts`).
 *
 * @since 0.1.0
 */
import * as Recorder from "@hai-effect/emulator/Recorder"
import * as Recording from "@hai-effect/emulator/Recording"
import * as Effect from "effect/Effect"
import * as Client from "../Client.js"
import { CliError } from "../CliError.js"
import * as Global from "../Global.js"
import * as Render from "../Render.js"

/**
 * Follows session `id` until it settles (or ends, with `until: "terminal"`) and writes what it
 * saw to `out`.
 *
 * @since 0.1.0
 * @category Handlers
 */
export const record = ({ id, out, until }: {
  readonly id: string
  readonly out: string
  readonly until: "settled" | "terminal"
}) =>
  Client.withClient(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const recording = yield* Recorder.record(id, { until })
    yield* Recording.write(recording, out).pipe(
      Effect.mapError((e) => new CliError({ message: `Cannot write the recording to ${out}: ${e.message}` }))
    )
    if (json) {
      return yield* Render.json({ out, session_id: id, status: recording.status, events: recording.events.length })
    }
    yield* Render.line(`Recorded ${recording.events.length} events of ${id} (${recording.status}) to ${out}`)
  }))
