import { assert, describe, layer } from "@effect/vitest"
import * as HaiAgents from "@hai-effect/core/HaiAgents"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Effect } from "effect"
import * as FakeApi from "./support/FakeApi.js"
import { EmulatorLive, hai } from "./support/Harness.js"

const client = HaiAgents.make({ apiKey: "hk-emulator", baseUrl: "http://emulator.local" })

/** A session that works for a long time, created outside any uninterruptible region. */
const longSession = Effect.gen(function*() {
  const emulator = yield* Emulator.Emulator
  yield* emulator.registerScenario("h/web-environment", [Scenario.think("30 seconds")])
  const api = yield* client
  return yield* api.sessions.create({ agent: "h/web-environment", messages: "Browse for a long time" })
})

describe("hai sessions", () => {
  layer(EmulatorLive, { excludeTestServices: true })((it) => {
    it.effect("list, get, status, events and watch a finished session", () =>
      Effect.gen(function*() {
        const run = yield* hai(["run", "Find the weather in Paris", "--json"])
        assert.strictEqual(run.code, 0, run.stderr)
        const id = run.json()[0].id as string

        const list = yield* hai(["sessions", "list"])
        assert.strictEqual(list.code, 0, list.stderr)
        assert.match(list.stdout, /^ID\s+STATUS\s+AGENT\s+CREATED\s+TASK/)
        assert.include(list.stdout, id)
        assert.include(list.stdout, "Find the weather in Paris")

        const filtered = yield* hai(["sessions", "list", "--status", "completed", "--size", "5", "--json"])
        assert.strictEqual(filtered.code, 0, filtered.stderr)
        const page = filtered.json()[0]
        assert.isTrue(page.items.every((s: any) => s.status === "completed"))
        assert.isTrue(page.items.some((s: any) => s.id === id))

        const none = yield* hai(["sessions", "list", "--status", "failed", "--search", "weather"])
        assert.strictEqual(none.stdout.trim(), "No sessions.")

        const get = yield* hai(["sessions", "get", id])
        assert.match(get.stdout, new RegExp(`id:\\s+${id}`))
        assert.match(get.stdout, /status:\s+completed/)
        const getJson = (yield* hai(["--json", "sessions", "get", id])).json()[0]
        assert.strictEqual(getJson.id, id)

        const status = (yield* hai(["sessions", "status", id, "--json"])).json()[0]
        assert.strictEqual(status.status, "completed")

        const events = yield* hai(["sessions", "events", id, "--size", "3"])
        assert.strictEqual(events.code, 0, events.stderr)
        assert.strictEqual(events.stdout.trim().split("\n").length, 3)

        const watch = yield* hai(["sessions", "watch", id, "--from", "2", "--json"])
        assert.strictEqual(watch.code, 0, watch.stderr)
        const lines = watch.json()
        assert.strictEqual(lines[0].index, 2)
        assert.deepStrictEqual(lines[lines.length - 1], { type: "settled", status: "completed", outcome: "success" })
      }))

    it.effect("watch follows a live session until it settles", () =>
      Effect.gen(function*() {
        const api = yield* client
        const session = yield* api.sessions.create({ agent: "h/web-surfer-holo3-1-35b", messages: "Live" })
        const watch = yield* hai(["sessions", "watch", session.id])
        assert.strictEqual(watch.code, 0, watch.stderr)
        assert.match(watch.stdout, /^#0 /)
        assert.match(watch.stderr, /settled: completed/)
      }))

    it.effect("send, pause, resume, force-answer, share, unshare, cancel", () =>
      Effect.gen(function*() {
        const session = yield* longSession
        const id = session.id
        for (
          const [args, expected] of [
            [["send", id, "Only the last 24 hours"], `Sent to ${id}.`],
            [["pause", id], `Paused ${id}.`],
            [["resume", id], `Resumed ${id}.`],
            [["force-answer", id], `Asked for an answer from ${id}.`]
          ] as const
        ) {
          const r = yield* hai(["sessions", ...args])
          assert.strictEqual(r.code, 0, r.stderr)
          assert.strictEqual(r.stdout.trim(), expected)
        }
        const share = yield* hai(["sessions", "share", id])
        assert.strictEqual(share.code, 0, share.stderr)
        assert.match(share.stdout.trim(), /^https?:\/\//)
        const unshare = (yield* hai(["sessions", "unshare", id, "--json"])).json()[0]
        assert.deepStrictEqual(unshare, { id, action: "unshare", ok: true })
        const cancel = yield* hai(["sessions", "cancel", id])
        assert.strictEqual(cancel.stdout.trim(), `Cancelled ${id}.`)
        const emulator = yield* Emulator.Emulator
        const stats = yield* emulator.stats
        assert.strictEqual(stats.requestsByRoute["DELETE /api/v2/sessions/{id}"], 1)
        assert.strictEqual(stats.requestsByRoute["POST /api/v2/sessions/{id}/messages"], 1)
      }))

    it.effect("share prints an absolute URL when the API answers with a path", () =>
      Effect.gen(function*() {
        const id = "0b9e3b2a-3c1e-4a55-9d7e-6f2b0c1d2e3f"
        const api = FakeApi.make(() => ({ status: 200, body: { share_url: `/share/${id}` } }))
        const env = { HAI_API_KEY: "hk-emulator", HAI_API_BASE_URL: "https://agp.hcompany.ai/api-proxy/" }
        const text = yield* hai(["sessions", "share", id], { env, httpClient: api.client })
        assert.strictEqual(text.code, 0, text.stderr)
        assert.strictEqual(text.stdout, `https://agp.hcompany.ai/share/${id}\n`)
        const json = yield* hai(["sessions", "share", id, "--json"], { env, httpClient: api.client })
        assert.deepStrictEqual(json.json(), [{ id, share_url: `https://agp.hcompany.ai/share/${id}` }])
        assert.deepStrictEqual(api.calls, [
          `POST /api-proxy/api/v2/sessions/${id}/share`,
          `POST /api-proxy/api/v2/sessions/${id}/share`
        ])
      }))

    it.effect("a message to a finished session is an error whose hint names `hai sessions status`", () =>
      Effect.gen(function*() {
        const run = yield* hai(["run", "Find the weather in Paris", "--json"])
        const id = run.json()[0].id as string
        const r = yield* hai(["sessions", "send", id, "And in Lyon?"])
        assert.strictEqual(r.code, 1)
        assert.match(r.stderr, /\(409\)/)
        assert.include(r.stderr, "Hint: The session is not in a state that allows this; `hai sessions status ID`")
      }))

    it.effect("an unknown session is an error with a hint", () =>
      Effect.gen(function*() {
        const r = yield* hai(["sessions", "get", "00000000-0000-4000-8000-000000000000"])
        assert.strictEqual(r.code, 1)
        assert.match(r.stderr, /^Error: GET \S+ found nothing \(404\)/)
        assert.include(r.stderr, "Hint: Check the id; `hai sessions list` shows recent sessions.")
        assert.strictEqual(r.stdout, "")
      }))
  })
})
