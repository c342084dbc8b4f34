import { HttpClient } from "@effect/platform"
import { Effect, Layer } from "effect"
import { afterEach, beforeEach, describe, expect, it } from "vitest"
import { ConfigurationError, HaiClient, UnexpectedError } from "../src/index.js"

const withoutKeyEnv = () => {
  const saved: Record<string, string | undefined> = {}
  beforeEach(() => {
    for (const name of ["HAI_API_KEY", "H_API_KEY", "HAI_API_BASE_URL"]) {
      saved[name] = process.env[name]
      delete process.env[name]
    }
  })
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })
}

const rejection = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error)

/** Fails the test if `f` leaves an unhandled rejection behind. */
const noUnhandledRejection = async (f: () => unknown) => {
  const seen: Array<unknown> = []
  const listener = (reason: unknown) => void seen.push(reason)
  process.on("unhandledRejection", listener)
  try {
    f()
    await new Promise((resolve) => setTimeout(resolve, 50))
  } finally {
    process.off("unhandledRejection", listener)
  }
  expect(seen).toEqual([])
}

describe("HaiClient rejections are tagged Errors that say what to do", () => {
  withoutKeyEnv()

  it("no key anywhere: a ConfigurationError naming HAI_API_KEY and the apiKey option, from every kind of call", async () => {
    const client = new HaiClient({ baseUrl: "http://127.0.0.1:9" })
    const errors = [
      await rejection(client.sessions.quota()),
      await rejection(client.options()),
      await rejection(client.runSession({ agent: "a", messages: "m" })),
      await rejection((async () => {
        for await (const _ of client.sessions.listAll()) break
      })())
    ]
    for (const error of errors) {
      expect(error).toBeInstanceOf(Error)
      expect(error).toBeInstanceOf(ConfigurationError)
      const e = error as ConfigurationError
      expect(e._tag).toBe("ConfigurationError")
      expect(e.message).toContain("HAI_API_KEY")
      expect(e.message).toContain("apiKey")
    }
    await client.close()
  })

  it("a base URL that is not a URL is a ConfigurationError that does not echo it", async () => {
    const pasted = "hk-secret-pasted-into-the-wrong-place"
    const fromOption = await rejection(new HaiClient({ apiKey: "hk-x", baseUrl: pasted }).sessions.quota())
    expect(fromOption).toBeInstanceOf(ConfigurationError)
    expect((fromOption as Error).message).toContain("baseUrl")
    expect((fromOption as Error).message).not.toContain(pasted)

    process.env.HAI_API_BASE_URL = pasted
    const fromEnv = await rejection(new HaiClient({ apiKey: "hk-x" }).sessions.quota())
    expect(fromEnv).toBeInstanceOf(ConfigurationError)
    expect((fromEnv as Error).message).toContain("HAI_API_BASE_URL")
    expect((fromEnv as Error).message).not.toContain(pasted)
  })

  it("a defect is an UnexpectedError carrying its cause, never a bare value", async () => {
    const dying = Layer.succeed(HttpClient.HttpClient, HttpClient.make(() => Effect.die("not an Error at all")))
    const client = new HaiClient({ apiKey: "hk-x", baseUrl: "http://127.0.0.1:9", httpClient: dying, maxRetries: 0 })
    const error = await rejection(client.sessions.quota())
    expect(error).toBeInstanceOf(Error)
    expect(error).toBeInstanceOf(UnexpectedError)
    expect((error as UnexpectedError)._tag).toBe("UnexpectedError")
    expect((error as UnexpectedError).message).toContain("not an Error at all")
    expect((error as UnexpectedError).cause).toBe("not an Error at all")
    await client.close()
  })
})

describe("HaiClient resource groups are plain objects", () => {
  withoutKeyEnv()

  it("awaiting a group gives the group back at once (it is not a thenable)", async () => {
    const client = new HaiClient({ apiKey: "hk-x", baseUrl: "http://127.0.0.1:9" })
    const awaited = await Promise.race([
      (async () => await client.sessions)(),
      new Promise((resolve) => setTimeout(() => resolve("hung"), 500))
    ])
    expect(awaited).toBe(client.sessions)
    expect((client.sessions as Record<string, unknown>).then).toBeUndefined()
    await client.close()
  })

  it("they list their methods, answer only those, and cannot be changed", async () => {
    const client = new HaiClient({ apiKey: "hk-x", baseUrl: "http://127.0.0.1:9" })
    expect(Object.keys(client.sessions)).toContain("list")
    expect(Object.keys(client.sessions)).toContain("listAll")
    expect(Object.keys(client.agents)).toContain("get")
    expect((client.sessions as Record<string, unknown>).nope).toBeUndefined()
    expect("toJSON" in client.sessions).toBe(false)
    expect(Object.isFrozen(client.sessions)).toBe(true)
    expect(typeof client.sessions.list).toBe("function")
    await client.close()
  })

  it("JSON.stringify(client) and of a group neither throw nor leave a rejection behind, nor show the key", async () => {
    const client = new HaiClient({ apiKey: "hk-never-shown", baseUrl: "http://127.0.0.1:9" })
    await noUnhandledRejection(() => {
      const text = JSON.stringify(client)
      expect(text).not.toContain("hk-never-shown")
      expect(JSON.parse(text)).toMatchObject({ _id: "HaiClient" })
      expect(JSON.stringify(client.sessions)).toBe("{}")
    })
    await client.close()
  })
})
