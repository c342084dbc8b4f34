/**
 * The org's token credit: every step spends tokens; with a limit set, a session that finds none
 * left fails with `insufficient_credit`. `GET /quota/tokens` reports it.
 *
 * @internal
 */
import * as Effect from "effect/Effect"
import type { Handlers } from "../handlers.js"
import { json } from "../reply.js"

/** @internal */
export const make = (limit: number | undefined) => {
  let used = 0
  const spend = (tokens: number) => {
    if (limit !== undefined && used + tokens > limit) return false
    used += tokens
    return true
  }
  const handlers: Handlers<"get_token_quota_api_v2_quota_tokens_get"> = {
    get_token_quota_api_v2_quota_tokens_get: () =>
      Effect.sync(() =>
        json(200, {
          limit: limit ?? null,
          used,
          remaining: limit === undefined ? null : Math.max(0, limit - used),
          window_start: new Date(0).toISOString(),
          window_end: null
        })
      )
  }
  return { spend, handlers }
}
