/**
 * ImapOtp against a real IMAP server (Dovecot on 127.0.0.1, started by the test): codes that arrive
 * while the tool waits, mail that must not count (too old, already read, from someone else, without
 * a code), TLS, wrong credentials, a dropped connection, and the tool as the agent calls it.
 */
import { assert, describe, it } from "@effect/vitest"
import { HaiAgents, Session, Toolkit } from "@hai-effect/core"
import * as Emulator from "@hai-effect/emulator/Emulator"
import * as Scenario from "@hai-effect/emulator/Scenario"
import { Config, ConfigProvider, Effect, Exit, Fiber, Inspectable, Layer, Redacted, Schedule } from "effect"
import { ImapOtp } from "../src/index.js"
import * as Dovecot from "./support/dovecot.js"
import { captureLogs } from "./utils.js"

/** Options for the test server: plain IMAP on loopback, quick polls, short waits. */
const local = (server: Dovecot.Dovecot, options?: Partial<ImapOtp.Options>): ImapOtp.Options => ({
  host: server.host,
  port: server.port,
  tls: "none",
  username: server.username,
  password: Redacted.make(server.password),
  poll: Schedule.spaced("100 millis"),
  // Long enough to connect on a loaded machine: a call returns as soon as its code is there.
  timeout: "15 seconds",
  ...options
})

const codeMail = (code: string, from?: string) =>
  Dovecot.mail({
    subject: "Your Acme sign-in code",
    text: `Your verification code is ${code}. It expires in 10 minutes.`,
    ...(from ? { from } : {})
  })

const receiveWith = (server: Dovecot.Dovecot, options?: Partial<ImapOtp.Options>, kind?: "code" | "link") =>
  Effect.flatMap(ImapOtp.make(local(server, options)), (mailbox) => mailbox.receive({ kind }))

