/**
 * Agents, environments and skills: the catalog (built-in entries plus the org's own).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import * as Catalog from "../catalog.js"
import type { Handlers } from "../handlers.js"
import { detail, empty, json, notFound, page } from "../reply.js"
import * as Table from "../table.js"

type Json = Record<string, any>

/** @internal */
export const make = Effect.gen(function*() {
  const agents = Table.make<Json>()
  const environments = Table.make<Json>()
  const skills = Table.make<Json>()
  for (const a of Catalog.agents) yield* agents.put(a.name, a)
  for (const e of Catalog.environments) yield* environments.put(e.id, e)

  const resolveAgent = (name: string) => Effect.sync(() => agents.get(name)?.value)

  const resolved = (a: Json) => ({
    ...a,
    environments: (a.environments ?? []).map((e: unknown) =>
      typeof e === "string" ? environments.get(e)?.value ?? e : e
    ),
    skills: a.skills == null
      ? null
      : a.skills.map((s: unknown) => typeof s === "string" ? skills.get(s)?.value ?? s : s)
  })

  const search = <A>(items: Array<A>, q: string | null | undefined, text: (a: A) => string) =>
    q == null ? items : items.filter((a) => text(a).toLowerCase().includes(q.toLowerCase()))

  const agentHandlers: Handlers<
    | "list_agents_api_v2_agents_get"
    | "get_agent_api_v2_agents__agent_name__get"
    | "create_agent_api_v2_agents_post"
    | "update_agent_api_v2_agents__agent_name__put"
    | "patch_agent_api_v2_agents__agent_name__patch"
    | "delete_agent_api_v2_agents__agent_name__delete"
  > = {
    list_agents_api_v2_agents_get: ({ query }) =>
      Effect.sync(() => {
        const sort = query.sort?.map((s) => s.replace("agent_name", "name"))
        let items = Table.sortRows(agents.rows(), sort, (a) => a.name).map((r) => r.value)
        if (query.agent_name != null) items = items.filter((a) => a.name === query.agent_name)
        items = search(items, query.search, (a) => `${a.name} ${a.description}`)
        return json(200, page(items, query.page, query.size))
      }),
    get_agent_api_v2_agents__agent_name__get: ({ path, query }) =>
      Effect.sync(() => {
        const row = agents.get(path.agent_name)
        if (row === undefined) return notFound(`Agent '${path.agent_name}'`)
        return json(200, query.resolve === true ? resolved(row.value) : row.value)
      }),
    create_agent_api_v2_agents_post: ({ body }) =>
      agents.get(body.name) !== undefined
        ? Effect.succeed(detail(409, `Agent '${body.name}' already exists`))
        : Effect.as(agents.put(body.name, body), json(201, body)),
    update_agent_api_v2_agents__agent_name__put: ({ body, path }) =>
      agents.get(path.agent_name) === undefined
        ? Effect.succeed(notFound(`Agent '${path.agent_name}'`))
        : Effect.as(
          agents.put(path.agent_name, { ...body, name: path.agent_name }),
          json(200, { ...body, name: path.agent_name })
        ),
    patch_agent_api_v2_agents__agent_name__patch: ({ body, path }) => {
      const row = agents.get(path.agent_name)
      if (row === undefined) return Effect.succeed(notFound(`Agent '${path.agent_name}'`))
      const next = { ...row.value, ...Table.stripNulls(body) }
      return Effect.as(agents.put(path.agent_name, next), json(200, next))
    },
    delete_agent_api_v2_agents__agent_name__delete: ({ path }) =>
      Effect.sync(() => agents.remove(path.agent_name) ? empty(204) : notFound(`Agent '${path.agent_name}'`))
  }

  const environmentHandlers: Handlers<
    | "list_environments_api_v2_environments_get"
    | "create_environment_api_v2_environments_post"
    | "get_environment_api_v2_environments__id__get"
    | "update_environment_api_v2_environments__id__put"
    | "patch_environment_api_v2_environments__id__patch"
    | "delete_environment_api_v2_environments__id__delete"
  > = {
    list_environments_api_v2_environments_get: ({ query }) =>
      Effect.sync(() => {
        let items = Table.sortRows(environments.rows(), query.sort, (e) => e.id).map((r) => r.value)
        if (query.id != null) items = items.filter((e) => e.id === query.id)
        if (query.kind != null) items = items.filter((e) => e.kind === query.kind)
        items = search(items, query.search, (e) => JSON.stringify(e))
        return json(200, page(items, query.page, query.size))
      }),
    create_environment_api_v2_environments_post: ({ body }) =>
      environments.get(body.id) !== undefined
        ? Effect.succeed(detail(409, `Environment '${body.id}' already exists`))
        : Effect.as(environments.put(body.id, body), json(201, body)),
    get_environment_api_v2_environments__id__get: ({ path }) =>
      Effect.sync(() => {
        const row = environments.get(path.id)
        return row === undefined ? notFound("Environment") : json(200, row.value)
      }),
    update_environment_api_v2_environments__id__put: ({ body, path }) =>
      environments.get(path.id) === undefined
        ? Effect.succeed(notFound("Environment"))
        : Effect.as(environments.put(path.id, { ...body, id: path.id }), json(200, { ...body, id: path.id })),
    patch_environment_api_v2_environments__id__patch: ({ body, path }) => {
      const row = environments.get(path.id)
      if (row === undefined) return Effect.succeed(notFound("Environment"))
      const next = { ...row.value, ...Table.stripNulls(body) }
      return Effect.as(environments.put(path.id, next), json(200, next))
    },
    delete_environment_api_v2_environments__id__delete: ({ path }) =>
      Effect.sync(() => environments.remove(path.id) ? empty(204) : notFound("Environment"))
  }

  const skillHandlers: Handlers<
    | "list_skills_api_v2_skills_get"
    | "create_skill_api_v2_skills_post"
    | "get_skill_api_v2_skills__name__get"
    | "update_skill_api_v2_skills__name__put"
    | "patch_skill_api_v2_skills__name__patch"
    | "delete_skill_api_v2_skills__name__delete"
  > = {
    list_skills_api_v2_skills_get: ({ query }) =>
      Effect.sync(() => {
        let items = Table.sortRows(skills.rows(), query.sort, (s) => s.name).map((r) => r.value)
        if (query.name != null) items = items.filter((s) => s.name === query.name)
        items = search(items, query.search, (s) => `${s.name} ${s.description}`)
        return json(200, page(items, query.page, query.size))
      }),
    create_skill_api_v2_skills_post: ({ body }) =>
      skills.get(body.name) !== undefined
        ? Effect.succeed(detail(409, `Skill '${body.name}' already exists`))
        : Effect.as(skills.put(body.name, body), json(201, body)),
    get_skill_api_v2_skills__name__get: ({ path }) =>
      Effect.sync(() => {
        const row = skills.get(path.name)
        return row === undefined ? notFound("Skill") : json(200, row.value)
      }),
    update_skill_api_v2_skills__name__put: ({ body, path }) =>
      skills.get(path.name) === undefined
        ? Effect.succeed(notFound("Skill"))
        : Effect.as(skills.put(path.name, { ...body, name: path.name }), json(200, { ...body, name: path.name })),
    patch_skill_api_v2_skills__name__patch: ({ body, path }) => {
      const row = skills.get(path.name)
      if (row === undefined) return Effect.succeed(notFound("Skill"))
      const next = { ...row.value, ...Table.stripNulls(body) }
      return Effect.as(skills.put(path.name, next), json(200, next))
    },
    delete_skill_api_v2_skills__name__delete: ({ path }) =>
      Effect.sync(() => skills.remove(path.name) ? empty(204) : notFound("Skill"))
  }

  /** A scripted agent registered under a new name joins the catalog, like the web surfer it imitates. */
  const ensureAgent = (name: string) =>
    agents.get(name) === undefined
      ? Effect.asVoid(agents.put(name, { ...Catalog.agents[0], name, description: `Scripted agent ${name}` }))
      : Effect.void

  return { resolveAgent, ensureAgent, handlers: { ...agentHandlers, ...environmentHandlers, ...skillHandlers } }
})
