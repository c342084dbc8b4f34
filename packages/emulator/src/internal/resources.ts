import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import * as Ref from "effect/Ref"
import * as Catalog from "./catalog.js"
import type { Reply } from "./reply.js"
import { detail, empty, json, notFound, page } from "./reply.js"
import type { Sessions } from "./sessions.js"

type Handler = (r: { path: any; query: any; headers: any; body: any }) => Effect.Effect<Reply>

const iso = (ms: number | null | undefined) => (ms === null || ms === undefined ? null : new Date(ms).toISOString())

interface Row<A> {
  readonly value: A
  readonly createdAt: number
  readonly updatedAt: number
}

const stripNulls = (o: Record<string, unknown>) => {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(o)) if (v !== null && v !== undefined) out[k] = v
  return out
}

const sortRows = <A>(rows: Array<Row<A>>, sort: ReadonlyArray<string> | undefined, key: (a: A) => string) => {
  const s = (sort ?? ["-created_at"])[0] ?? "-created_at"
  const desc = s.startsWith("-")
  const field = desc ? s.slice(1) : s
  rows.sort((a, b) => {
    const c = field === "created_at" ? a.createdAt - b.createdAt : key(a.value).localeCompare(key(b.value))
    return desc ? -c : c
  })
  return rows
}

/** A keyed in-memory table. */
const table = <A>() =>
  Effect.map(Ref.make(new Map<string, Row<A>>()), (ref) => ({
    ref,
    get: (k: string) => Effect.map(Ref.get(ref), (m) => m.get(k)),
    rows: Effect.map(Ref.get(ref), (m) => Array.from(m.values())),
    put: (k: string, value: A) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(ref, (m) => {
          const prev = m.get(k)
          const row = { value, createdAt: prev?.createdAt ?? now, updatedAt: now }
          return [row, new Map(m).set(k, row)] as const
        })),
    remove: (k: string) =>
      Ref.modify(ref, (m) => {
        if (!m.has(k)) return [false, m] as const
        const n = new Map(m)
        n.delete(k)
        return [true, n] as const
      })
  }))