// Each test starts a server of its own; on a loaded machine that takes seconds.
describe("ImapOtp (Dovecot on 127.0.0.1)", { timeout: 60_000 }, () => {
  it.scopedLive("returns the code of a mail that arrives while it waits, and marks that mail read", () =>
    Effect.gen(function*() {
      const server = yield* Dovecot.start
      const mailbox = yield* ImapOtp.make(local(server))
      const waiting = yield* Effect.fork(mailbox.receive())
      yield* Effect.sleep("600 millis")
      const uid = yield* server.deliver(codeMail("482913"))
      assert.strictEqual(yield* Fiber.join(waiting), "482913")
      assert.isTrue((yield* server.flags(uid)).has("\\Seen"))
    }))

  it.scopedLive("never hands out the same message twice, even when it leaves the mailbox as it is", () =>
    Effect.gen(function*() {
      const server = yield* Dovecot.start
      const uid = yield* server.deliver(codeMail("271828"))
      const mailbox = yield* ImapOtp.make(local(server, { markSeen: false, timeout: "3 seconds" }))
      assert.strictEqual(yield* mailbox.receive(), "271828")
      const again = yield* Effect.flip(mailbox.receive())
      assert.strictEqual(again._tag, "OtpTimeout")
      assert.isFalse((yield* server.flags(uid)).has("\\Seen"))
    }))

  it.scopedLive("takes mail from just before the call, never older mail nor mail already read", () =>
    Effect.gen(function*() {
      const server = yield* Dovecot.start
      yield* server.deliver(codeMail("111111"), { date: new Date(Date.now() - 10 * 60_000) })
      yield* server.deliver(codeMail("222222"), { seen: true })
      const none = yield* Effect.flip(receiveWith(server, { timeout: "3 seconds", lookback: "1 minute" }))
      assert.strictEqual(none._tag, "OtpTimeout")
      assert.strictEqual(
        none.message,
        "No one-time code arrived in the mailbox of agent@example.com (INBOX) within 3s: no new message arrived. "
          + "Check that the code was sent to this address, then ask for a new one."
      )
      yield* server.deliver(codeMail("333333"), { date: new Date(Date.now() - 20_000) })
      assert.strictEqual(yield* receiveWith(server, { lookback: "1 minute" }), "333333")
      yield* server.deliver(codeMail("444444"), { date: new Date(Date.now() - 20_000) })
      const tooOld = yield* Effect.flip(receiveWith(server, { timeout: "3 seconds", lookback: "5 seconds" }))
      assert.strictEqual(tooOld._tag, "OtpTimeout")
    }))

  it.scopedLive("takes the newest of several codes", () =>
    Effect.gen(function*() {
      const server = yield* Dovecot.start
      yield* server.deliver(codeMail("555111"))
      yield* server.deliver(codeMail("555222"))
      assert.strictEqual(yield* receiveWith(server), "555222")
    }))

  it.scopedLive("keeps to the sender and subject it is told, and reads past mail without a code", () =>
    Effect.gen(function*() {
      const server = yield* Dovecot.start
      const mailbox = yield* ImapOtp.make(
        local(server, { from: "acme.example", subject: "sign-in" })
      )
      const waiting = yield* Effect.fork(mailbox.receive())
      yield* server.deliver(codeMail("999001", "Other <no-reply@other.example>"))
      yield* server.deliver(
        Dovecot.mail({ subject: "Your Acme sign-in news", text: "Nothing to type here. See you soon!" })
      )
      yield* server.deliver(Dovecot.mail({ subject: "Weekly digest", text: "Your code is 999002" }))
      yield* Effect.sleep("500 millis")
      yield* server.deliver(codeMail("999003"))
      assert.strictEqual(yield* Fiber.join(waiting), "999003")
    }))

  it.scopedLive("reads HTML and encoded mail, the OTP-Token header, links, and a pattern of the user's", () =>
    Effect.gen(function*() {
      const server = yield* Dovecot.start
      yield* server.deliver(Dovecot.mail({
        subject: "Confirm your address",
        text: "Código de verificación: 7 3 9 1 0 2 — válido 10 minutos",
        html:
          `<html><body><p>Tu código:</p><table><tr><td>7</td><td>3</td><td>9</td><td>1</td><td>0</td><td>2</td></tr></table>`
          + `<p><a href="https://acme.example/unsubscribe?u=1">Unsubscribe</a> `
          + `<a href="https://acme.example/verify?t=Zx9&amp;u=1">Confirm my address</a></p></body></html>`
      }))
      assert.strictEqual(yield* receiveWith(server, { markSeen: false }), "739102")
      yield* server.deliver(Dovecot.mail({
        subject: "Confirm your address",
        html: `<p><a href="https://acme.example/unsubscribe?u=1">Unsubscribe</a> `
          + `<a href="https://acme.example/verify?t=Zx9&amp;u=1">Confirm my address</a></p>`
      }))
      assert.strictEqual(yield* receiveWith(server, {}, "link"), "https://acme.example/verify?t=Zx9&u=1")
      yield* server.deliver(
        Dovecot.mail({ subject: "Sign in", text: "Your code is 123456" }).replace(
          "MIME-Version",
          "OTP-Token: \"654321\"; origin=\"https://acme.example\"\r\nMIME-Version"
        )
      )
      assert.strictEqual(yield* receiveWith(server), "654321")
      yield* server.deliver(Dovecot.mail({ subject: "Ticket", text: "Ticket ABC-99-XYZ opened" }))
      assert.strictEqual(yield* receiveWith(server, { pattern: /Ticket ([A-Z0-9-]+)/ }), "ABC-99-XYZ")
    }))

  it.scopedLive("serves concurrent calls one at a time, each with a message of its own", () =>
    Effect.gen(function*() {
      const server = yield* Dovecot.start
      const mailbox = yield* ImapOtp.make(local(server))
      const both = yield* Effect.fork(Effect.all([mailbox.receive(), mailbox.receive()], { concurrency: 2 }))
      yield* Effect.sleep("300 millis")
      yield* server.deliver(codeMail("100001"))
      yield* Effect.sleep("500 millis")
      yield* server.deliver(codeMail("100002"))
      assert.deepStrictEqual([...(yield* Fiber.join(both))].sort(), ["100001", "100002"])
    }))

  it.scopedLive("connects again when the server drops the connection while it waits", () =>
    Effect.gen(function*() {
      const server = yield* Dovecot.start
      const mailbox = yield* ImapOtp.make(local(server))
      const waiting = yield* Effect.fork(mailbox.receive())
      yield* Effect.sleep("800 millis")
      yield* server.kick
      yield* Effect.sleep("500 millis")
      yield* server.deliver(codeMail("808080"))
      assert.strictEqual(yield* Fiber.join(waiting), "808080")
      assert.match(yield* server.log, /Disconnected: Connection closed|kicked/i)
    }))

  it.scopedLive("speaks TLS from the first byte and after STARTTLS, trusting the CA it is given", () =>
    Effect.gen(function*() {
      const server = yield* Dovecot.start
      yield* server.deliver(codeMail("313131"))
      assert.strictEqual(
        yield* receiveWith(server, {
          port: server.tlsPort,
          tls: "implicit",
          tlsOptions: { ca: server.ca },
          markSeen: false
        }),
        "313131"
      )
      yield* server.deliver(codeMail("323232"))
      assert.strictEqual(
        yield* receiveWith(server, { tls: "starttls", tlsOptions: { ca: server.ca, servername: "localhost" } }),
        "323232"
      )
      assert.match(yield* server.log, /method=PLAIN, rip=127\.0\.0\.1, lip=127\.0\.0\.1, mpid=\d+, TLS/)
      const untrusted = yield* Effect.flip(receiveWith(server, { port: server.tlsPort, tls: "implicit" }))
      assert.strictEqual(untrusted._tag, "ImapOtpError")
      assert.strictEqual(untrusted._tag === "ImapOtpError" && untrusted.reason, "Tls")
    }))

  it.scopedLive("says what is wrong, without the password, when it cannot read the mailbox", () =>
    Effect.gen(function*() {
      const server = yield* Dovecot.start
      const missing = yield* Effect.flip(receiveWith(server, { mailbox: "Nope" }))
      assert.strictEqual(missing._tag === "ImapOtpError" && missing.reason, "Mailbox")
      assert.include(missing.message, `The mailbox "Nope" of agent@example.com could not be opened`)

      // After this, Dovecot slows down sign-ins from 127.0.0.1 for a while, as it should.
      const { exit, logs } = yield* captureLogs(receiveWith(server, { password: Redacted.make("wrong-password-123") }))
      assert.isTrue(Exit.isFailure(exit))
      const wrong = yield* Effect.flip(exit)
      assert.strictEqual(wrong._tag === "ImapOtpError" && wrong.reason, "Authentication")
      assert.include(wrong.message, "refused the sign-in of agent@example.com")
      const everything = [
        wrong.message,
        JSON.stringify(wrong),
        Inspectable.format(wrong),
        ...logs.map((l) => l.message)
      ]
        .join("\n")
      assert.notInclude(everything, "wrong-password-123")
      assert.notInclude(everything, server.password)

      const refused = yield* Effect.flip(receiveWith(server, { port: 1, timeout: "5 seconds" }))
      assert.strictEqual(refused._tag === "ImapOtpError" && refused.reason, "Connection")
      assert.include(refused.message, "ECONNREFUSED")
    }))

  it.scopedLive("reads its options from the environment", () =>
    Effect.gen(function*() {
      const server = yield* Dovecot.start
      yield* server.deliver(codeMail("606060"))
      const env = ConfigProvider.fromMap(
        new Map([
          ["HAI_OTP_IMAP_HOST", server.host],
          ["HAI_OTP_IMAP_PORT", String(server.port)],
          ["HAI_OTP_IMAP_TLS", "none"],
          ["HAI_OTP_IMAP_USERNAME", server.username],
          ["HAI_OTP_IMAP_PASSWORD", server.password],
          ["HAI_OTP_IMAP_FROM", "acme.example"],
          ["HAI_OTP_IMAP_TIMEOUT", "5 seconds"]
        ])
      )
      const code = yield* ImapOtp.receive().pipe(
        Effect.provide(ImapOtp.layerConfig({ poll: Schedule.spaced("100 millis") })),
        Effect.withConfigProvider(env)
      )
      assert.strictEqual(code, "606060")
      const missing = yield* Effect.flip(
        Layer.build(ImapOtp.layerConfig({ host: Config.succeed("imap.example.com") })).pipe(
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
        )
      )
      assert.include(String(missing), "HAI_OTP_IMAP_USERNAME")
    }))

  it.scopedLive("gives up after its timeout and closes the connection", () =>
    Effect.gen(function*() {
      const server = yield* Dovecot.start
      const started = Date.now()
      const error = yield* Effect.flip(receiveWith(server, { timeout: "3 seconds" }))
      assert.strictEqual(error._tag, "OtpTimeout")
      assert.isBelow(Date.now() - started, 10_000)
      yield* Effect.sleep("300 millis")
      // Every session that signed in also logged out: none was left open or dropped.
      const log = yield* server.log
      const signedIn = log.match(/imap-login: Info: Login: user=<agent@example\.com>/g)?.length ?? 0
      const loggedOut = log.match(/imap\(agent@example\.com\).*Disconnected: Logged out/g)?.length ?? 0
      assert.isAtLeast(signedIn, 1)
      assert.strictEqual(loggedOut, signedIn)
    }))
})

