/**
 * `probe.mjs` as a Cloudflare Worker: the options come as text bindings, the result is the
 * response body.
 */
import { probe } from "./probe.mjs"

export default {
  async fetch(_request, env) {
    try {
      const result = await probe(env)
      return Response.json(result)
    } catch (error) {
      return new Response(String(error?.stack ?? error), { status: 500 })
    }
  }
}