/** @internal */
export const make = (deps: { readonly nextId: () => string }) =>
  Effect.gen(function*() {
    const ORG = "00000000-0000-4000-8000-00000000e0e0"
    const USER = "00000000-0000-4000-8000-00000000e0e1"
    const agents = yield* table<Record<string, any>>()
    const environments = yield* table<Record<string, any>>()
    const skills = yield* table<Record<string, any>>()
    const profiles = yield* table<Record<string, any>>()
    const uploads = yield* Ref.make(new Set<string>())
    const vaults = yield* table<Record<string, any>>()
    const schedules = yield* table<Record<string, any>>()
    const runs = yield* Ref.make<ReadonlyArray<Record<string, any>>>([])
    let sessionsRef: Sessions | undefined
    for (const a of Catalog.agents) yield* agents.put(a.name, a)

    const resolveAgent = (name: string) => Effect.map(agents.get(name), (row) => row?.value)

    // ---------------------------------------------------------------- agents
    const agentView = (a: Record<string, any>, resolve: boolean) =>
      Effect.gen(function*() {
        if (!resolve) return a
        const envs: Array<unknown> = []
        for (const e of a.environments ?? []) {
          envs.push(typeof e === "string" ? (yield* environments.get(e))?.value ?? e : e)
        }
        const sk: Array<unknown> | null = a.skills == null ? null : []
        for (const s of a.skills ?? []) sk!.push(typeof s === "string" ? (yield* skills.get(s))?.value ?? s : s)
        return { ...a, environments: envs, skills: sk }
      })

    const agentHandlers: Record<string, Handler> = {
      list_agents_api_v2_agents_get: ({ query }) =>
        Effect.map(agents.rows, (rows) => {
          let items = sortRows(rows, query.sort?.map((s: string) => s.replace("agent_name", "name")), (a) => a.name)
            .map((r) => r.value)
          if (typeof query.agent_name === "string") items = items.filter((a) => a.name === query.agent_name)
          if (typeof query.search === "string") {
            const q = query.search.toLowerCase()
            items = items.filter((a) => `${a.name} ${a.description}`.toLowerCase().includes(q))
          }
          return json(200, page(items, query.page ?? 1, query.size ?? 10))
        }),
      get_agent_api_v2_agents__agent_name__get: ({ path, query }) =>
        Effect.flatMap(agents.get(path.agent_name), (row) =>
          row === undefined
            ? Effect.succeed(notFound(`Agent '${path.agent_name}'`))
            : Effect.map(agentView(row.value, query.resolve === true), (a) => json(200, a))),
      create_agent_api_v2_agents_post: ({ body }) =>
        Effect.flatMap(agents.get(body.name), (row) =>
          row !== undefined
            ? Effect.succeed(detail(409, `Agent '${body.name}' already exists`))
            : Effect.as(agents.put(body.name, body), json(201, body))),
      update_agent_api_v2_agents__agent_name__put: ({ body, path }) =>
        Effect.flatMap(agents.get(path.agent_name), (row) =>
          row === undefined
            ? Effect.succeed(notFound(`Agent '${path.agent_name}'`))
            : Effect.as(
              agents.put(path.agent_name, { ...body, name: path.agent_name }),
              json(200, { ...body, name: path.agent_name })
            )),
      patch_agent_api_v2_agents__agent_name__patch: ({ body, path }) =>
        Effect.flatMap(agents.get(path.agent_name), (row) => {
          if (row === undefined) return Effect.succeed(notFound(`Agent '${path.agent_name}'`))
          const next = { ...row.value, ...stripNulls(body) }
          return Effect.as(agents.put(path.agent_name, next), json(200, next))
        }),
      delete_agent_api_v2_agents__agent_name__delete: ({ path }) =>
        Effect.map(agents.remove(path.agent_name), (ok) => ok ? empty(204) : notFound(`Agent '${path.agent_name}'`))
    }

    // ---------------------------------------------------------------- environments
    const envHandlers: Record<string, Handler> = {
      list_environments_api_v2_environments_get: ({ query }) =>
        Effect.map(environments.rows, (rows) => {
          let items = sortRows(rows, query.sort, (e) => e.id).map((r) => r.value)
          if (typeof query.id === "string") items = items.filter((e) => e.id === query.id)
          if (typeof query.kind === "string") items = items.filter((e) => e.kind === query.kind)
          if (typeof query.search === "string") {
            items = items.filter((e) => JSON.stringify(e).toLowerCase().includes(query.search.toLowerCase()))
          }
          return json(200, page(items, query.page ?? 1, query.size ?? 10))
        }),
      create_environment_api_v2_environments_post: ({ body }) =>
        Effect.flatMap(environments.get(body.id), (row) =>
          row !== undefined
            ? Effect.succeed(detail(409, `Environment '${body.id}' already exists`))
            : Effect.as(environments.put(body.id, body), json(201, body))),
      get_environment_api_v2_environments__id__get: ({ path }) =>
        Effect.map(environments.get(path.id), (row) =>
          row === undefined ? notFound("Environment") : json(200, row.value)),
      update_environment_api_v2_environments__id__put: ({ body, path }) =>
        Effect.flatMap(environments.get(path.id), (row) =>
          row === undefined
            ? Effect.succeed(notFound("Environment"))
            : Effect.as(environments.put(path.id, { ...body, id: path.id }), json(200, { ...body, id: path.id }))),
      patch_environment_api_v2_environments__id__patch: ({ body, path }) =>
        Effect.flatMap(environments.get(path.id), (row) => {
          if (row === undefined) {
            return Effect.succeed(notFound("Environment"))
          }
          const next = { ...row.value, ...stripNulls(body) }
          return Effect.as(environments.put(path.id, next), json(200, next))
        }),
      delete_environment_api_v2_environments__id__delete: ({ path }) =>
        Effect.map(environments.remove(path.id), (ok) =>
          ok ? empty(204) : notFound("Environment"))
    }

    // ---------------------------------------------------------------- skills
    const skillHandlers: Record<string, Handler> = {
      list_skills_api_v2_skills_get: ({ query }) =>
        Effect.map(skills.rows, (rows) => {
          let items = sortRows(rows, query.sort, (s) => s.name).map((r) => r.value)
          if (typeof query.name === "string") items = items.filter((s) => s.name === query.name)
          if (typeof query.search === "string") {
            const q = query.search.toLowerCase()
            items = items.filter((s) => `${s.name} ${s.description}`.toLowerCase().includes(q))
          }
          return json(200, page(items, query.page ?? 1, query.size ?? 10))
        }),
      create_skill_api_v2_skills_post: ({ body }) =>
        Effect.flatMap(skills.get(body.name), (row) =>
          row !== undefined
            ? Effect.succeed(detail(409, `Skill '${body.name}' already exists`))
            : Effect.as(skills.put(body.name, body), json(201, body))),
      get_skill_api_v2_skills__name__get: ({ path }) =>
        Effect.map(skills.get(path.name), (row) => row === undefined ? notFound("Skill") : json(200, row.value)),
      update_skill_api_v2_skills__name__put: ({ body, path }) =>
        Effect.flatMap(skills.get(path.name), (row) =>
          row === undefined
            ? Effect.succeed(notFound("Skill"))
            : Effect.as(skills.put(path.name, { ...body, name: path.name }), json(200, { ...body, name: path.name }))),
      patch_skill_api_v2_skills__name__patch: ({ body, path }) =>
        Effect.flatMap(skills.get(path.name), (row) => {
          if (row === undefined) return Effect.succeed(notFound("Skill"))
          const next = { ...row.value, ...stripNulls(body) }
          return Effect.as(skills.put(path.name, next), json(200, next))
        }),
      delete_skill_api_v2_skills__name__delete: ({ path }) =>
        Effect.map(skills.remove(path.name), (ok) => ok ? empty(204) : notFound("Skill"))
    }

    // ---------------------------------------------------------------- browser profiles
    const profileView = (row: Row<Record<string, any>>) => ({
      ...row.value,
      created_at: iso(row.createdAt),
      updated_at: iso(row.updatedAt)
    })
    const setDefault = (id: string, value: boolean) =>
      Effect.gen(function*() {
        const row = yield* profiles.get(id)
        if (row === undefined) return notFound("Browser profile")
        if (value) {
          for (const other of yield* profiles.rows) {
            if (other.value.browser_name === row.value.browser_name && other.value.is_default === true) {
              yield* profiles.put(other.value.id, { ...other.value, is_default: false })
            }
          }
        }
        const next = yield* profiles.put(id, { ...row.value, is_default: value })
        return json(200, profileView(next))
      })
    const profileHandlers: Record<string, Handler> = {
      list_browser_profiles_api_v2_browser_profiles_get: ({ query }) =>
        Effect.map(profiles.rows, (rows) => {
          const limit = query.limit ?? 50
          const offset = query.offset ?? 0
          const all = sortRows(rows, undefined, (p) => p.id).map(profileView)
          return json(200, { total: all.length, limit, offset, profiles: all.slice(offset, offset + limit) })
        }),
      initiate_browser_profile_upload_api_v2_browser_profiles_initiate_upload_post: () =>
        Effect.gen(function*() {
          const id = deps.nextId()
          yield* Ref.update(uploads, (s) => new Set(s).add(id))
          return json(200, {
            profile_id: id,
            upload_url: `https://uploads.emulator.local/browser-profiles/${id}`,
            upload_fields: { key: `browser-profiles/${id}.tar.gz` },
            upload_expires_in: 3600
          })
        }),
      complete_browser_profile_upload_api_v2_browser_profiles__profile_id__complete_upload_post: ({ body, path }) =>
        Effect.gen(function*() {
          const pending = yield* Ref.get(uploads)
          if (!pending.has(path.profile_id)) return notFound("Upload")
          yield* Ref.update(uploads, (s) => {
            const n = new Set(s)
            n.delete(path.profile_id)
            return n
          })
          const row = yield* profiles.put(path.profile_id, {
            id: path.profile_id,
            user_id: USER,
            org_id: ORG,
            name: body.name,
            description: body.description ?? null,
            browser_name: body.browser_name,
            browser_version: body.browser_version,
            s3_path: `browser-profiles/${path.profile_id}.tar.gz`,
            file_size_bytes: 0,
            checksum: null,
            usage_count: 0,
            last_used_at: null,
            labels: body.labels ?? {},
            is_default: false
          })
          return json(201, profileView(row))
        }),
      get_default_browser_profile_api_v2_browser_profiles_default_get: ({ query }) =>
        Effect.map(profiles.rows, (rows) => {
          const row = rows.find((r) => r.value.browser_name === query.browser_name && r.value.is_default === true)
          return row === undefined ? notFound("Default browser profile") : json(200, profileView(row))
        }),
      set_default_browser_profile_api_v2_browser_profiles__profile_id__default_put: ({ path }) =>
        setDefault(path.profile_id, true),
      unset_default_browser_profile_api_v2_browser_profiles__profile_id__default_delete: ({ path }) =>
        setDefault(path.profile_id, false),
      get_browser_profile_api_v2_browser_profiles__profile_id__get: ({ path }) =>
        Effect.map(profiles.get(path.profile_id), (row) =>
          row === undefined ? notFound("Browser profile") : json(200, profileView(row))),
      delete_browser_profile_api_v2_browser_profiles__profile_id__delete: ({ path }) =>
        Effect.map(profiles.remove(path.profile_id), (ok) =>
          ok ? empty(204) : notFound("Browser profile"))
    }

    // ---------------------------------------------------------------- vaults
    const vaultView = (row: Row<Record<string, any>>) => ({
      id: row.value.id,
      org_id: ORG,
      name: row.value.name,
      provider_config: row.value.provider_config,
      created_at: iso(row.createdAt),
      updated_at: iso(row.updatedAt)
    })
    const vaultHandlers: Record<string, Handler> = {
      create_vault_api_v2_vaults_post: ({ body }) =>
        Effect.gen(function*() {
          const id = deps.nextId()
          const row = yield* vaults.put(id, {
            id,
            name: body.name,
            provider_config: body.provider_config,
            token: body.token
          })
          return json(201, vaultView(row))
        }),
      list_vaults_api_v2_vaults_get: ({ query }) =>
        Effect.map(vaults.rows, (rows) => {
          const limit = query.limit ?? 50
          const offset = query.offset ?? 0
          const all = sortRows(rows, undefined, (v) =>
            v.id).map(vaultView)
          return json(200, { total: all.length, limit, offset, vaults: all.slice(offset, offset + limit) })
        }),
      get_vault_api_v2_vaults__vault_id__get: ({ path }) =>
        Effect.map(
          vaults.get(path.vault_id),
          (row) => row === undefined ? notFound("Vault") : json(200, vaultView(row))
        ),
      update_vault_api_v2_vaults__vault_id__patch: ({ body, path }) =>
        Effect.flatMap(vaults.get(path.vault_id), (row) =>
          row === undefined
            ? Effect.succeed(notFound("Vault"))
            : Effect.map(
              vaults.put(path.vault_id, { ...row.value, ...stripNulls(body) }),
              (r) => json(200, vaultView(r))
            )),
      delete_vault_api_v2_vaults__vault_id__delete: ({ path }) =>
        Effect.map(vaults.remove(path.vault_id), (ok) => ok ? empty(204) : notFound("Vault")),
      rotate_vault_token_api_v2_vaults__vault_id__token_put: ({ body, path }) =>
        Effect.flatMap(vaults.get(path.vault_id), (row) =>
          row === undefined
            ? Effect.succeed(notFound("Vault"))
            : Effect.as(vaults.put(path.vault_id, { ...row.value, token: body.token }), empty(204))),
      vault_health_api_v2_vaults__vault_id__health_get: ({ path }) =>
        Effect.map(vaults.get(path.vault_id), (row) =>
          row === undefined
            ? notFound("Vault")
            : json(
              200,
              String(row.value.token).length > 0 ? { ok: true, error: null } : { ok: false, error: "empty token" }
            ))
    }

    // ---------------------------------------------------------------- schedules
    const scheduleView = (row: Row<Record<string, any>>) => ({
      id: row.value.id,
      name: row.value.name,
      description: row.value.description ?? null,
      timing: row.value.timing,
      session_request: row.value.session_request,
      paused: row.value.paused === true,
      pause_note: row.value.pause_note ?? null,
      next_run_times: [],
      last_run_at: iso(row.value.last_run_at),
      created_at: iso(row.createdAt),
      updated_at: iso(row.updatedAt)
    })
    const withSchedule = (id: string, f: (row: Row<Record<string, any>>) => Effect.Effect<Reply>) =>
      Effect.flatMap(schedules.get(id), (row) => row === undefined ? Effect.succeed(notFound("Schedule")) : f(row))
    const scheduleHandlers: Record<string, Handler> = {
      create_schedule_api_v2_schedules_post: ({ body }) =>
        Effect.gen(function*() {
          const id = deps.nextId()
          const row = yield* schedules.put(id, { ...body, id, paused: false, pause_note: null, last_run_at: null })
          return json(201, scheduleView(row))
        }),
      list_schedules_api_v2_schedules_get: ({ query }) =>
        Effect.map(
          schedules.rows,
          (rows) =>
            json(
              200,
              page(sortRows(rows, query.sort, (s) => s.id).map(scheduleView), query.page ?? 1, query.size ?? 10)
            )
        ),
      get_schedule_api_v2_schedules__schedule_id__get: ({ path }) =>
        withSchedule(path.schedule_id, (row) => Effect.succeed(json(200, scheduleView(row)))),
      update_schedule_api_v2_schedules__schedule_id__patch: ({ body, path }) =>
        withSchedule(path.schedule_id, (row) =>
          Effect.map(
            schedules.put(path.schedule_id, { ...row.value, ...stripNulls(body) }),
            (r) => json(200, scheduleView(r))
          )),
      delete_schedule_api_v2_schedules__schedule_id__delete: ({ path }) =>
        Effect.map(schedules.remove(path.schedule_id), (ok) => ok ? empty(204) : notFound("Schedule")),
      pause_schedule_api_v2_schedules__schedule_id__pause_post: ({ body, path }) =>
        withSchedule(path.schedule_id, (row) =>
          Effect.map(
            schedules.put(path.schedule_id, { ...row.value, paused: true, pause_note: body?.note ?? null }),
            (r) => json(200, scheduleView(r))
          )),
      resume_schedule_api_v2_schedules__schedule_id__resume_post: ({ path }) =>
        withSchedule(path.schedule_id, (row) =>
          Effect.map(
            schedules.put(path.schedule_id, { ...row.value, paused: false, pause_note: null }),
            (r) => json(200, scheduleView(r))
          )),
      trigger_schedule_api_v2_schedules__schedule_id__trigger_post: ({ path }) =>
        withSchedule(path.schedule_id, (row) =>
          Effect.gen(function*() {
            const now = yield* Clock.currentTimeMillis
            const created = sessionsRef === undefined
              ? detail(500, "sessions unavailable")
              : yield* sessionsRef.create(row.value.session_request, undefined, row.value.id)
            const ok = created.status === 201
            const run = {
              id: deps.nextId(),
              schedule_id: row.value.id,
              status: ok ? "created" : created.status === 429 ? "skipped_quota" : "error",
              scheduled_for: iso(now),
              // the create reply is a raw JSON body
              session_id: ok ? (created.body as any).id : null,
              error: ok ? null : String((created.body as any)?.detail ?? created.status),
              triggered_manually: true,
              created_at: iso(now)
            }
            yield* Ref.update(runs, (rs) => [...rs, run])
            yield* schedules.put(row.value.id, { ...row.value, last_run_at: now })
            return json(200, run)
          })),
      list_schedule_runs_api_v2_schedules__schedule_id__runs_get: ({ path, query }) =>
        withSchedule(path.schedule_id, () =>
          Effect.map(Ref.get(runs), (rs) => {
            const items = rs.filter((r) => r.schedule_id === path.schedule_id)
            const ordered = (query.sort ?? ["-created_at"])[0] === "created_at" ? items : items.slice().reverse()
            return json(200, page(ordered, query.page ?? 1, query.size ?? 10))
          }))
    }

    const quotaHandlers: Record<string, Handler> = {
      get_token_quota_api_v2_quota_tokens_get: () =>
        Effect.gen(function*() {
          let used = 0
          if (sessionsRef !== undefined) {
            for (const r of yield* sessionsRef.all) used += r.state.steps * 1320
          }
          return json(200, {
            limit: 10_000_000,
            used,
            remaining: Math.max(0, 10_000_000 - used),
            window_start: iso(0),
            window_end: null
          })
        })
    }

    /** A scripted agent registered under a new name joins the catalog, like the web surfer it imitates. */
    const ensureAgent = (name: string) =>
      Effect.flatMap(agents.get(name), (row) =>
        row === undefined
          ? agents.put(name, { ...Catalog.agents[0], name, description: `Scripted agent ${name}` })
          : Effect.void)

    return {
      resolveAgent,
      ensureAgent,
      bindSessions: (s: Sessions) =>
        Effect.sync(() => {
          sessionsRef = s
        }),
      handlers: {
        ...agentHandlers,
        ...envHandlers,
        ...skillHandlers,
        ...profileHandlers,
        ...vaultHandlers,
        ...scheduleHandlers,
        ...quotaHandlers
      } as Record<string, Handler>
    }
  })

