/**
 * What hangs off a session besides its run: feedback, share links, the resources it owns
 * (screenshots, attachments) and the files of its environment.
 *
 * @internal
 */
import * as Clock from "effect/Clock"
import * as Effect from "effect/Effect"
import type { Handlers } from "../handlers.js"
import { bytes, empty, json, notFound } from "../reply.js"
import type { Sessions } from "../session/sessions.js"
import * as Table from "../table.js"

const base64 = (content: Uint8Array) => {
  let text = ""
  for (const b of content) text += String.fromCharCode(b)
  return btoa(text)
}

const unbase64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0))

/** @internal */
export const make = (sessions: Sessions): Handlers<
  | "submit_session_feedback_api_v2_sessions__id__feedback_post"
  | "submit_event_feedback_api_v2_sessions__id__events__event_index__feedback_put"
  | "share_session_api_v2_sessions__id__share_post"
  | "unshare_session_api_v2_sessions__id__share_delete"
  | "get_session_resource_api_v2_sessions__id__resources__bucket___key__get"
  | "list_files_api_v2_sessions__session_id__files_list_files_post"
  | "read_file_api_v2_sessions__session_id__files_read_file_post"
  | "write_file_api_v2_sessions__session_id__files_write_file_post"
> => ({
  submit_session_feedback_api_v2_sessions__id__feedback_post: ({ body, path }) =>
    sessions.withSession(path.id, (r) =>
      Effect.sync(() => {
        r.extras.feedback.push({ ...body })
        return empty(204)
      })),
  submit_event_feedback_api_v2_sessions__id__events__event_index__feedback_put: ({ body, path }) =>
    sessions.withSession(path.id, (r) =>
      Effect.sync(() => {
        if (path.event_index < 0 || path.event_index >= r.state.events.length) return notFound("Event")
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
  // The hosted API redirects to a presigned URL; its bytes are what a client ends up with.
  get_session_resource_api_v2_sessions__id__resources__bucket___key__get: ({ path }) =>
    sessions.withSession(path.id, (r) =>
      Effect.sync(() => {
        const resource = r.extras.resources.get(`${path.bucket}/${path.key}`)
        return resource === undefined
          ? notFound(`Resource ${path.bucket}/${path.key}`)
          : bytes(resource.content, resource.mediaType)
      })),
  list_files_api_v2_sessions__session_id__files_list_files_post: ({ body, path }) =>
    sessions.withSession(path.session_id, (r) =>
      Effect.sync(() => {
        const dir = String(body?.path ?? "~/Downloads").replace(/\/+$/, "")
        const max = body?.max_entries ?? 500
        const after = body?.name_after
        const entries = Array.from(r.extras.files.entries())
          .filter(([p]) => p.startsWith(`${dir}/`) && !p.slice(dir.length + 1).includes("/"))
          .filter(([p]) => after == null || p.slice(dir.length + 1) > after)
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([p, f]) => ({
            name: p.slice(dir.length + 1),
            path: p,
            size_bytes: f.content.length,
            modified_at: Table.iso(f.modifiedAt)!,
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
          content_base64: base64(f.content),
          size_bytes: f.content.length,
          modified_at: Table.iso(f.modifiedAt)
        })
      })),
  write_file_api_v2_sessions__session_id__files_write_file_post: ({ body, path }) =>
    sessions.withSession(path.session_id, (r) =>
      Effect.map(Clock.currentTimeMillis, (now) => {
        const content = unbase64(String(body.content_base64))
        r.extras.files.set(body.path, { content, modifiedAt: now })
        return json(200, { path: body.path, size_bytes: content.length })
      }))
})
