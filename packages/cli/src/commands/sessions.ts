/**
 * `hai sessions list|get|status|events|watch|send|pause|resume|force-answer|cancel|share|unshare`.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as ChangeFeed from "@hai-effect/core/ChangeFeed"
import * as HaiAgents from "@hai-effect/core/HaiAgents"
import type * as Wire from "@hai-effect/core/Wire"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as Global from "../Global.js"
import * as Render from "../Render.js"
import * as Record from "./record.js"

const id = Args.text({ name: "session-id" }).pipe(Args.withDescription("The session id"))

const page = Options.integer("page").pipe(Options.withDescription("Page number (from 1)"), Options.optional)
const size = Options.integer("size").pipe(Options.withDescription("Items per page"), Options.optional)

const firstMessage = (summary: Wire.SessionSummary): string => summary.first_message?.message ?? ""

/**
 * `hai sessions list [--status S ...] [--agent A ...] [--search TEXT] [--page N] [--size N]`
 *
 * @since 0.1.0
 * @category Commands
 */
export const list = Command.make("list", {
  status: Options.text("status").pipe(Options.withDescription("Only this status (repeatable)"), Options.repeated),
  agent: Options.text("agent").pipe(Options.withDescription("Only this agent (repeatable)"), Options.repeated),
  search: Options.text("search").pipe(Options.withDescription("Full-text filter"), Options.optional),
  page,
  size
}, (o) =>
  Global.withClient(Effect.gen(function*() {
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
  }))).pipe(Command.withDescription("List sessions"))

/**
 * `hai sessions get ID`
 *
 * @since 0.1.0
 * @category Commands
 */
export const get = Command.make("get", { id }, ({ id }) =>
  Global.withClient(Effect.gen(function*() {
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
  }))).pipe(Command.withDescription("Show a session"))

/**
 * `hai sessions status ID`
 *
 * @since 0.1.0
 * @category Commands
 */
export const status = Command.make("status", { id }, ({ id }) =>
  Global.withClient(Effect.gen(function*() {
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
  }))).pipe(Command.withDescription("Show a session's status"))

/**
 * `hai sessions events ID [--page N] [--size N] [--type T]`
 *
 * @since 0.1.0
 * @category Commands
 */
export const events = Command.make("events", {
  id,
  page,
  size,
  type: Options.text("type").pipe(Options.withDescription("Only events of this type"), Options.optional)
}, (o) =>
  Global.withClient(Effect.gen(function*() {
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
  }))).pipe(Command.withDescription("List a session's events (paginated history)"))

/**
 * `hai sessions watch ID [--from N]`: follows the session until it settles.
 *
 * @since 0.1.0
 * @category Commands
 */
export const watch = Command.make("watch", {
  id,
  from: Options.integer("from").pipe(Options.withDescription("First event index (default: 0)"), Options.withDefault(0))
}, (o) =>
  Global.withClient(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const hai = yield* HaiAgents.HaiAgents
    yield* ChangeFeed.events(o.id, { fromIndex: o.from }).pipe(
      Stream.runForEach(({ event, index }) =>
        json ? Render.json({ type: "event", index, event }) : Render.line(`#${index} ${Render.describeEvent(event)}`)
      )
    )
    const final = yield* hai.sessions.status(o.id)
    if (json) return yield* Render.json({ type: "settled", status: final.status, outcome: final.outcome ?? null })
    yield* Render.info(`Session ${o.id} settled: ${final.status}${final.outcome ? ` (${final.outcome})` : ""}`)
  }))).pipe(Command.withDescription("Follow a session's events until it settles"))

/**
 * `hai sessions send ID MESSAGE`
 *
 * @since 0.1.0
 * @category Commands
 */
export const send = Command.make("send", {
  id,
  message: Args.text({ name: "message" }).pipe(Args.withDescription("What to tell the agent"))
}, (o) =>
  Global.withClient(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const hai = yield* HaiAgents.HaiAgents
    yield* hai.sessions.sendMessages(o.id, { type: "user_message", message: o.message })
    yield* Render.either(json, { id: o.id, sent: true }, () => `Sent to ${o.id}.`)
  }))).pipe(Command.withDescription("Send a message to a session (wakes an idle one)"))

const action = (
  name: string,
  description: string,
  done: string,
  run: (hai: HaiAgents.Service, id: string) => Effect.Effect<void, any>
) =>
  Command.make(name, { id }, ({ id }) =>
    Global.withClient(Effect.gen(function*() {
      const { json } = yield* Global.globals
      const hai = yield* HaiAgents.HaiAgents
      yield* run(hai, id)
      yield* Render.either(json, { id, action: name, ok: true }, () => `${done} ${id}.`)
    }))).pipe(Command.withDescription(description))

/**
 * `hai sessions pause ID`
 *
 * @since 0.1.0
 * @category Commands
 */
export const pause = action("pause", "Pause a session", "Paused", (hai, id) => hai.sessions.pause(id))
/**
 * `hai sessions resume ID`
 *
 * @since 0.1.0
 * @category Commands
 */
export const resume = action("resume", "Resume a paused session", "Resumed", (hai, id) => hai.sessions.resume(id))
/**
 * `hai sessions force-answer ID`
 *
 * @since 0.1.0
 * @category Commands
 */
export const forceAnswer = action(
  "force-answer",
  "Ask the agent to answer on its next step",
  "Asked for an answer from",
  (hai, id) => hai.sessions.forceAnswer(id)
)
/**
 * `hai sessions cancel ID`: the session ends `interrupted`.
 *
 * @since 0.1.0
 * @category Commands
 */
export const cancel = action("cancel", "Cancel a session", "Cancelled", (hai, id) => hai.sessions.cancel(id))
/**
 * `hai sessions unshare ID`
 *
 * @since 0.1.0
 * @category Commands
 */
export const unshare = action(
  "unshare",
  "Revoke a session's share link",
  "Unshared",
  (hai, id) => hai.sessions.unshare(id)
)

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
 * @category Commands
 */
export const share = Command.make("share", { id }, ({ id }) =>
  Global.withClient(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const hai = yield* HaiAgents.HaiAgents
    const link = yield* hai.sessions.share(id)
    const url = absoluteShareUrl(link.share_url, hai.options.baseUrl)
    yield* Render.either(json, { id, share_url: url }, () => url)
  }))).pipe(Command.withDescription("Create a public replay link"))

/**
 * `hai sessions ...`
 *
 * @since 0.1.0
 * @category Commands
 */
export const command = Command.make("sessions").pipe(
  Command.withDescription("Inspect and steer sessions"),
  Command.withSubcommands([
    list,
    get,
    status,
    events,
    watch,
    send,
    pause,
    resume,
    forceAnswer,
    cancel,
    share,
    unshare,
    Record.command
  ])
)
