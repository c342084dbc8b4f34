import { assert, describe, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { call, createSession, noViolations, testLayer } from "./utils.js"

describe("resources", () => {
  it.effect("agents: catalog, CRUD, resolve; inline environments", () =>
    Effect.gen(function*() {
      const list = yield* call("GET", "/api/v2/agents?size=100")
      assert.include(list.body.items.map((a: any) => a.name), "h/web-surfer-holo3-1-35b")
      const one = yield* call("GET", "/api/v2/agents/h%2Fweb-surfer-holo3-1-35b")
      assert.strictEqual(one.status, 200, JSON.stringify(one.body))
      const raw = yield* call("GET", "/api/v2/agents/h/web-surfer-holo3-1-35b")
      assert.strictEqual(raw.body.name, "h/web-surfer-holo3-1-35b")
      const env = yield* call("POST", "/api/v2/environments", {
        body: { id: "my-web", kind: "web", start_url: "https://x" }
      })
      assert.strictEqual(env.status, 201)
      const agent = { name: "my-agent", description: "mine", environments: ["my-web"] }
      assert.strictEqual((yield* call("POST", "/api/v2/agents", { body: agent })).status, 201)
      assert.strictEqual((yield* call("POST", "/api/v2/agents", { body: agent })).status, 409)
      const resolved = yield* call("GET", "/api/v2/agents/my-agent?resolve=true")
      assert.strictEqual(resolved.body.environments[0].start_url, "https://x")
      const patched = yield* call("PATCH", "/api/v2/agents/my-agent", { body: { instructions: "be nice" } })
      assert.strictEqual(patched.body.instructions, "be nice")
      const put = yield* call("PUT", "/api/v2/agents/my-agent", { body: { ...agent, description: "new" } })
      assert.strictEqual(put.body.description, "new")
      const session = yield* createSession({ agent: "my-agent", messages: "hi" })
      assert.strictEqual(session.status, 201)
      assert.strictEqual((yield* call("DELETE", "/api/v2/agents/my-agent")).status, 204)
      assert.strictEqual((yield* call("GET", "/api/v2/agents/my-agent")).status, 404)
      // The built-in "web" environment and the one made above.
      const envs = yield* call("GET", "/api/v2/environments?kind=web")
      assert.deepStrictEqual(envs.body.items.map((e: any) => e.id).sort(), ["my-web", "web"])
      const missingKind = yield* call("POST", "/api/v2/environments", { body: { id: "e2" } })
      assert.strictEqual(missingKind.status, 422)
      assert.strictEqual(
        (yield* call("PATCH", "/api/v2/environments/my-web", { body: { headless: true } })).body.headless,
        true
      )
      assert.strictEqual((yield* call("DELETE", "/api/v2/environments/my-web")).status, 204)
      assert.deepStrictEqual(yield* noViolations, [])
    }).pipe(Effect.provide(testLayer())))

  it.effect("skills, browser profiles, vaults, schedules, token quota", () =>
    Effect.gen(function*() {
      const skill = { name: "s1", description: "d", body: "do it" }
      assert.strictEqual((yield* call("POST", "/api/v2/skills", { body: skill })).status, 201)
      assert.strictEqual((yield* call("GET", "/api/v2/skills?name=s1")).body.total, 1)
      assert.strictEqual((yield* call("PATCH", "/api/v2/skills/s1", { body: { body: "new" } })).body.body, "new")
      assert.strictEqual((yield* call("PUT", "/api/v2/skills/s1", { body: skill })).body.body, "do it")
      assert.strictEqual((yield* call("DELETE", "/api/v2/skills/s1")).status, 204)

      const init = yield* call("POST", "/api/v2/browser-profiles/initiate-upload")
      const pid = init.body.profile_id
      const done = yield* call("POST", `/api/v2/browser-profiles/${pid}/complete-upload`, {
        body: { name: "p", browser_name: "chromium", browser_version: "120" }
      })
      assert.strictEqual(done.status, 201)
      assert.strictEqual((yield* call("GET", "/api/v2/browser-profiles/default?browser_name=chromium")).status, 404)
      assert.isTrue((yield* call("PUT", `/api/v2/browser-profiles/${pid}/default`)).body.is_default)
      assert.strictEqual((yield* call("GET", "/api/v2/browser-profiles/default?browser_name=chromium")).body.id, pid)
      assert.isFalse((yield* call("DELETE", `/api/v2/browser-profiles/${pid}/default`)).body.is_default)
      assert.strictEqual((yield* call("GET", "/api/v2/browser-profiles")).body.total, 1)
      assert.strictEqual((yield* call("DELETE", `/api/v2/browser-profiles/${pid}`)).status, 204)

      const vault = yield* call("POST", "/api/v2/vaults", {
        body: { name: "v", provider_config: { provider: "onepassword", op_vault_id: "x" }, token: "t" }
      })
      assert.strictEqual(vault.status, 201)
      assert.isUndefined(vault.body.token)
      const vid = vault.body.id
      assert.strictEqual((yield* call("PUT", `/api/v2/vaults/${vid}/token`, { body: { token: "t2" } })).status, 204)
      assert.deepStrictEqual((yield* call("GET", `/api/v2/vaults/${vid}/health`)).body, { ok: true, error: null })
      assert.strictEqual((yield* call("PATCH", `/api/v2/vaults/${vid}`, { body: { name: "v2" } })).body.name, "v2")
      assert.strictEqual((yield* call("GET", "/api/v2/vaults")).body.total, 1)
      assert.strictEqual((yield* call("DELETE", `/api/v2/vaults/${vid}`)).status, 204)

      const schedule = yield* call("POST", "/api/v2/schedules", {
        body: {
          name: "daily",
          timing: { type: "cron", expression: "0 9 * * *", timezone: "Europe/Paris" },
          session_request: { agent: "h/web-surfer-holo3-1-35b", messages: "daily" }
        }
      })
      assert.strictEqual(schedule.status, 201)
      const sid = schedule.body.id
      assert.isTrue((yield* call("POST", `/api/v2/schedules/${sid}/pause`, { body: { note: "hold" } })).body.paused)
      assert.isFalse((yield* call("POST", `/api/v2/schedules/${sid}/resume`)).body.paused)
      const run = yield* call("POST", `/api/v2/schedules/${sid}/trigger`)
      assert.strictEqual(run.body.status, "created")
      assert.isString(run.body.session_id)
      assert.strictEqual((yield* call("GET", `/api/v2/schedules/${sid}/runs`)).body.total, 1)
      const bySchedule = yield* call("GET", `/api/v2/sessions?schedule_id=${sid}`)
      assert.deepStrictEqual(bySchedule.body.items.map((s: any) => s.id), [run.body.session_id])
      assert.strictEqual((yield* call("PATCH", `/api/v2/schedules/${sid}`, { body: { name: "d2" } })).body.name, "d2")
      assert.strictEqual((yield* call("DELETE", `/api/v2/schedules/${sid}`)).status, 204)
      yield* TestClock.adjust("3 seconds")
      const quota = yield* call("GET", "/api/v2/quota/tokens")
      assert.isAbove(quota.body.used, 0)
      assert.deepStrictEqual(yield* noViolations, [])
    }).pipe(Effect.provide(testLayer())))

  it.effect("session extras: share, feedback, files, resources", () =>
    Effect.gen(function*() {
      const { body } = yield* createSession({ agent: "h/web-surfer-holo3-1-35b", messages: "x" })
      const id = body.id
      const share = yield* call("POST", `/api/v2/sessions/${id}/share`)
      assert.match(share.body.share_url, /^https:\/\//)
      assert.strictEqual((yield* call("DELETE", `/api/v2/sessions/${id}/share`)).status, 204)
      assert.strictEqual(
        (yield* call("POST", `/api/v2/sessions/${id}/feedback`, { body: { success: true } })).status,
        204
      )
      assert.strictEqual(
        (yield* call("PUT", `/api/v2/sessions/${id}/events/0/feedback`, { body: { success: false } })).status,
        204
      )
      assert.strictEqual(
        (yield* call("PUT", `/api/v2/sessions/${id}/events/999/feedback`, { body: { success: false } })).status,
        404
      )
      const content = Buffer.from("hello").toString("base64")
      const written = yield* call("POST", `/api/v2/sessions/${id}/files/write_file`, {
        body: { path: "~/Downloads/a.txt", content_base64: content }
      })
      assert.deepStrictEqual(written.body, { path: "~/Downloads/a.txt", size_bytes: 5 })
      const listed = yield* call("POST", `/api/v2/sessions/${id}/files/list_files`, { body: {} })
      assert.strictEqual(listed.body.files[0].name, "a.txt")
      const read = yield* call("POST", `/api/v2/sessions/${id}/files/read_file`, {
        body: { path: "~/Downloads/a.txt" }
      })
      assert.strictEqual(read.body.content_base64, content)
      assert.strictEqual((yield* call("GET", `/api/v2/sessions/${id}/resources/screens/1.png`)).status, 404)
      assert.deepStrictEqual(yield* noViolations, [])
    }).pipe(Effect.provide(testLayer())))
})
