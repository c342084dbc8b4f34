/**
 * What goes on the wire besides the body: where requests go, how the client names itself, how
 * optional answers, discriminators and pages work, and where configuration comes from.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Chunk from "effect/Chunk"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Stream from "effect/Stream"
import * as fs from "node:fs"
import * as HaiAgents from "../src/HaiAgents.js"
import * as Wire from "../src/Wire.js"
import type { Fake, Sent } from "./support/fake.js"
import { call, empty, fake, json, SESSION_ID } from "./support/fake.js"
import { component, example } from "./support/spec.js"

const statusJson = { status: "running" }
const packageVersion: string = JSON.parse(
  fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")
).version

const statusOk = () => fake(() => json(200, statusJson))

describe("where requests go", () => {
  for (
    const [baseUrl, expected] of [
      ["https://proxy.test/hai/", "https://proxy.test/hai/api/v2/sessions/ID/status"],
      ["https://proxy.test/hai", "https://proxy.test/hai/api/v2/sessions/ID/status"],
      ["https://proxy.test/a/b//", "https://proxy.test/a/b/api/v2/sessions/ID/status"],
      ["http://localhost:8080", "http://localhost:8080/api/v2/sessions/ID/status"]
    ] as const
  ) {
    it.effect(`base URL ${baseUrl} keeps its path prefix`, () =>
      Effect.gen(function*() {
        const f = statusOk()
        yield* call(f, (hai) => hai.sessions.status(SESSION_ID), { baseUrl })
        assert.strictEqual(f.sent[0].url.toString(), expected.replace("ID", SESSION_ID))
      }))
  }

  it.effect("a URL object works as base URL", () =>
    Effect.gen(function*() {
      const f = statusOk()
      yield* call(f, (hai) => hai.sessions.status(SESSION_ID), { baseUrl: new URL("https://proxy.test/x/") })
      assert.strictEqual(f.sent[0].url.pathname, `/x/api/v2/sessions/${SESSION_ID}/status`)
    }))

  it.effect("EU is the default host", () =>
    Effect.gen(function*() {
      const f = statusOk()
      const hai = yield* call(f, (hai) => Effect.as(hai.sessions.status(SESSION_ID), hai), { baseUrl: undefined })
      assert.strictEqual(f.sent[0].url.origin, "https://agp.eu.hcompany.ai")
      assert.strictEqual(f.sent[0].url.pathname, `/api/v2/sessions/${SESSION_ID}/status`)
      assert.strictEqual(hai.options.environment, "eu")
    }))

  it.effect("environment: \"us\" goes to agp.hcompany.ai", () =>
    Effect.gen(function*() {
      const f = statusOk()
      const hai = yield* call(f, (hai) => Effect.as(hai.sessions.status(SESSION_ID), hai), {
        baseUrl: undefined,
        environment: "us"
      })
      assert.strictEqual(f.sent[0].url.origin, "https://agp.hcompany.ai")
      assert.strictEqual(hai.options.environment, "us")
    }))

  it.effect("a base URL wins over the environment", () =>
    Effect.gen(function*() {
      const f = statusOk()
      const hai = yield* call(f, (hai) => Effect.as(hai.sessions.status(SESSION_ID), hai), {
        baseUrl: "https://proxy.test/",
        environment: "us"
      })
      assert.strictEqual(f.sent[0].url.host, "proxy.test")
      assert.strictEqual(hai.options.environment, "custom")
    }))

  it.effect("path values are escaped", () =>
    Effect.gen(function*() {
      const f = fake(() => ({ status: 200, bytes: new Uint8Array([1]) }))
      yield* call(f, (hai) => hai.sessions.resource(SESSION_ID, "shots", "a b/c?.png"))
      assert.strictEqual(
        f.sent[0].url.pathname,
        `/api/v2/sessions/${SESSION_ID}/resources/shots/a%20b%2Fc%3F.png`
      )
      assert.strictEqual(f.sent[0].url.search, "")
    }))

  it.effect("query arrays are repeated keys; absent and null values are left out", () =>
    Effect.gen(function*() {
      const f = fake(() => json(200, { items: [], total: 0, page: 1 }))
      yield* call(f, (hai) =>
        hai.sessions.list({ status: ["running", "queued"], agent: null, search: undefined, page: 2 }))
      const params = f.sent[0].url.searchParams
      assert.deepStrictEqual(params.getAll("status"), ["running", "queued"])
      assert.isFalse(params.has("agent"))
      assert.isFalse(params.has("search"))
      assert.strictEqual(params.get("page"), "2")
    }))

  it.effect("booleans go as true/false", () =>
    Effect.gen(function*() {
      const f = fake(() => empty(204))
      yield* call(f, (hai) => hai.sessions.changes(SESSION_ID, { include_events: false, from_index: 0 }))
      assert.strictEqual(f.sent[0].url.searchParams.get("include_events"), "false")
      assert.strictEqual(f.sent[0].url.searchParams.get("from_index"), "0")
    }))
})

describe("identification headers", () => {
  const headersOf = (options?: Partial<HaiAgents.Options>) =>
    Effect.gen(function*() {
      const f = statusOk()
      yield* call(f, (hai) => hai.sessions.status(SESSION_ID), options)
      return f.sent[0].headers
    })

  it.effect("User-Agent and X-HCompany-Client-* are sent, with the package version", () =>
    Effect.gen(function*() {
      const headers = yield* headersOf()
      assert.strictEqual(headers["user-agent"], `hai-effect/${packageVersion}`)
      assert.strictEqual(headers["x-hcompany-client-name"], "hai-effect")
      assert.strictEqual(headers["x-hcompany-client-version"], packageVersion)
      assert.strictEqual(headers["x-hcompany-client-type"], "sdk")
      assert.strictEqual(headers["x-hcompany-client-language"], "typescript")
      assert.strictEqual(headers["x-hcompany-client-runtime"], "node")
      assert.strictEqual(headers["x-hcompany-client-runtime-version"], process.versions.node)
      assert.strictEqual(headers["accept"], "application/json")
    }))

  it("the exported sdkVersion is the package.json version", () => {
    assert.strictEqual(HaiAgents.sdkVersion, packageVersion)
  })

  it.effect("clientName names the client; extra headers are added", () =>
    Effect.gen(function*() {
      const headers = yield* headersOf({ clientName: "hai-cli", headers: { "X-Trace-Tag": "t1" } })
      assert.strictEqual(headers["x-hcompany-client-name"], "hai-cli")
      assert.strictEqual(headers["x-trace-tag"], "t1")
      assert.strictEqual(headers["x-hcompany-client-type"], "sdk")
    }))

  it.effect("extra headers cannot replace the key", () =>
    Effect.gen(function*() {
      const headers = yield* headersOf({ headers: { Authorization: "Bearer other" } })
      assert.strictEqual(headers["authorization"], "Bearer hk-SECRET-123")
    }))

  it.effect("transformClient wraps the client", () =>
    Effect.gen(function*() {
      let seen = 0
      const f = statusOk()
      yield* call(f, (hai) => hai.sessions.status(SESSION_ID), {
        transformClient: HttpClient.tapRequest(() => Effect.sync(() => seen++))
      })
      assert.strictEqual(seen, 1)
    }))
})

describe("answers", () => {
  it.effect("changes: 204 -> Option.none, 200 -> Option.some", () =>
    Effect.gen(function*() {
      const changes = { status: "running", new_events: [] }
      const f = fake((_, i) => i === 0 ? empty(204) : json(200, changes))
      const [none, some] = yield* call(f, (hai) =>
        Effect.zip(
          hai.sessions.changes(SESSION_ID, { from_index: 0 }),
          hai.sessions.changes(SESSION_ID, { from_index: 0 })
        ))
      assert.isTrue(Option.isNone(none))
      assert.isTrue(Option.isSome(some))
      if (Option.isSome(some)) {
        assert.instanceOf(some.value, Wire.SessionChanges)
        assert.strictEqual(some.value.status, "running")
      }
    }))

  it.effect("void operations accept an empty 202/204", () =>
    Effect.gen(function*() {
      const f = fake((s) => s.method === "DELETE" ? empty(204) : empty(202))
      const [a, b] = yield* call(
        f,
        (hai) => Effect.zip(hai.sessions.pause(SESSION_ID), hai.sessions.cancel(SESSION_ID))
      )
      assert.isUndefined(a)
      assert.isUndefined(b)
    }))

  it.effect("bytes come back untouched", () =>
    Effect.gen(function*() {
      const bytes = new Uint8Array([0, 255, 10, 13, 0x89, 0x50])
      const f = fake(() => ({ status: 200, bytes }))
      const got = yield* call(f, (hai) => hai.sessions.resource(SESSION_ID, "b", "k"))
      assert.deepStrictEqual(Array.from(got), Array.from(bytes))
    }))
})

describe("discriminators are always encoded", () => {
  const bodyOf = (sent: Sent) => JSON.parse(sent.body!)
  const accepted = () =>
    fake((s) => s.method === "POST" && s.url.pathname.endsWith("/messages") ? empty(202) : json(201, {}))

  it.effect("environments.create with a Browser body without kind sends kind: \"web\"", () =>
    Effect.gen(function*() {
      const f = accepted()
      yield* Effect.exit(call(f, (hai) => hai.environments.create({ id: "env-1" })))
      const body = bodyOf(f.sent[0])
      assert.strictEqual(body.kind, "web")
      assert.deepStrictEqual(component("Browser")(body), [])
    }))

  it.effect("environments.create with a Desktop body keeps kind: \"desktop\"", () =>
    Effect.gen(function*() {
      const f = accepted()
      yield* Effect.exit(call(f, (hai) => hai.environments.create({ id: "d", kind: "desktop", host: "user_device" })))
      const body = bodyOf(f.sent[0])
      assert.deepStrictEqual(body, { id: "d", kind: "desktop", host: "user_device" })
      assert.deepStrictEqual(component("Environment")(body), [])
    }))

  it.effect("sendMessages without type sends type: \"user_message\"", () =>
    Effect.gen(function*() {
      const f = accepted()
      yield* call(f, (hai) => hai.sessions.sendMessages(SESSION_ID, { message: "hi" }))
      assert.deepStrictEqual(bodyOf(f.sent[0]), { type: "user_message", message: "hi" })
    }))

  it.effect("a batch without type sends type: \"batch\" and typed messages", () =>
    Effect.gen(function*() {
      const f = accepted()
      yield* call(f, (hai) => hai.sessions.sendMessages(SESSION_ID, { messages: [{ message: "a" }] }))
      assert.deepStrictEqual(bodyOf(f.sent[0]), { type: "batch", messages: [{ type: "user_message", message: "a" }] })
    }))

  it.effect("vaults.create sends provider: \"onepassword\"", () =>
    Effect.gen(function*() {
      const f = accepted()
      yield* Effect.exit(
        call(f, (hai) => hai.vaults.create({ name: "v", provider_config: { op_vault_id: "abc" }, token: "t" }))
      )
      assert.strictEqual(bodyOf(f.sent[0]).provider_config.provider, "onepassword")
    }))

  it.effect("sendToolResults without kind sends kind: \"tool_result\"", () =>
    Effect.gen(function*() {
      const f = accepted()
      yield* Effect.exit(call(f, (hai) => hai.sessions.sendToolResults(SESSION_ID, { tool_req: { tool_name: "t" } })))
      assert.strictEqual(bodyOf(f.sent[0]).kind, "tool_result")
    }))

  it.effect("an agent with an inline environment encodes its kind", () =>
    Effect.gen(function*() {
      const f = accepted()
      yield* Effect.exit(
        call(
          f,
          (hai) => hai.sessions.create({ agent: { name: "a", description: "d", environments: [{ id: "web-1" }] } })
        )
      )
      assert.strictEqual(bodyOf(f.sent[0]).agent.environments[0].kind, "web")
    }))
})

describe("listAll streams pages lazily", () => {
  const summary = (i: number) => ({
    ...(example({ $ref: "#/components/schemas/SessionSummary" }) as object),
    id: `s${i}`
  })
  /** Pages of `size` summaries out of `total`. */
  const sessionPages = (total: number) =>
    fake((s) => {
      const page = Number(s.url.searchParams.get("page") ?? 1)
      const size = Number(s.url.searchParams.get("size") ?? 10)
      const from = (page - 1) * size
      const items = Array.from({ length: Math.max(0, Math.min(size, total - from)) }, (_, i) => summary(from + i))
      return json(200, { items, total, page })
    })
  const pagesAsked = (f: Fake) => f.sent.map((s) => s.url.searchParams.get("page"))

  it.effect("take(3) of 2-item pages makes 2 requests", () =>
    Effect.gen(function*() {
      const f = sessionPages(10)
      const items = yield* call(f, (hai) => Stream.runCollect(Stream.take(hai.sessions.listAll({ size: 2 }), 3)))
      assert.deepStrictEqual(Chunk.toReadonlyArray(items).map((s) => s.id), ["s0", "s1", "s2"])
      assert.deepStrictEqual(pagesAsked(f), ["1", "2"])
    }))

  it.effect("take(2) of 2-item pages makes 1 request", () =>
    Effect.gen(function*() {
      const f = sessionPages(10)
      yield* call(f, (hai) => Stream.runCollect(Stream.take(hai.sessions.listAll({ size: 2 }), 2)))
      assert.strictEqual(f.sent.length, 1)
    }))

  it.effect("building the stream sends nothing", () =>
    Effect.gen(function*() {
      const f = sessionPages(10)
      yield* call(f, (hai) => Effect.sync(() => hai.sessions.listAll({ size: 2 })))
      assert.strictEqual(f.sent.length, 0)
    }))

  it.effect("the walk stops at total", () =>
    Effect.gen(function*() {
      const f = sessionPages(4)
      const items = yield* call(f, (hai) => Stream.runCollect(hai.sessions.listAll({ size: 2 })))
      assert.strictEqual(Chunk.size(items), 4)
      assert.deepStrictEqual(pagesAsked(f), ["1", "2"])
    }))

  it.effect("a partial last page ends the walk", () =>
    Effect.gen(function*() {
      const f = sessionPages(5)
      const items = yield* call(f, (hai) => Stream.runCollect(hai.sessions.listAll({ size: 2 })))
      assert.strictEqual(Chunk.size(items), 5)
      assert.deepStrictEqual(pagesAsked(f), ["1", "2", "3"])
    }))

  it.effect("an empty page ends the walk even if total says more", () =>
    Effect.gen(function*() {
      const f = fake((s) => {
        const page = Number(s.url.searchParams.get("page"))
        return json(200, { items: page === 1 ? [summary(0), summary(1)] : [], total: 100, page })
      })
      const items = yield* call(f, (hai) => Stream.runCollect(hai.sessions.listAll({ size: 2 })))
      assert.strictEqual(Chunk.size(items), 2)
      assert.strictEqual(f.sent.length, 2)
    }))

  it.effect("starting from a later page counts from there", () =>
    Effect.gen(function*() {
      const f = sessionPages(6)
      const items = yield* call(f, (hai) => Stream.runCollect(hai.sessions.listAll({ size: 2, page: 2 })))
      assert.deepStrictEqual(Chunk.toReadonlyArray(items).map((s) => s.id), ["s2", "s3", "s4", "s5"])
      assert.deepStrictEqual(pagesAsked(f), ["2", "3"])
    }))

  it.effect("starting at the last, partial page makes one request", () =>
    Effect.gen(function*() {
      const f = sessionPages(5)
      const items = yield* call(f, (hai) => Stream.runCollect(hai.sessions.listAll({ size: 2, page: 3 })))
      assert.deepStrictEqual(Chunk.toReadonlyArray(items).map((s) => s.id), ["s4"])
      assert.deepStrictEqual(pagesAsked(f), ["3"], "asked past the end: page 3 of 5 items by 2 is the last")
    }))

  it.effect("other filters are kept on every page", () =>
    Effect.gen(function*() {
      const f = sessionPages(4)
      yield* call(f, (hai) => Stream.runCollect(hai.sessions.listAll({ size: 2, status: ["running"] })))
      for (const s of f.sent) assert.deepStrictEqual(s.url.searchParams.getAll("status"), ["running"])
    }))

  it.effect("offset style for vaults: offset advances by the items received, stops at total", () =>
    Effect.gen(function*() {
      const vault = (i: number) => ({
        ...(example({ $ref: "#/components/schemas/VaultConfigRead" }) as object),
        id: `v${i}`
      })
      const f = fake((s) => {
        const offset = Number(s.url.searchParams.get("offset") ?? 0)
        const limit = Number(s.url.searchParams.get("limit") ?? 50)
        const vaults = Array.from({ length: Math.max(0, Math.min(limit, 3 - offset)) }, (_, i) => vault(offset + i))
        return json(200, { total: 3, limit, offset, vaults })
      })
      const items = yield* call(f, (hai) => Stream.runCollect(hai.vaults.listAll({ limit: 2 })))
      assert.deepStrictEqual(Chunk.toReadonlyArray(items).map((v) => v.id), ["v0", "v1", "v2"])
      assert.deepStrictEqual(f.sent.map((s) => s.url.searchParams.get("offset")), ["0", "2"])
    }))

  it.effect("offset style for browser profiles, lazily", () =>
    Effect.gen(function*() {
      const profile = (i: number) => ({
        ...(example({ $ref: "#/components/schemas/BrowserProfileRead" }) as object),
        id: `p${i}`
      })
      const f = fake((s) => {
        const offset = Number(s.url.searchParams.get("offset") ?? 0)
        const limit = Number(s.url.searchParams.get("limit") ?? 50)
        const profiles = Array.from({ length: Math.max(0, Math.min(limit, 9 - offset)) }, (_, i) => profile(offset + i))
        return json(200, { total: 9, limit, offset, profiles })
      })
      const items = yield* call(
        f,
        (hai) => Stream.runCollect(Stream.take(hai.browserProfiles.listAll({ limit: 3 }), 4))
      )
      assert.deepStrictEqual(Chunk.toReadonlyArray(items).map((p: any) => p.id), ["p0", "p1", "p2", "p3"])
      assert.deepStrictEqual(f.sent.map((s) => s.url.searchParams.get("offset")), ["0", "3"])
    }))

  it.effect("an error on a later page fails the stream after the earlier items", () =>
    Effect.gen(function*() {
      const f = fake((s) =>
        s.url.searchParams.get("page") === "1"
          ? json(200, { items: [summary(0), summary(1)], total: 4, page: 1 })
          : json(404, { detail: "gone" })
      )
      const seen: Array<string> = []
      const exit = yield* Effect.exit(
        call(
          f,
          (hai) => Stream.runForEach(hai.sessions.listAll({ size: 2 }), (s) => Effect.sync(() => seen.push(s.id)))
        )
      )
      assert.deepStrictEqual(seen, ["s0", "s1"])
      assert.isTrue(Exit.isFailure(exit))
    }))
})

