import * as HttpClient from "@effect/platform/HttpClient"
import * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { assert, describe, it, layer } from "@effect/vitest"
import * as Emulator from "@hai-effect/emulator/Emulator"
import { Effect, Fiber } from "effect"
import * as Fs from "node:fs"
import * as Path from "node:path"
import * as Render from "../src/Render.js"
import { EmulatorLive, hai, tempDir } from "./support/Harness.js"

describe("hai run", () => {
  layer(EmulatorLive, { excludeTestServices: true })((it) => {
    it.effect("runs an agent and prints the answer", () =>
      Effect.gen(function*() {
        const r = yield* hai(["run", "Find the top story on Hacker News"])
        assert.strictEqual(r.code, 0, r.stderr)
        assert.match(r.stderr, /Session [0-9a-f-]{36}/)
        assert.match(r.stderr, /AgentEvent\/observation_event/)
        assert.notInclude(r.stderr, "Interrupted")
        assert.isAbove(r.stdout.trim().length, 0)
      }))

    it.effect("--json prints one JSON object per line", () =>
      Effect.gen(function*() {
        const r = yield* hai(["run", "Find jobs", "--json", "--max-steps", "5"])
        assert.strictEqual(r.code, 0, r.stderr)
        const lines = r.json()
        assert.strictEqual(lines[0].type, "session")
        assert.isTrue(lines.some((l) => l.type === "event"))
        const result = lines[lines.length - 1]
        assert.strictEqual(result.type, "result")
        assert.include(["idle", "completed"], result.status)
        const emulator = yield* Emulator.Emulator
        const session = yield* emulator.session(lines[0].id)
        assert.isTrue(session._tag === "Some")
        if (session._tag === "Some") assert.strictEqual(session.value.request.max_steps, 5)
      }))

    it.effect("--answer-schema and -o overrides reach the request; the answer is parsed", () =>
      Effect.gen(function*() {
        const dir = tempDir()
        const file = Path.join(dir, "schema.json")
        Fs.writeFileSync(
          file,
          JSON.stringify({
            type: "object",
            properties: { title: { type: "string" } },
            required: ["title"]
          })
        )
        const r = yield* hai([
          "run",
          "Top story",
          "--json",
          "--answer-schema",
          file,
          "-o",
          "agent.environments[kind=web].start_url=https://news.ycombinator.com"
        ])
        assert.strictEqual(r.code, 0, r.stderr)
        const lines = r.json()
        const result = lines[lines.length - 1]
        assert.strictEqual(typeof result.answer, "object")
        assert.strictEqual(typeof result.answer.title, "string")
        const emulator = yield* Emulator.Emulator
        const session = yield* emulator.session(lines[0].id)
        if (session._tag === "None") return assert.fail("no session")
        const overrides = session.value.request.overrides as Record<string, unknown>
        assert.strictEqual(overrides["agent.environments[kind=web].start_url"], "https://news.ycombinator.com")
        assert.deepStrictEqual((overrides["agent.answer_format"] as any).required, ["title"])
      }))

    it.effect("on a TTY shows a spinner line and one line per event", () =>
      Effect.gen(function*() {
        const r = yield* hai(["run", "Spin"], { stderrTTY: true })
        assert.strictEqual(r.code, 0, r.stderr)
        assert.include(r.stderr, "\r\x1b[2K")
        assert.match(r.stderr, /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] (pending|running|queued)/)
        assert.match(r.stderr, /\x1b\[2K\s+\d+ AgentEvent/)
      }))

    it.effect("an invalid override is an error with a hint", () =>
      Effect.gen(function*() {
        const r = yield* hai(["run", "x", "-o", "nonsense"])
        assert.strictEqual(r.code, 1)
        assert.match(r.stderr, /^Error: Invalid override "nonsense"/)
        assert.match(r.stderr, /Hint: /)
      }))

    it.effect("a 422 is printed as loc: msg lines", () =>
      Effect.gen(function*() {
        const unprocessable = HttpClient.make((request) =>
          Effect.succeed(HttpClientResponse.fromWeb(
            request,
            new Response(
              JSON.stringify({
                detail: [
                  { loc: ["body", "max_steps"], msg: "Input should be greater than 0", type: "greater_than" },
                  { loc: ["body", "agent"], msg: "Field required", type: "missing" }
                ]
              }),
              { status: 422, headers: { "content-type": "application/json" } }
            )
          ))
        )
        const r = yield* hai(["run", "x"], { httpClient: unprocessable })
        assert.strictEqual(r.code, 1)
        assert.match(r.stderr, /^Error: POST \S+\/api\/v2\/sessions was rejected as invalid \(422\):\n/)
        assert.include(r.stderr, "\n  body.max_steps: Input should be greater than 0\n  body.agent: Field required\n")
      }))

    it.effect("an unknown agent's hint names `hai agents list`", () =>
      Effect.gen(function*() {
        const r = yield* hai(["run", "x", "--agent", "h/no-such-agent"])
        assert.strictEqual(r.code, 1)
        assert.match(r.stderr, /^Error: POST \S+\/api\/v2\/sessions found nothing \(404\)/)
        assert.match(r.stderr, /\nHint: .*`hai agents list`/)
        assert.notInclude(r.stderr, "hai sessions list")
        const get = yield* hai(["agents", "get", "h/no-such-agent"])
        assert.match(get.stderr, /\nHint: .*`hai agents list`/)
      }))

    it.effect("--help shows the agent used when --agent is not given", () =>
      Effect.gen(function*() {
        const r = yield* hai(["run", "--help"])
        assert.strictEqual(r.code, 0, r.stderr)
        assert.match(r.stdout, /--agent text\n\n {2}Agent name \(default: h\/web-surfer-holo3-1-35b;/)
      }))

    it.effect("each event is printed by the session's watcher before it asks for the next ones", () =>
      Effect.gen(function*() {
        // A reader of its own would print behind the watcher: an event could still be unprinted
        // when the next round is requested, or when the session settles.
        const capture = Render.capture()
        const emulator = yield* HttpClient.HttpClient
        const printedAtRequest: Array<{ readonly from: number; readonly printed: number }> = []
        const watched = HttpClient.make((request, url) => {
          if (url.pathname.endsWith("/changes")) {
            const printed = capture.stderr().split("\n").filter((l) => /^\s+\d+ /.test(l)).length
            printedAtRequest.push({ from: Number(url.searchParams.get("from_index")), printed })
          }
          return emulator.execute(request)
        })
        const r = yield* hai(["run", "Read the front page"], { capture, httpClient: watched })
        assert.strictEqual(r.code, 0, r.stderr)
        assert.isAbove(printedAtRequest.length, 2)
        for (const { from, printed } of printedAtRequest) {
          assert.strictEqual(printed, from, JSON.stringify(printedAtRequest))
        }
      }))

    it.effect("a value the client refuses is reported before sending", () =>
      Effect.gen(function*() {
        const r = yield* hai(["run", "x", "--max-steps", "-3"])
        assert.strictEqual(r.code, 1)
        assert.match(r.stderr, /^Error: .*max_steps/)
      }))
  })

  // The emulator does not interrupt a running session on DELETE yet (its agent fiber is forked
  // uninterruptible), so this test scripts the API with a fake HttpClient and records the calls.
  it.live("interrupting the run (Ctrl-C) cancels the remote session", () =>
    Effect.gen(function*() {
      const calls: Array<string> = []
      const id = "0b9e3b2a-3c1e-4a55-9d7e-6f2b0c1d2e3f"
      const json = (request: any, status: number, body?: unknown) =>
        HttpClientResponse.fromWeb(
          request,
          body === undefined
            ? new Response(null, { status })
            : new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json" } })
        )
      const fake = HttpClient.make((request, url) =>
        Effect.gen(function*() {
          calls.push(`${request.method} ${url.pathname}`)
          if (request.method === "POST" && url.pathname === "/api/v2/sessions") {
            return json(request, 201, {
              id,
              request: { agent: "h/web-surfer-holo3-1-35b", messages: "x" },
              status: { status: "running" },
              created_at: new Date().toISOString()
            })
          }
          if (url.pathname.endsWith("/changes")) {
            yield* Effect.sleep("50 millis")
            return json(request, 204)
          }
          if (url.pathname.endsWith("/status")) return json(request, 200, { status: "running" })
          if (request.method === "DELETE") return json(request, 204)
          return json(request, 404, { detail: "not found" })
        })
      )
      const capture = Render.capture()
      const fiber = yield* Effect.fork(
        hai(["run", "A long task"], { capture }).pipe(Effect.provideService(HttpClient.HttpClient, fake))
      )
      while (!calls.some((c) => c.endsWith("/changes"))) yield* Effect.sleep("10 millis")
      yield* Fiber.interrupt(fiber)
      assert.include(calls, `DELETE /api/v2/sessions/${id}`)
      assert.include(capture.stderr(), `Interrupted: cancelling session ${id}.`)
    }))
})
