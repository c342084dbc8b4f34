/**
 * What goes on the wire besides the body: where requests go, how the client names itself, how
 * optional answers, discriminators and pages work, and where configuration comes from.
 */
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import * as Cause from "effect/Cause"
import * as Chunk from "effect/Chunk"
import * as ConfigError from "effect/ConfigError"
import * as ConfigProvider from "effect/ConfigProvider"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Fiber from "effect/Fiber"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as Stream from "effect/Stream"
import * as TestClock from "effect/TestClock"
import * as fs from "node:fs"
import * as util from "node:util"
import * as HaiAgents from "../src/HaiAgents.js"
import * as Endpoints from "../src/internal/endpoints.js"
import * as Transport from "../src/internal/transport.js"
import * as RetryPolicy from "../src/RetryPolicy.js"
import * as Wire from "../src/Wire.js"
import type { Fake, Sent } from "./support/fake.js"
import { call, empty, fake, json, SESSION_ID } from "./support/fake.js"
import { component, example } from "./support/spec.js"
import { recording } from "./support/tracer.js"

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

describe("a base URL that is not one (17.10)", () => {
  const pasted = "hk-PASTED-0123456789abcdef"
  const shows = (exit: Exit.Exit<unknown, unknown>) =>
    Exit.isFailure(exit)
      ? [Cause.pretty(exit.cause), String(exit.cause), util.inspect(exit.cause, { depth: 20, showHidden: true })]
        .some((text) => text.includes(pasted) || text.includes(pasted.slice(3)))
      : false
  const provide = (layer: Layer.Layer<HaiAgents.HaiAgents, unknown>, env: Record<string, string>) =>
    Effect.flatMap(HaiAgents.HaiAgents, (hai) => hai.sessions.status(SESSION_ID)).pipe(
      Effect.provide(layer),
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      Effect.exit
    )

  it.effect("a key pasted into HAI_API_BASE_URL: a ConfigError naming the setting, never the value", () =>
    Effect.gen(function*() {
      const f = statusOk()
      const exit = yield* provide(
        HaiAgents.layerConfig().pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, f.client))),
        { HAI_API_KEY: "hk-a", HAI_API_BASE_URL: pasted }
      )
      assert.isTrue(Exit.isFailure(exit))
      if (Exit.isFailure(exit)) {
        const error = Cause.failureOption(exit.cause)
        assert.isTrue(Option.isSome(error) && ConfigError.isConfigError(error.value), String(exit.cause))
        assert.include(String(exit.cause), "HAI_API_BASE_URL")
      }
      assert.isFalse(shows(exit), "the value shows")
      assert.strictEqual(f.sent.length, 0)
    }))

  it.effect("a URL that is not http(s) is refused too", () =>
    Effect.gen(function*() {
      const f = statusOk()
      const exit = yield* provide(
        HaiAgents.layerConfig().pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, f.client))),
        { HAI_API_KEY: "hk-a", HAI_API_BASE_URL: "ftp://files.test/" }
      )
      assert.isTrue(Exit.isFailure(exit) && Option.isSome(Cause.failureOption(exit.cause)))
    }))

  it.effect("a bad baseUrl option of layerConfig is a ConfigError too", () =>
    Effect.gen(function*() {
      const f = statusOk()
      const exit = yield* provide(
        HaiAgents.layerConfig({ baseUrl: pasted }).pipe(Layer.provide(Layer.succeed(HttpClient.HttpClient, f.client))),
        { HAI_API_KEY: "hk-a" }
      )
      assert.isTrue(Exit.isFailure(exit) && Option.isSome(Cause.failureOption(exit.cause)))
      assert.isFalse(shows(exit), "the value shows")
    }))

  it.effect("HaiAgents.layer with a bad baseUrl dies without showing it", () =>
    Effect.gen(function*() {
      const f = statusOk()
      const exit = yield* provide(
        HaiAgents.layer({ apiKey: "hk-a", baseUrl: pasted }).pipe(
          Layer.provide(Layer.succeed(HttpClient.HttpClient, f.client))
        ),
        {}
      )
      assert.isTrue(Exit.isFailure(exit))
      assert.isFalse(shows(exit), "the value shows")
    }))
})

