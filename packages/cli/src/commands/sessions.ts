/**
 * `hai sessions list|get|status|events|watch|send|pause|resume|force-answer|cancel|share|unshare`,
 * and `record` (`./record.ts`). What they do is in `../handlers/sessions.ts`, loaded when one
 * runs.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import type * as HaiAgents from "@hai-effect/core/HaiAgents"
import * as Effect from "effect/Effect"
import * as Record from "./record.js"

const handlers = Effect.promise(() => import("../handlers/sessions.js"))

const id = Args.text({ name: "session-id" }).pipe(Args.withDescription("The session id"))

const page = Options.integer("page").pipe(Options.withDescription("Page number (from 1)"), Options.optional)
const size = Options.integer("size").pipe(Options.withDescription("Items per page"), Options.optional)

const listConfig = {
  status: Options.text("status").pipe(Options.withDescription("Only this status (repeatable)"), Options.repeated),
  agent: Options.text("agent").pipe(Options.withDescription("Only this agent (repeatable)"), Options.repeated),
  search: Options.text("search").pipe(Options.withDescription("Full-text filter"), Options.optional),
  page,
  size
}

/**
 * The parsed options of `hai sessions list`.
 *
 * @since 0.1.0
 * @category Models
 */
export type ListParsed = Command.Command.ParseConfig<typeof listConfig>

/**
 * `hai sessions list [--status S ...] [--agent A ...] [--search TEXT] [--page N] [--size N]`
 *
 * @since 0.1.0
 * @category Commands
 */
export const list = Command.make("list", listConfig, (o) => Effect.flatMap(handlers, (h) => h.list(o))).pipe(
  Command.withDescription("List sessions")
)

/**
 * `hai sessions get ID`
 *
 * @since 0.1.0
 * @category Commands
 */
export const get = Command.make("get", { id }, ({ id }) => Effect.flatMap(handlers, (h) => h.get(id))).pipe(
  Command.withDescription("Show a session")
)

/**
 * `hai sessions status ID`
 *
 * @since 0.1.0
 * @category Commands
 */
export const status = Command.make("status", { id }, ({ id }) => Effect.flatMap(handlers, (h) => h.status(id))).pipe(
  Command.withDescription("Show a session's status")
)

const eventsConfig = {
  id,
  page,
  size,
  type: Options.text("type").pipe(Options.withDescription("Only events of this type"), Options.optional)
}

/**
 * The parsed arguments of `hai sessions events`.
 *
 * @since 0.1.0
 * @category Models
 */
export type EventsParsed = Command.Command.ParseConfig<typeof eventsConfig>

/**
 * `hai sessions events ID [--page N] [--size N] [--type T]`
 *
 * @since 0.1.0
 * @category Commands
 */
export const events = Command.make("events", eventsConfig, (o) => Effect.flatMap(handlers, (h) => h.events(o))).pipe(
  Command.withDescription("List a session's events (paginated history)")
)

/**
 * `hai sessions watch ID [--from N]`: follows the session until it settles.
 *
 * @since 0.1.0
 * @category Commands
 */
export const watch = Command.make("watch", {
  id,
  from: Options.integer("from").pipe(Options.withDescription("First event index (default: 0)"), Options.withDefault(0))
}, (o) => Effect.flatMap(handlers, (h) => h.watch(o.id, o.from))).pipe(
  Command.withDescription("Follow a session's events until it settles")
)

/**
 * `hai sessions send ID MESSAGE`
 *
 * @since 0.1.0
 * @category Commands
 */
export const send = Command.make("send", {
  id,
  message: Args.text({ name: "message" }).pipe(Args.withDescription("What to tell the agent"))
}, (o) => Effect.flatMap(handlers, (h) => h.send(o.id, o.message))).pipe(
  Command.withDescription("Send a message to a session (wakes an idle one)")
)

const action = <E>(
  name: string,
  description: string,
  done: string,
  run: (hai: HaiAgents.Service, id: string) => Effect.Effect<void, E>
) =>
  Command.make(name, { id }, ({ id }) => Effect.flatMap(handlers, (h) => h.action(name, done, run, id))).pipe(
    Command.withDescription(description)
  )

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
 * `hai sessions share ID`: prints the public replay link, as an absolute URL.
 *
 * @since 0.1.0
 * @category Commands
 */
export const share = Command.make("share", { id }, ({ id }) => Effect.flatMap(handlers, (h) => h.share(id))).pipe(
  Command.withDescription("Create a public replay link")
)

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
