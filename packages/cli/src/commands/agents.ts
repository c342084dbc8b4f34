/**
 * `hai agents list|get` and `hai skills list|get`.
 *
 * @since 0.1.0
 */
import * as Args from "@effect/cli/Args"
import * as Command from "@effect/cli/Command"
import * as Options from "@effect/cli/Options"
import * as HaiAgents from "@hai-effect/core/HaiAgents"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Global from "../Global.js"
import * as Render from "../Render.js"

const listOptions = {
  search: Options.text("search").pipe(Options.withDescription("Full-text filter"), Options.optional),
  page: Options.integer("page").pipe(Options.withDescription("Page number (from 1)"), Options.optional),
  size: Options.integer("size").pipe(Options.withDescription("Items per page"), Options.optional)
}

const query = (o: {
  readonly search: Option.Option<string>
  readonly page: Option.Option<number>
  readonly size: Option.Option<number>
}) => ({
  ...Option.match(o.search, { onNone: () => ({}), onSome: (search) => ({ search }) }),
  ...Option.match(o.page, { onNone: () => ({}), onSome: (page) => ({ page }) }),
  ...Option.match(o.size, { onNone: () => ({}), onSome: (size) => ({ size }) })
})

/**
 * `hai agents list [--search TEXT] [--page N] [--size N]`
 *
 * @since 0.1.0
 * @category Commands
 */
export const listAgents = Command.make("list", listOptions, (o) =>
  Global.withClient(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const hai = yield* HaiAgents.HaiAgents
    const result = yield* hai.agents.list(query(o))
    if (json) return yield* Render.json(result)
    yield* Render.line(Render.table(
      ["NAME", "DESCRIPTION"],
      result.items.map((a) => [a.name, Render.truncate(a.description, 80)])
    ))
  }))).pipe(Command.withDescription("List agents"))

/**
 * `hai agents get NAME`
 *
 * @since 0.1.0
 * @category Commands
 */
export const getAgent = Command.make(
  "get",
  { name: Args.text({ name: "name" }).pipe(Args.withDescription("The agent's name, e.g. h/web-surfer-holo3-1-35b")) },
  ({ name }) =>
    Global.withClient(Effect.gen(function*() {
      const { json } = yield* Global.globals
      const hai = yield* HaiAgents.HaiAgents
      const agent = yield* hai.agents.get(name)
      if (json) return yield* Render.json(agent)
      yield* Render.line(Render.fields([
        ["name", agent.name],
        ["description", agent.description],
        ["model", agent.model],
        ["environments", agent.environments.map((e) => typeof e === "string" ? e : e.kind).join(", ")],
        ["skills", agent.skills?.map((s) => typeof s === "string" ? s : s.name).join(", ")],
        ["instructions", agent.instructions]
      ]))
    }))
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
export const listSkills = Command.make("list", listOptions, (o) =>
  Global.withClient(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const hai = yield* HaiAgents.HaiAgents
    const result = yield* hai.skills.list(query(o))
    if (json) return yield* Render.json(result)
    if (result.items.length === 0) return yield* Render.line("No skills.")
    yield* Render.line(Render.table(
      ["NAME", "DESCRIPTION"],
      result.items.map((s) => [s.name, Render.truncate(s.description, 80)])
    ))
  }))).pipe(Command.withDescription("List skills"))

/**
 * `hai skills get NAME`
 *
 * @since 0.1.0
 * @category Commands
 */
export const getSkill = Command.make(
  "get",
  { name: Args.text({ name: "name" }).pipe(Args.withDescription("The skill's name (`hai skills list` shows them)")) },
  ({ name }) =>
    Global.withClient(Effect.gen(function*() {
      const { json } = yield* Global.globals
      const hai = yield* HaiAgents.HaiAgents
      const skill = yield* hai.skills.get(name)
      if (json) return yield* Render.json(skill)
      yield* Render.line(Render.fields([
        ["name", skill.name],
        ["description", skill.description],
        ["url pattern", skill.url_pattern],
        ["source", skill.source]
      ]))
      yield* Render.line()
      yield* Render.line(skill.body)
    }))
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