describe("layerConfig", () => {
  const run = (env: Record<string, string>, options?: Parameters<typeof HaiAgents.layerConfig>[0]) =>
    Effect.gen(function*() {
      const f = statusOk()
      const exit = yield* Effect.flatMap(HaiAgents.HaiAgents, (hai) => hai.sessions.status(SESSION_ID)).pipe(
        Effect.provide(
          HaiAgents.layerConfig(options).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, f.client)))
        ),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
        Effect.exit
      )
      return { exit, sent: f.sent }
    })

  it.effect("reads HAI_API_KEY", () =>
    Effect.gen(function*() {
      const { exit, sent } = yield* run({ HAI_API_KEY: "hk-from-env" })
      assert.isTrue(Exit.isSuccess(exit))
      assert.strictEqual(sent[0].headers["authorization"], "Bearer hk-from-env")
      assert.strictEqual(sent[0].url.origin, "https://agp.eu.hcompany.ai")
    }))

  it.effect("falls back to H_API_KEY", () =>
    Effect.gen(function*() {
      const { sent } = yield* run({ H_API_KEY: "hk-older" })
      assert.strictEqual(sent[0].headers["authorization"], "Bearer hk-older")
    }))

  it.effect("prefers HAI_API_KEY over H_API_KEY", () =>
    Effect.gen(function*() {
      const { sent } = yield* run({ HAI_API_KEY: "hk-new", H_API_KEY: "hk-old" })
      assert.strictEqual(sent[0].headers["authorization"], "Bearer hk-new")
    }))

  it.effect("reads HAI_API_BASE_URL, keeping its prefix", () =>
    Effect.gen(function*() {
      const { sent } = yield* run({ HAI_API_KEY: "hk-a", HAI_API_BASE_URL: "https://gw.test/agents/" })
      assert.strictEqual(sent[0].url.toString(), `https://gw.test/agents/api/v2/sessions/${SESSION_ID}/status`)
    }))

  it.effect("an explicit baseUrl option wins over HAI_API_BASE_URL", () =>
    Effect.gen(function*() {
      const { sent } = yield* run({ HAI_API_KEY: "hk-a", HAI_API_BASE_URL: "https://gw.test/" }, {
        baseUrl: "https://code.test/"
      })
      assert.strictEqual(sent[0].url.host, "code.test")
    }))

  it.effect("environment: \"us\" applies when no base URL is configured", () =>
    Effect.gen(function*() {
      const { sent } = yield* run({ HAI_API_KEY: "hk-a" }, { environment: "us" })
      assert.strictEqual(sent[0].url.host, "agp.hcompany.ai")
    }))

  it.effect("an empty HAI_API_BASE_URL counts as unset", () =>
    Effect.gen(function*() {
      const { exit, sent } = yield* run({ HAI_API_KEY: "hk-a", HAI_API_BASE_URL: "" })
      assert.isTrue(Exit.isSuccess(exit), "an empty HAI_API_BASE_URL= line broke the client")
      assert.strictEqual(sent[0]?.url.host, "agp.eu.hcompany.ai")
    }))

  it.effect("an empty HAI_API_KEY falls back to H_API_KEY instead of sending \"Bearer \"", () =>
    Effect.gen(function*() {
      const { sent } = yield* run({ HAI_API_KEY: "", H_API_KEY: "hk-old" })
      assert.strictEqual(sent[0]?.headers["authorization"], "Bearer hk-old")
    }))

  it.effect("no key: the layer fails with a ConfigError and sends nothing", () =>
    Effect.gen(function*() {
      const { exit, sent } = yield* run({})
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) assert.include(String(exit.cause), "HAI_API_KEY")
      assert.strictEqual(sent.length, 0)
    }))
})
