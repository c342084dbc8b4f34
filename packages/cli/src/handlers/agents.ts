/**
 * What `hai agents list|get` and `hai skills list|get` do (the commands are
 * `../commands/agents.ts`).
 *
 * @since 0.1.0
 */
import * as HaiAgents from "@hai-effect/core/HaiAgents"
import * as Effect from "effect/Effect"
import * as Option from "effect/Option"
import * as Client from "../Client.js"
import type * as AgentsCommand from "../commands/agents.js"
import * as Global from "../Global.js"
import * as Render from "../Render.js"

const query = (o: AgentsCommand.ListParsed) => ({
  ...Option.match(o.search, { onNone: () => ({}), onSome: (search) => ({ search }) }),
  ...Option.match(o.page, { onNone: () => ({}), onSome: (page) => ({ page }) }),
  ...Option.match(o.size, { onNone: () => ({}), onSome: (size) => ({ size }) })
})

/**
 * `hai agents list`
 *
 * @since 0.1.0
 * @category Handlers
 */
export const listAgents = (o: AgentsCommand.ListParsed) =>
  Client.withClient(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const hai = yield* HaiAgents.HaiAgents
    const result = yield* hai.agents.list(query(o))
    if (json) return yield* Render.json(result)
    yield* Render.line(Render.table(
      ["NAME", "DESCRIPTION"],
      result.items.map((a) => [a.name, Render.truncate(a.description, 80)])
    ))
  }))

/**
 * `hai agents get NAME`
 *
 * @since 0.1.0
 * @category Handlers
 */
export const getAgent = (name: string) =>
  Client.withClient(Effect.gen(function*() {
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

/**
 * `hai skills list`
 *
 * @since 0.1.0
 * @category Handlers
 */
export const listSkills = (o: AgentsCommand.ListParsed) =>
  Client.withClient(Effect.gen(function*() {
    const { json } = yield* Global.globals
    const hai = yield* HaiAgents.HaiAgents
    const result = yield* hai.skills.list(query(o))
    if (json) return yield* Render.json(result)
    if (result.items.length === 0) return yield* Render.line("No skills.")
    yield* Render.line(Render.table(
      ["NAME", "DESCRIPTION"],
      result.items.map((s) => [s.name, Render.truncate(s.description, 80)])
    ))
  }))

/**
 * `hai skills get NAME`
 *
 * @since 0.1.0
 * @category Handlers
 */
export const getSkill = (name: string) =>
  Client.withClient(Effect.gen(function*() {
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
