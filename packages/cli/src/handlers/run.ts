/**
 * What `hai run TASK` does (the command is `../commands/run.ts`): starts a session, shows its
 * progress and prints its answer. Interrupting (Ctrl-C) cancels the remote session before exiting.
 *
 * @since 0.1.0
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type * as ChangeFeed from "@hai-effect/core/ChangeFeed"
import * as Session from "@hai-effect/core/Session"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Fiber from "effect/Fiber"
import * as Option from "effect/Option"
import * as Schedule from "effect/Schedule"
import * as Client from "../Client.js"
import { CliError } from "../CliError.js"
import type * as RunCommand from "../commands/run.js"
import * as Global from "../Global.js"
import * as Render from "../Render.js"

/**
 * Parses `-o PATH=VALUE` overrides (an `=` inside `[...]` belongs to the path); a value that is JSON (`true`, `3`, `{"a":1}`) is decoded,
 * anything else kept as a string.
 *
 * @since 0.1.0
 * @category Parsing
 */
export const parseOverrides = (pairs: ReadonlyArray<string>): Effect.Effect<Record<string, unknown>, CliError> =>
  Effect.suspend(() => {
    const result: Record<string, unknown> = {}
    for (const pair of pairs) {
      let depth = 0
      let at = -1
      for (let i = 0; i < pair.length && at === -1; i++) {
        const char = pair[i]
        if (char === "[") depth++
        else if (char === "]") depth = Math.max(0, depth - 1)
        else if (char === "=" && depth === 0) at = i
      }
      if (at <= 0) {
        return Effect.fail(
          new CliError({
            message: `Invalid override ${JSON.stringify(pair)}: expected PATH=VALUE`,
            hint: "e.g. -o 'agent.environments[kind=web].start_url=https://example.com'"
          })
        )
      }
      const path = pair.slice(0, at)
      const raw = pair.slice(at + 1)
      let value: unknown = raw
      try {
        value = JSON.parse(raw)
      } catch {
        value = raw
      }
      result[path] = value
    }
    return Effect.succeed(result)
  })

const readSchema = (path: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(path).pipe(
      Effect.mapError((e) => new CliError({ message: `Cannot read the answer schema ${path}: ${e.message}` }))
    )
    return yield* Effect.try({
      try: () => JSON.parse(text) as Record<string, unknown>,
      catch: (e) => new CliError({ message: `The answer schema ${path} is not JSON: ${String(e)}` })
    })
  })

const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

const liveViewOf = (event: ChangeFeed.IndexedEvent["event"]): string | undefined => {
  if (event.type !== "LiveViewUrlEvent") return undefined
  const url = (event.data as { readonly live_view_url?: unknown }).live_view_url
  return typeof url === "string" ? url : undefined
}

const parseAnswer = (answer: unknown, structured: boolean): unknown => {
  if (!structured || typeof answer !== "string") return answer ?? null
  try {
    return JSON.parse(answer)
  } catch {
    return answer
  }
}

/**
 * How long `hai run` waits for the cancel of an interrupted session to be answered before it
 * exits anyway (the process also ignores further Ctrl-C for about as long).
 *
 * @since 0.1.0
 * @category Constants
 */
export const cancelTimeout = Duration.seconds(5)

/**
 * Runs `hai run` on its parsed arguments.
 *
 * @since 0.1.0
 * @category Handlers
 */
export const run = (o: RunCommand.Parsed) =>
  Client.withClient(Effect.scoped(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const output = yield* Render.Output
    const style = yield* Render.Style
    const overrides = yield* parseOverrides(o.override)
    const schema = Option.isSome(o.answerSchema) ? Option.some(yield* readSchema(o.answerSchema.value)) : Option.none()
    if (Option.isSome(schema)) overrides["agent.answer_format"] = schema.value
    const spinning = !json && style.stderr
    let liveView: string | undefined
    let steps = 0
    let last = "starting"
    let shown = false
    let sessionId: string | undefined

    const show = (item: ChangeFeed.IndexedEvent) => {
      const url = liveViewOf(item.event)
      const fresh = url !== undefined && url !== liveView
      if (url !== undefined) liveView = url
      steps = item.index + 1
      last = Render.describeEvent(item.event)
      if (json) {
        output.stdout.write(`${JSON.stringify({ type: "event", index: item.index, event: item.event })}\n`)
        return
      }
      if (spinning) output.stderr.write("\r\x1b[2K")
      if (fresh) output.stderr.write(`Live view: ${url}\n`)
      output.stderr.write(`  ${String(item.index).padStart(3)} ${last}\n`)
    }
    // The session's own watcher hands each event over before the turn it belongs to can settle,
    // so every event is printed before the result, with no second reader and no wait after.
    // Events that come before the session's header line is out wait for it.
    const early: Array<ChangeFeed.IndexedEvent> = []
    const onEvent = (item: ChangeFeed.IndexedEvent) =>
      Effect.sync(() => {
        if (shown) show(item)
        else early.push(item)
      })

    return yield* Effect.gen(function*() {
      const handle = yield* Session.start({
        agent: o.agent,
        messages: o.task,
        maxSteps: Option.getOrUndefined(o.maxSteps),
        maxTime: Option.match(o.maxTime, { onNone: () => undefined, onSome: Duration.seconds }),
        idleTimeout: Option.match(o.idleTimeout, { onNone: () => undefined, onSome: Duration.seconds }),
        overrides: Object.keys(overrides).length > 0 ? overrides : undefined,
        cancelTimeout,
        onEvent
      })
      sessionId = handle.id
      liveView = handle.session.agent_view_url ?? undefined
      if (json) {
        yield* Render.json({
          type: "session",
          id: handle.id,
          status: handle.session.status.status,
          live_view_url: liveView ?? null
        })
      } else {
        yield* Render.info(`Session ${handle.id} (${o.agent})`)
        if (liveView) yield* Render.info(`Live view: ${liveView}`)
      }
      shown = true
      for (const item of early.splice(0)) show(item)

      let frame = 0
      const spinner = spinning
        ? Option.some(
          yield* handle.status.pipe(
            Effect.flatMap((status) =>
              Effect.sync(() => {
                frame = (frame + 1) % frames.length
                output.stderr.write(
                  `\r\x1b[2K${frames[frame]} ${status} · ${steps} events · ${Render.truncate(last, 60)}`
                )
              })
            ),
            Effect.repeat(Schedule.spaced("100 millis")),
            Effect.forkScoped
          )
        )
        : Option.none()

      const result = yield* handle.awaitSettled()
      if (Option.isSome(spinner)) {
        yield* Fiber.interrupt(spinner.value)
        output.stderr.write("\r\x1b[2K")
      }
      const answer = parseAnswer(result.rawAnswer, Option.isSome(schema))
      if (json) {
        return yield* Render.json({
          type: "result",
          id: result.id,
          status: result.status,
          outcome: result.outcome,
          answer,
          live_view_url: liveView ?? null
        })
      }
      yield* Render.info(`Session ${result.id} ${result.status}${result.outcome ? ` (${result.outcome})` : ""}.`)
      yield* Render.line(Render.answer(answer))
    }).pipe(
      // Printed before the scope closes, that is before the session's cancel is sent.
      Effect.onInterrupt(() =>
        Effect.sync(() => {
          if (spinning) output.stderr.write("\r\x1b[2K")
          output.stderr.write(
            sessionId === undefined ? "Interrupted.\n" : `Interrupted: cancelling session ${sessionId}.\n`
          )
        })
      )
    )
  })))
