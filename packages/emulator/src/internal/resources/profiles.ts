/**
 * Browser profiles: the two-step upload, defaults per browser flavour.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { Handlers } from "../handlers.js"
import { empty, json, notFound } from "../reply.js"
import * as Table from "../table.js"
import { ORG, USER } from "./org.js"

type Profile = Record<string, any>

const view = (row: Table.Row<Profile>) => ({
  ...row.value,
  created_at: Table.iso(row.createdAt),
  updated_at: Table.iso(row.updatedAt)
})

/** @internal */
export const make = (nextId: () => string): Handlers<
  | "list_browser_profiles_api_v2_browser_profiles_get"
  | "initiate_browser_profile_upload_api_v2_browser_profiles_initiate_upload_post"
  | "complete_browser_profile_upload_api_v2_browser_profiles__profile_id__complete_upload_post"
  | "get_default_browser_profile_api_v2_browser_profiles_default_get"
  | "set_default_browser_profile_api_v2_browser_profiles__profile_id__default_put"
  | "unset_default_browser_profile_api_v2_browser_profiles__profile_id__default_delete"
  | "get_browser_profile_api_v2_browser_profiles__profile_id__get"
  | "delete_browser_profile_api_v2_browser_profiles__profile_id__delete"
> => {
  const profiles = Table.make<Profile>()
  const uploads = new Set<string>()

  const setDefault = (id: string, value: boolean) =>
    Effect.gen(function*() {
      const row = profiles.get(id)
      if (row === undefined) return notFound("Browser profile")
      if (value) {
        for (const other of profiles.rows()) {
          if (other.value.browser_name === row.value.browser_name && other.value.is_default === true) {
            yield* profiles.put(other.value.id, { ...other.value, is_default: false })
          }
        }
      }
      return json(200, view(yield* profiles.put(id, { ...row.value, is_default: value })))
    })

  return {
    list_browser_profiles_api_v2_browser_profiles_get: ({ query }) =>
      Effect.sync(() => {
        const all = Table.sortRows(profiles.rows(), undefined, (p) => p.id).map(view)
        return json(200, {
          total: all.length,
          limit: query.limit,
          offset: query.offset,
          profiles: all.slice(query.offset, query.offset + query.limit)
        })
      }),
    initiate_browser_profile_upload_api_v2_browser_profiles_initiate_upload_post: () =>
      Effect.sync(() => {
        const id = nextId()
        uploads.add(id)
        return json(200, {
          profile_id: id,
          upload_url: `https://uploads.emulator.local/browser-profiles/${id}`,
          upload_fields: { key: `browser-profiles/${id}.tar.gz` },
          upload_expires_in: 3600
        })
      }),
    complete_browser_profile_upload_api_v2_browser_profiles__profile_id__complete_upload_post: ({ body, path }) =>
      Effect.gen(function*() {
        if (!uploads.delete(path.profile_id)) return notFound("Upload")
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
        return json(201, view(row))
      }),
    get_default_browser_profile_api_v2_browser_profiles_default_get: ({ query }) =>
      Effect.sync(() => {
        const row = profiles.rows().find((r) =>
          r.value.browser_name === query.browser_name && r.value.is_default === true
        )
        return row === undefined ? notFound("Default browser profile") : json(200, view(row))
      }),
    set_default_browser_profile_api_v2_browser_profiles__profile_id__default_put: ({ path }) =>
      setDefault(path.profile_id, true),
    unset_default_browser_profile_api_v2_browser_profiles__profile_id__default_delete: ({ path }) =>
      setDefault(path.profile_id, false),
    get_browser_profile_api_v2_browser_profiles__profile_id__get: ({ path }) =>
      Effect.sync(() => {
        const row = profiles.get(path.profile_id)
        return row === undefined ? notFound("Browser profile") : json(200, view(row))
      }),
    delete_browser_profile_api_v2_browser_profiles__profile_id__delete: ({ path }) =>
      Effect.sync(() => profiles.remove(path.profile_id) ? empty(204) : notFound("Browser profile"))
  }
}
