/**
 * Vault configs (secrets the agent signs in with, never shown back).
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { Handlers } from "../handlers.js"
import { empty, json, notFound } from "../reply.js"
import * as Table from "../table.js"
import { ORG } from "./org.js"

type Vault = Record<string, any>

const view = (row: Table.Row<Vault>) => ({
  id: row.value.id,
  org_id: ORG,
  name: row.value.name,
  provider_config: row.value.provider_config,
  created_at: Table.iso(row.createdAt),
  updated_at: Table.iso(row.updatedAt)
})

/** @internal */
export const make = (nextId: () => string): Handlers<
  | "create_vault_api_v2_vaults_post"
  | "list_vaults_api_v2_vaults_get"
  | "get_vault_api_v2_vaults__vault_id__get"
  | "update_vault_api_v2_vaults__vault_id__patch"
  | "delete_vault_api_v2_vaults__vault_id__delete"
  | "rotate_vault_token_api_v2_vaults__vault_id__token_put"
  | "vault_health_api_v2_vaults__vault_id__health_get"
> => {
  const vaults = Table.make<Vault>()
  return {
    create_vault_api_v2_vaults_post: ({ body }) =>
      Effect.suspend(() => {
        const id = nextId()
        return Effect.map(
          vaults.put(id, { id, name: body.name, provider_config: body.provider_config, token: body.token }),
          (row) => json(201, view(row))
        )
      }),
    list_vaults_api_v2_vaults_get: ({ query }) =>
      Effect.sync(() => {
        const all = Table.sortRows(vaults.rows(), undefined, (v) => v.id).map(view)
        return json(200, {
          total: all.length,
          limit: query.limit,
          offset: query.offset,
          vaults: all.slice(query.offset, query.offset + query.limit)
        })
      }),
    get_vault_api_v2_vaults__vault_id__get: ({ path }) =>
      Effect.sync(() => {
        const row = vaults.get(path.vault_id)
        return row === undefined ? notFound("Vault") : json(200, view(row))
      }),
    update_vault_api_v2_vaults__vault_id__patch: ({ body, path }) => {
      const row = vaults.get(path.vault_id)
      return row === undefined
        ? Effect.succeed(notFound("Vault"))
        : Effect.map(vaults.put(path.vault_id, { ...row.value, ...Table.stripNulls(body) }), (r) => json(200, view(r)))
    },
    delete_vault_api_v2_vaults__vault_id__delete: ({ path }) =>
      Effect.sync(() => vaults.remove(path.vault_id) ? empty(204) : notFound("Vault")),
    rotate_vault_token_api_v2_vaults__vault_id__token_put: ({ body, path }) => {
      const row = vaults.get(path.vault_id)
      return row === undefined
        ? Effect.succeed(notFound("Vault"))
        : Effect.as(vaults.put(path.vault_id, { ...row.value, token: body.token }), empty(204))
    },
    vault_health_api_v2_vaults__vault_id__health_get: ({ path }) =>
      Effect.sync(() => {
        const row = vaults.get(path.vault_id)
        if (row === undefined) return notFound("Vault")
        return json(
          200,
          String(row.value.token).length > 0 ? { ok: true, error: null } : { ok: false, error: "empty token" }
        )
      })
  }
}
