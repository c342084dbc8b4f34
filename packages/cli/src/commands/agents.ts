/**
 * `hai agents list|get` and `hai skills list|get`. What they do is in `../handlers/agents.ts`,
 * loaded when one runs.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as Effect from "effect/Effect"

const handlers = Effect.promise(() => import("../handlers/agents.js"))

const listOptions = {
  search: Options.text("search").pipe(Options.withDescription("Full-text filter"), Options.optional),
  page: Options.integer("page").pipe(Options.withDescription("Page number (from 1)"), Options.optional),
  size: Options.integer("size").pipe(Options.withDescription("Items per page"), Options.optional)
}

/**
 * The parsed options of `hai agents list` and `hai skills list`.
 *
 * @since 0.1.0
 * @category Models
 */
export type ListParsed = Command.Command.ParseConfig<typeof listOptions>

/**
 * `hai agents list [--search TEXT] [--page N] [--size N]`
 *
 * @since 0.1.0
 * @category Commands
 */
export const listAgents = Command.make(
  "list",
  listOptions,
  (o) => Effect.flatMap(handlers, (h) => h.listAgents(o))
).pipe(Command.withDescription("List agents"))

/**
 * `hai agents get NAME`
 *
 * @since 0.1.0
 * @category Commands
 */
export const getAgent = Command.make(
  "get",
  { name: Args.text({ name: "name" }).pipe(Args.withDescription("The agent's name, e.g. h/web-surfer-holo3-1-35b")) },
  ({ name }) => Effect.flatMap(handlers, (h) => h.getAgent(name))
).pipe(Command.withDescription("Show an agent"))

/**
 * `hai agents ...`
 *
 * @since 0.1.0
 * @category Commands
 */
export const agents = Command.make("agents").pipe(
  Command.withDescription("Browse agents"),
  Command.withSubcommands([listAgents, getAgent])
)

/**
 * `hai skills list [--search TEXT] [--page N] [--size N]`
 *
 * @since 0.1.0
 * @category Commands
 */
export const listSkills = Command.make(
  "list",
  listOptions,
  (o) => Effect.flatMap(handlers, (h) => h.listSkills(o))
).pipe(Command.withDescription("List skills"))

/**
 * `hai skills get NAME`
 *
 * @since 0.1.0
 * @category Commands
 */
export const getSkill = Command.make(
  "get",
  { name: Args.text({ name: "name" }).pipe(Args.withDescription("The skill's name (`hai skills list` shows them)")) },
  ({ name }) => Effect.flatMap(handlers, (h) => h.getSkill(name))
).pipe(Command.withDescription("Show a skill"))

/**
 * `hai skills ...`
 *
 * @since 0.1.0
 * @category Commands
 */
export const skills = Command.make("skills").pipe(
  Command.withDescription("Browse skills"),
  Command.withSubcommands([listSkills, getSkill])
)