/** The SDK against an in-process emulator, on the real clock (the IMAP server keeps real time). */
const emulated = HaiAgents.layer({ apiKey: "hk-emulator", baseUrl: "http://emulator.local" }).pipe(
  Layer.provideMerge(Emulator.layerClient),
  Layer.provideMerge(Emulator.layer({ tick: "20 millis" }))
)

const signIn = [
  Scenario.think("tick", "The site sent a sign-in code to agent@example.com"),
  Scenario.callTool("request_otp", {
    prompt: "Enter the 6-digit code sent to agent@example.com",
    kind: "code",
    source: "email"
  }),
  Scenario.think("tick", "Typing the code"),
  Scenario.answer("Signed in")
]

/** The AgentEvent data of a session's events, of one kind. */
const agentEvents = (result: Session.Result<unknown>, kind: string) =>
  result.events
    .map(({ event }) => event)
    .filter((event) => event.type === "AgentEvent")
    .map((event) => event.data as { readonly kind: string; readonly result?: unknown; readonly error?: string })
    .filter((data) => data.kind === kind)

describe("ImapOtp.tool in a session (emulator + Dovecot)", { timeout: 60_000 }, () => {
  it.scopedLive("hands the agent the code that arrives by mail while it waits", () =>
    Effect.gen(function*() {
      const server = yield* Dovecot.start
      const emulator = yield* Emulator.Emulator
      yield* emulator.registerScenario("h/web-surfer-holo3-1-35b", signIn)
      const running = yield* Effect.fork(
        Session.run({
          agent: "h/web-surfer-holo3-1-35b",
          messages: "Sign in to acme.example with agent@example.com",
          tools: Toolkit.make(ImapOtp.tool),
          timeout: "30 seconds"
        }).pipe(Effect.provide(ImapOtp.layer(local(server))))
      )
      yield* Effect.sleep("1 second")
      const uid = yield* server.deliver(codeMail("482913"))
      const result = yield* Fiber.join(running)
      assert.strictEqual(result.answer, "Signed in")
      assert.deepStrictEqual(agentEvents(result, "tool_result").map((data) => data.result), ["482913"])
      assert.isTrue((yield* server.flags(uid)).has("\\Seen"))
    }).pipe(Effect.provide(emulated)))

  it.scopedLive("tells the agent, as a tool error, that no code came, and the run goes on", () =>
    Effect.gen(function*() {
      const server = yield* Dovecot.start
      const emulator = yield* Emulator.Emulator
      yield* emulator.registerScenario("h/web-surfer-holo3-1-35b", signIn)
      const result = yield* Session.run({
        agent: "h/web-surfer-holo3-1-35b",
        messages: "Sign in to acme.example with agent@example.com",
        tools: Toolkit.make(ImapOtp.tool),
        timeout: "30 seconds"
      }).pipe(Effect.provide(ImapOtp.layer(local(server, { timeout: "3 seconds" }))))
      assert.strictEqual(result.answer, "Signed in")
      const errors = agentEvents(result, "error_event").map((data) => data.error)
      assert.strictEqual(errors.length, 1)
      assert.match(
        errors[0] ?? "",
        /^OtpTimeout: No one-time code arrived in the mailbox of agent@example\.com \(INBOX\)/
      )
    }).pipe(Effect.provide(emulated)))
})