/** @internal */
export const sessionHandlers = (sessions: Sessions): Record<string, Handler> => ({
  submit_session_feedback_api_v2_sessions__id__feedback_post: ({ body, path }) =>
    sessions.withSession(path.id, (r) =>
      Effect.sync(() => {
        r.extras.feedback.push({ ...body })
        return empty(204)
      })),
  submit_event_feedback_api_v2_sessions__id__events__event_index__feedback_put: ({ body, path }) =>
    sessions.withSession(path.id, (r) =>
      Effect.sync(() => {
        const s = r.state
        if (path.event_index < 0 || path.event_index >= s.events.length) return notFound("Event")
        r.extras.feedback.push({ ...body, event_index: path.event_index })
        return empty(204)
      })),
  share_session_api_v2_sessions__id__share_post: ({ path }) =>
    sessions.withSession(path.id, (r) =>
      Effect.sync(() => {
        r.extras.shareUrl ??= `https://share.emulator.local/s/${r.id}`
        return json(200, { share_url: r.extras.shareUrl })
      })),
  unshare_session_api_v2_sessions__id__share_delete: ({ path }) =>
    sessions.withSession(path.id, (r) =>
      Effect.sync(() => {
        r.extras.shareUrl = null
        return empty(204)
      })),
  get_session_resource_api_v2_sessions__id__resources__bucket___key__get: ({ path }) =>
    sessions.withSession(path.id, () => Effect.succeed(notFound(`Resource ${path.bucket}/${path.key}`))),
  list_files_api_v2_sessions__session_id__files_list_files_post: ({ body, path }) =>
    sessions.withSession(path.session_id, (r) =>
      Effect.sync(() => {
        const dir = String(body?.path ?? "~/Downloads").replace(/\/+$/, "")
        const max = body?.max_entries ?? 500
        const entries = Array.from(r.extras.files.entries())
          .filter(([p]) => p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes("/"))
          .filter(([p]) => body?.name_after == null || p.slice(dir.length + 1) > body.name_after)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([p, f]) => ({
            name: p.slice(dir.length + 1),
            path: p,
            size_bytes: f.content.length,
            modified_at: iso(f.modifiedAt)!,
            is_dir: false
          }))
        return json(200, { path: dir, files: entries.slice(0, max), truncated: entries.length > max })
      })),
  read_file_api_v2_sessions__session_id__files_read_file_post: ({ body, path }) =>
    sessions.withSession(path.session_id, (r) =>
      Effect.sync(() => {
        const f = r.extras.files.get(body.path)
        if (f === undefined) return notFound(`File '${body.path}'`)
        return json(200, {
          path: body.path,
          content_base64: Buffer.from(f.content).toString("base64"),
          size_bytes: f.content.length,
          modified_at: iso(f.modifiedAt)
        })
      })),
  write_file_api_v2_sessions__session_id__files_write_file_post: ({ body, path }) =>
    sessions.withSession(path.session_id, (r) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const content = new Uint8Array(Buffer.from(String(body.content_base64), "base64"))
        r.extras.files.set(body.path, { content, modifiedAt: now })
        return json(200, { path: body.path, size_bytes: content.length })
      }))
})