describe("acknowledgements and unknown fields (14.5)", () => {
  for (const status of [200, 201, 202, 204]) {
    it.effect(`tool results and messages answered ${status} are delivered`, () =>
      Effect.gen(function*() {
        const f = fake(() => status === 204 ? empty(204) : json(status, { ok: true }))
        yield* call(f, (hai) =>
          Effect.zip(
            hai.sessions.sendToolResults(SESSION_ID, { tool_req: { tool_name: "t" }, result: 1 }),
            hai.sessions.sendMessages(SESSION_ID, { message: "hi" })
          ))
        assert.strictEqual(f.sent.length, 2)
      }))
  }

  it.effect("a body field the API does not know: InvalidRequest naming it, nothing sent", () =>
    Effect.gen(function*() {
      const f = fake(() => json(201, {}))
      const error = yield* call(f, (hai) => hai.sessions.create({ agent: "a", max_step: 3 } as any)).pipe(Effect.flip)
      assert.strictEqual(error._tag, "InvalidRequest")
      if (error._tag === "InvalidRequest") {
        assert.strictEqual(error.path, "max_step")
        assert.include(error.message, "max_step")
        assert.include(error.message, "not a field the API knows")
      }
      assert.strictEqual(f.sent.length, 0)
    }))

  it.effect("an unknown field deep in a body is named with its path", () =>
    Effect.gen(function*() {
      const f = fake(() => empty(202))
      const error = yield* call(f, (hai) =>
        hai.sessions.sendMessages(SESSION_ID, {
          type: "batch",
          messages: [{ message: "a" }, { message: "b", colour: "red" }]
        } as any)).pipe(Effect.flip)
      assert.strictEqual(error._tag, "InvalidRequest")
      if (error._tag === "InvalidRequest") assert.include(error.path, "colour")
      assert.strictEqual(f.sent.length, 0)
    }))

  it.effect("an unknown query parameter is refused the same way", () =>
    Effect.gen(function*() {
      const f = fake(() => empty(204))
      const error = yield* call(f, (hai) => hai.sessions.changes(SESSION_ID, { from_index: 0, wait_seconds: 5 } as any))
        .pipe(Effect.flip)
      assert.strictEqual(error._tag, "InvalidRequest")
      if (error._tag === "InvalidRequest") assert.strictEqual(error.path, "wait_seconds")
      assert.strictEqual(f.sent.length, 0)
    }))

  it.effect("records keep any key (overrides, metadata)", () =>
    Effect.gen(function*() {
      const f = fake(() => json(201, {}))
      yield* call(f, (hai) =>
        hai.sessions.create({ agent: "a", overrides: { "agent.environments[kind=web].start_url": "https://x" } }))
        .pipe(Effect.ignore)
      assert.strictEqual(f.sent.length, 1)
      assert.deepStrictEqual(JSON.parse(f.sent[0].body!).overrides, {
        "agent.environments[kind=web].start_url": "https://x"
      })
    }))
})

describe("a base URL that points at a web page (14.7)", () => {
  const page = {
    status: 200,
    text: "<!doctype html><html><body>Welcome</body></html>",
    headers: { "content-type": "text/html" }
  }
  const operations: ReadonlyArray<readonly [string, (hai: HaiAgents.Service) => Effect.Effect<unknown, any>]> = [
    ["GET", (hai) => hai.sessions.status(SESSION_ID)],
    ["POST create", (hai) => hai.sessions.create({ agent: "a" })],
    ["POST messages", (hai) => hai.sessions.sendMessages(SESSION_ID, { message: "hi" })],
    ["GET changes", (hai) => hai.sessions.changes(SESSION_ID, { from_index: 0 })]
  ]
  for (const [name, use] of operations) {
    it.effect(`${name} answered 200 with HTML says the body is not JSON and points at the base URL`, () =>
      Effect.gen(function*() {
        const f = fake(() => page)
        const error = yield* call(f, use, { retrySchedule: RetryPolicy.none }).pipe(Effect.flip)
        assert.strictEqual(error._tag, "DecodeError")
        assert.strictEqual(error.kind, "NotJson")
        assert.strictEqual(error.contentType, "text/html")
        assert.include(error.message, "not JSON")
        assert.include(error.message, "base URL")
        assert.notInclude(error.message, "Upgrade")
      }))
  }
})

