/**
 * What `hai sessions ...` does (the commands are `../commands/sessions.ts`).
 *
 * @since 0.1.0
 */
import * as ChangeFeed from "@hai-effect/core/ChangeFeed"
import * as HaiAgents from "@hai-effect/core/HaiAgents"
import type * as Wire from "@hai-effect/core/Wire"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Client from "../Client.js"
import type * as SessionsCommand from "../commands/sessions.js"
import * as Global from "../Global.js"
import * as Render from "../Render.js"

const firstMessage = (summary: Wire.SessionSummary): string => summary.first_message?.message ?? ""

/**
 * `hai sessions list`
 *
 * @since 0.1.0
 * @category Handlers
 */
export const list = (o: SessionsCommand.ListParsed) =>
  Client.withClient(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const hai = yield* HaiAgents.HaiAgents
    const result = yield* hai.sessions.list({
      ...(o.status.length > 0 ? { status: o.status as Array<Wire.TrajectoryStatus> } : {}),
      ...(o.agent.length > 0 ? { agent: o.agent } : {}),
      ...Option.match(o.search, { onNone: () => ({}), onSome: (search) => ({ search }) }),
      ...Option.match(o.page, { onNone: () => ({}), onSome: (page) => ({ page }) }),
      ...Option.match(o.size, { onNone: () => ({}), onSome: (size) => ({ size }) })
    })
    if (json) return yield* Render.json(result)
    if (result.items.length === 0) return yield* Render.line("No sessions.")
    yield* Render.line(Render.table(
      ["ID", "STATUS", "AGENT", "CREATED", "TASK"],
      result.items.map((s) => [s.id, s.status, s.agent ?? "", s.created_at, Render.truncate(firstMessage(s), 50)])
    ))
    yield* Render.info(`Page ${result.page}, ${result.items.length} of ${result.total} sessions.`)
  }))

/**
 * `hai sessions get ID`
 *
 * @since 0.1.0
 * @category Handlers
 */
export const get = (id: string) =>
  Client.withClient(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const hai = yield* HaiAgents.HaiAgents
    const session = yield* hai.sessions.get(id)
    if (json) return yield* Render.json(session)
    const agent = session.request.agent
    yield* Render.line(Render.fields([
      ["id", session.id],
      ["agent", typeof agent === "string" ? agent : agent?.name],
      ["status", session.status.status],
      ["steps", session.status.steps],
      ["outcome", session.status.outcome],
      ["error", session.status.error],
      ["live view", session.agent_view_url],
      ["created", session.created_at],
      ["finished", session.finished_at],
      ["answer", session.latest_answer === undefined ? undefined : Render.answer(session.latest_answer)]
    ]))
  }))

/**
 * `hai sessions status ID`
 *
 * @since 0.1.0
 * @category Handlers
 */
export const status = (id: string) =>
  Client.withClient(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const hai = yield* HaiAgents.HaiAgents
    const s = yield* hai.sessions.status(id)
    if (json) return yield* Render.json(s)
    yield* Render.line(Render.fields([
      ["status", s.status],
      ["steps", s.steps],
      ["outcome", s.outcome],
      ["error", s.error],
      ["error code", s.error_code]
    ]))
  }))

/**
 * `hai sessions events ID`
 *
 * @since 0.1.0
 * @category Handlers
 */
export const events = (o: SessionsCommand.EventsParsed) =>
  Client.withClient(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const hai = yield* HaiAgents.HaiAgents
    const result = yield* hai.sessions.events(o.id, {
      ...Option.match(o.page, { onNone: () => ({}), onSome: (page) => ({ page }) }),
      ...Option.match(o.size, { onNone: () => ({}), onSome: (size) => ({ size }) }),
      ...Option.match(o.type, { onNone: () => ({}), onSome: (type) => ({ type }) })
    })
    if (json) return yield* Render.json(result)
    for (const event of result.items) yield* Render.line(`${event.timestamp}  ${Render.describeEvent(event)}`)
    yield* Render.info(`Page ${result.page}, ${result.items.length} of ${result.total} events.`)
  }))

/**
 * `hai sessions watch ID`: follows the session from event `from` until it settles.
 *
 * @since 0.1.0
 * @category Handlers
 */
export const watch = (id: string, from: number) =>
  Client.withClient(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const hai = yield* HaiAgents.HaiAgents
    yield* ChangeFeed.events(id, { fromIndex: from }).pipe(
      Stream.runForEach(({ event, index }) =>
        json ? Render.json({ type: "event", index, event }) : Render.line(`#${index} ${Render.describeEvent(event)}`)
      )
    )
    const final = yield* hai.sessions.status(id)
    if (json) return yield* Render.json({ type: "settled", status: final.status, outcome: final.outcome ?? null })
    yield* Render.info(`Session ${id} settled: ${final.status}${final.outcome ? ` (${final.outcome})` : ""}`)
  }))

/**
 * `hai sessions send ID MESSAGE`
 *
 * @since 0.1.0
 * @category Handlers
 */
export const send = (id: string, message: string) =>
  Client.withClient(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const hai = yield* HaiAgents.HaiAgents
    yield* hai.sessions.sendMessages(id, { type: "user_message", message })
    yield* Render.either(json, { id, sent: true }, () => `Sent to ${id}.`)
  }))

/**
 * `hai sessions pause|resume|force-answer|cancel|unshare ID`: `run` on the session, then `done`
 * said of it.
 *
 * @since 0.1.0
 * @category Handlers
 */
export const action = <E>(
  name: string,
  done: string,
  run: (hai: HaiAgents.Service, id: string) => Effect.Effect<void, E>,
  id: string
) =>
  Client.withClient(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const hai = yield* HaiAgents.HaiAgents
    yield* run(hai, id)
    yield* Render.either(json, { id, action: name, ok: true }, () => `${done} ${id}.`)
  }))

/**
 * A share link as a URL that opens in a browser: the API answers with the link's path
 * (`/share/...`), which, like any relative reference in a response, is resolved against the
 * URL of the server that sent it.
 *
 * @since 0.1.0
 * @category Formatting
 */
export const absoluteShareUrl = (shareUrl: string, baseUrl: string): string =>
  URL.canParse(shareUrl, baseUrl) ? new URL(shareUrl, baseUrl).href : shareUrl

/**
 * `hai sessions share ID`: prints the public replay link, as an absolute URL.
 *
 * @since 0.1.0
 * @category Handlers
 */
export const share = (id: string) =>
  Client.withClient(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const hai = yield* HaiAgents.HaiAgents
    const link = yield* hai.sessions.share(id)
    const url = absoluteShareUrl(link.share_url, hai.options.baseUrl)
    yield* Render.either(json, { id, share_url: url }, () => url)
  }))
