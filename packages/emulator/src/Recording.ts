/**
 * A recorded session: its whole event history with the events' own timestamps (the timing), its
 * request and how it ended. `hai sessions record <id> --out run.json` (`Recorder.record`) writes
 * one from any server; `Scenario.fromRecording` plays it back in the emulator.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Schema from "effect/Schema"
import { readFileSync } from "node:fs"

// =============================================================================
// Models
// =============================================================================

/**
 * One event as the server sent it.
 *
 * @since 0.1.0
 * @category Schemas
 */
export const RecordedEvent = Schema.Struct({
  timestamp: Schema.String,
  type: Schema.String,
  data: Schema.Unknown
})

/**
 * @since 0.1.0
 * @category Models
 */
export interface RecordedEvent extends Schema.Schema.Type<typeof RecordedEvent> {}

/**
 * The file format (JSON).
 *
 * @since 0.1.0
 * @category Schemas
 */
export const Recording = Schema.Struct({
  format: Schema.Literal("hai-recording/1"),
  source: Schema.Struct({ baseUrl: Schema.String, sessionId: Schema.String, recordedAt: Schema.String }),
  request: Schema.NullOr(Schema.Unknown),
  status: Schema.String,
  answer: Schema.Unknown,
  outcome: Schema.NullOr(Schema.String),
  error: Schema.NullOr(Schema.String),
  error_code: Schema.NullOr(Schema.String),
  events: Schema.Array(RecordedEvent)
})

/**
 * @since 0.1.0
 * @category Models
 */
export interface Recording extends Schema.Schema.Type<typeof Recording> {}

/**
 * A recording file that cannot be read or is not a recording.
 *
 * @since 0.1.0
 * @category Errors
 */
export class RecordingError extends Schema.TaggedError<RecordingError>("@hai-effect/emulator/RecordingError")(
  "RecordingError",
  { path: Schema.String, reason: Schema.String }
) {
  /** @since 0.1.0 */
  override get message() {
    return `Cannot use the recording ${this.path}: ${this.reason}`
  }
}

// =============================================================================
// Reading and writing
// =============================================================================

const decode = Schema.decodeUnknownEither(Schema.parseJson(Recording))

/**
 * Read and check a recording file.
 *
 * @example
 * ```ts
 * import * as Recording from "@hai-effect/emulator/Recording"
 *
 * const recording = Recording.read("run.json")
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const read = (path: string): Effect.Effect<Recording, RecordingError> =>
  Effect.flatMap(
    Effect.try({
      try: () => readFileSync(path, "utf8"),
      catch: (e) => new RecordingError({ path, reason: e instanceof Error ? e.message : String(e) })
    }),
    (text) =>
      decode(text).pipe(
        Effect.mapError((e) => new RecordingError({ path, reason: e.message }))
      )
  )

/**
 * Write a recording as JSON.
 *
 * @example
 * ```ts
 * import * as Recording from "@hai-effect/emulator/Recording"
 * import * as Effect from "effect/Effect"
 *
 * const save = (recording: Recording.Recording) => Recording.write(recording, "run.json")
 * ```
 *
 * @since 0.1.0
 * @category Constructors
 */
export const write = (recording: Recording, path: string) =>
  Effect.flatMap(FileSystem.FileSystem, (fs) => fs.writeFileString(path, `${JSON.stringify(recording, null, 2)}\n`))

/** Milliseconds since the first event, per event (`NaN` timestamps count as 0). @internal */
export const offsets = (recording: Recording): ReadonlyArray<number> => {
  const first = Date.parse(recording.events[0]?.timestamp ?? "")
  return recording.events.map((e) => {
    const t = Date.parse(e.timestamp) - first
    return Number.isFinite(t) && t > 0 ? t : 0
  })
}

/** @internal */
export const durationOf = (millis: number, speed: number) =>
  Duration.millis(speed === Infinity ? 0 : Math.max(0, millis / speed))