describe("the long-poll seam (16.5)", () => {
  const endpoint = (longPoll: string | undefined) => ({
    ...Endpoints.sessions_changes,
    name: "test.hold",
    query: Schema.Struct({ hold: Schema.optional(Schema.Int), wait_for_seconds: Schema.optional(Schema.Int) }),
    longPoll
  })
  const runner = (f: Fake) =>
    Transport.makeRunner(f.client, {
      baseUrl: new URL("https://api.test"),
      apiKey: Redacted.make("hk-x"),
      timeout: Duration.seconds(5),
      longPollMargin: Duration.seconds(1),
      timeoutBy: "interrupt",
      retrySchedule: RetryPolicy.none,
      maxRetryAfter: Duration.seconds(60),
      retryBudget: Duration.minutes(2),
      maxBodyBytes: 1000,
      headers: {},
      httpSpans: false
    })
  const elapsedUntilTimeout = (longPoll: string | undefined, params: Record<string, unknown>) =>
    Effect.gen(function*() {
      const f = fake(() => ({ never: true }))
      const fiber = yield* Effect.fork(Effect.flip(runner(f)(endpoint(longPoll), [SESSION_ID], params, undefined)))
      for (let t = 1; t <= 60; t++) {
        yield* TestClock.adjust("1 second")
        if (Option.isSome(yield* Fiber.poll(fiber))) return t
      }
      return -1
    })

  it.effect("the endpoint names its hold parameter: that, and only that, lengthens the timeout", () =>
    Effect.gen(function*() {
      assert.strictEqual(yield* elapsedUntilTimeout("hold", { hold: 20 }), 21)
      // The same parameter on an endpoint that does not declare it is just a parameter.
      assert.strictEqual(yield* elapsedUntilTimeout(undefined, { hold: 20 }), 5)
      assert.strictEqual(yield* elapsedUntilTimeout("hold", { wait_for_seconds: 20 }), 5)
    }))

  it("sessions.changes declares wait_for_seconds", () => {
    assert.strictEqual(Endpoints.sessions_changes.longPoll, "wait_for_seconds")
    assert.isTrue(Endpoints.all.filter((e) => e.longPoll !== undefined).length === 1)
  })
})

describe("one span per call (16's performance target)", () => {
  const traced = (options?: Partial<HaiAgents.Options>, wrap = <A, E>(e: Effect.Effect<A, E>) => e) =>
    Effect.gen(function*() {
      const { spans, tracer } = recording()
      const f = statusOk()
      yield* wrap(call(f, (hai) => hai.sessions.status(SESSION_ID), options)).pipe(Effect.withTracer(tracer))
      return { spans, sent: f.sent }
    })

  it.effect("the operation's span carries the request and is what goes out in traceparent", () =>
    Effect.gen(function*() {
      const { sent, spans } = yield* traced()
      assert.deepStrictEqual(spans.map((s) => s.name), ["HaiAgents.sessions.status"])
      const { attributes, span } = spans[0]
      assert.strictEqual(attributes.get("http.request.method"), "GET")
      assert.strictEqual(attributes.get("url.path"), `/api/v2/sessions/${SESSION_ID}/status`)
      assert.strictEqual(attributes.get("server.address"), "api.test")
      assert.strictEqual(attributes.get("http.response.status_code"), 200)
      assert.strictEqual(attributes.get("hai.id"), SESSION_ID)
      assert.strictEqual(sent[0].headers["traceparent"], `00-${span.traceId}-${span.spanId}-01`)
      assert.isString(sent[0].headers["b3"])
    }))

  it.effect("propagation switched off by the caller's client: no trace headers", () =>
    Effect.gen(function*() {
      const { sent } = yield* traced({ transformClient: HttpClient.withTracerPropagation(false) })
      assert.isUndefined(sent[0].headers["traceparent"])
      assert.isUndefined(sent[0].headers["b3"])
    }))

  it.effect("with the tracer off: no trace headers, and the call works", () =>
    Effect.gen(function*() {
      const { sent, spans } = yield* traced(undefined, (e) => Effect.withTracerEnabled(e, false))
      assert.lengthOf(spans, 0)
      assert.isUndefined(sent[0].headers["traceparent"])
    }))

  it.effect("httpSpans: the platform's http.client span again, under the operation's", () =>
    Effect.gen(function*() {
      const { sent, spans } = yield* traced({ httpSpans: true })
      assert.deepStrictEqual(spans.map((s) => s.name).sort(), ["HaiAgents.sessions.status", "http.client GET"])
      const http = spans.find((s) => s.name === "http.client GET")!
      const operation = spans.find((s) => s.name === "HaiAgents.sessions.status")!
      assert.strictEqual(
        http.span.parent._tag === "Some" ? http.span.parent.value.spanId : undefined,
        operation.span.spanId
      )
      assert.strictEqual(sent[0].headers["traceparent"], `00-${http.span.traceId}-${http.span.spanId}-01`)
    }))

  it.effect("the unspanned operations leave the caller's span alone", () =>
    Effect.gen(function*() {
      const { spans, tracer } = recording()
      const f = statusOk()
      yield* call(f, (hai) => HaiAgents.unspannedOf(hai).sessions.status(SESSION_ID)).pipe(
        Effect.withSpan("caller"),
        Effect.withTracer(tracer)
      )
      assert.deepStrictEqual(spans.map((s) => s.name), ["caller"])
      assert.isFalse(spans[0].attributes.has("http.request.method"))
    }))
})
