/**
 * One-time codes from a mailbox: the `request_otp` tool whose codes come over IMAP, as the
 * official SDKs' `imap_otp_handler` / `imapOtpHandler` do. When the agent calls it, the tool
 * watches the mailbox for mail that arrives after the call (or shortly before it: the code may
 * land while the agent is still deciding to ask), reads the code (or confirmation link) with
 * `Otp.extract`, marks that message read, and hands the agent that one value: never a subject,
 * a sender or a body. The credentials stay in this process.
 *
 * @example
 * import { Otp, Session, Toolkit } from "@hai-effect/core"
 * import { ImapOtp, NodeHai } from "@hai-effect/platform-node"
 * import { Effect, Layer, Redacted } from "effect"
 *
 * const Mailbox = ImapOtp.layer({
 *   host: "imap.gmail.com",
 *   username: "agent-inbox@gmail.com",
 *   password: Redacted.make("an app password"),
 *   from: "no-reply@example.com"
 * })
 *
 * Session.run({
 *   agent: "h/web-surfer-holo3-1-35b",
 *   messages: "Sign in to example.com with agent-inbox@gmail.com",
 *   tools: Toolkit.make(ImapOtp.tool)
 * }).pipe(Effect.provide(Layer.mergeAll(Mailbox, NodeHai.layerConfig())))
 *
 * @since 0.1.0
 */
import * as Otp from "@hai-effect/core/Otp"
import type * as Tool from "@hai-effect/core/Tool"
import * as Clock from "effect/Clock"
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Duration from "effect/Duration"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schedule from "effect/Schedule"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import { ImapFlow } from "imapflow"
import type { Buffer } from "node:buffer"
import PostalMime from "postal-mime"

// =============================================================================
// Models
// =============================================================================

/**
 * How the connection is protected: `"implicit"` TLS from the first byte (port 993, the default),
 * `"starttls"` (port 143, upgraded before signing in; refused when the server does not offer it),
 * or `"none"` (the password crosses the network in the clear: only for a server on this machine).
 *
 * @since 0.1.0
 * @category Models
 */
export type TlsMode = "implicit" | "starttls" | "none"

/**
 * Node TLS settings for the connection, for a server with a private certificate authority or a
 * certificate issued to another name.
 *
 * @since 0.1.0
 * @category Models
 */
export interface TlsOptions {
  /** Certificate authorities to trust instead of Node's bundle (PEM). */
  readonly ca?: string | Buffer | ReadonlyArray<string | Buffer> | undefined
  /** Check the server's certificate (default `true`); `false` accepts any certificate. */
  readonly rejectUnauthorized?: boolean | undefined
  /** The name the certificate must carry, when `host` is an address or another name. */
  readonly servername?: string | undefined
  readonly minVersion?: "TLSv1.2" | "TLSv1.3" | undefined
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Options {
  readonly host: string
  /** Defaults to 993 with implicit TLS, 143 otherwise. */
  readonly port?: number | undefined
  /** Defaults to `"implicit"`. */
  readonly tls?: TlsMode | undefined
  readonly tlsOptions?: TlsOptions | undefined
  readonly username: string
  /** For Gmail and Google Workspace, an app password. */
  readonly password: Redacted.Redacted<string>
  /** Defaults to `"INBOX"`. */
  readonly mailbox?: string | undefined
  /** Only mail whose From contains this (an address or a domain), as IMAP `SEARCH FROM`. */
  readonly from?: string | undefined
  /** Only mail whose Subject contains this, as IMAP `SEARCH SUBJECT`. */
  readonly subject?: string | undefined
  /** How long one call waits for a code before it fails with {@link OtpTimeout}. Defaults to 2 minutes. */
  readonly timeout?: Duration.DurationInput | undefined
  /**
   * Mail received this long before the call also counts (the code often lands while the agent is
   * still deciding to ask for it). Defaults to 1 minute.
   */
  readonly lookback?: Duration.DurationInput | undefined
  /** When to look again while no code has arrived. Defaults to every 2 seconds. */
  readonly poll?: Schedule.Schedule<unknown> | undefined
  /**
   * Mark the message the code came from as read, and pass over messages already read (default
   * `true`), so a retry never gets a stale code. With `false` the mailbox is left as it is, and
   * this layer still never hands out the same message twice.
   */
  readonly markSeen?: boolean | undefined
  /** Replaces the built-in code recognition (see `Otp.extractCode`). */
  readonly pattern?: RegExp | undefined
  /** How long connecting and signing in may take. Defaults to 30 seconds. */
  readonly connectTimeout?: Duration.DurationInput | undefined
}

/**
 * What one call waits for.
 *
 * @since 0.1.0
 * @category Models
 */
export interface ReceiveOptions {
  /** A code (default) or a confirmation link. */
  readonly kind?: Otp.Kind | undefined
}

/**
 * @since 0.1.0
 * @category Models
 */
export interface Service {
  /**
   * Waits for the next code (or link) to arrive in the mailbox, and returns it. Calls are served
   * one at a time, so two calls never get the same message.
   */
  readonly receive: (options?: ReceiveOptions | undefined) => Effect.Effect<string, ImapOtpError | OtpTimeout>
}

/**
 * The mailbox codes arrive in.
 *
 * @since 0.1.0
 * @category Context
 */
export class ImapOtp extends Context.Tag("@hai-effect/platform-node/ImapOtp")<ImapOtp, Service>() {}

// =============================================================================
// Errors
// =============================================================================

/**
 * The mailbox could not be read: the server is unreachable, its certificate is not trusted, the
 * sign-in was refused, the mailbox does not exist, or the server answered something unexpected.
 * The password is never part of it.
 *
 * @since 0.1.0
 * @category Errors
 */
export class ImapOtpError extends Schema.TaggedError<ImapOtpError>("@hai-effect/platform-node/ImapOtpError")(
  "ImapOtpError",
  {
    reason: Schema.Literal("Connection", "Tls", "Authentication", "Mailbox", "Protocol"),
    host: Schema.String,
    port: Schema.Number,
    username: Schema.String,
    mailbox: Schema.String,
    detail: Schema.String
  }
) {
  /** @since 0.1.0 */
  get message() {
    const where = `${this.host}:${this.port}`
    switch (this.reason) {
      case "Connection":
        return `Could not reach the IMAP server ${where} (${this.detail}). Check host, port and network.`
      case "Tls":
        return `The TLS connection to ${where} failed (${this.detail}). Check the port and TLS mode (993 with "implicit", 143 with "starttls"), or trust the server's certificate authority with tlsOptions.ca.`
      case "Authentication":
        return `The IMAP server ${where} refused the sign-in of ${this.username} (${this.detail}). Check the username and password (Gmail wants an app password).`
      case "Mailbox":
        return `The mailbox "${this.mailbox}" of ${this.username} could not be opened (${this.detail}). Check its name.`
      case "Protocol":
        return `The IMAP server ${where} answered unexpectedly (${this.detail}).`
    }
  }
}

/**
 * No code (or link) arrived in time. The agent receives it as a tool error, and can ask the site
 * to send a new code.
 *
 * @since 0.1.0
 * @category Errors
 */
export class OtpTimeout extends Schema.TaggedError<OtpTimeout>("@hai-effect/platform-node/OtpTimeout")("OtpTimeout", {
  kind: Otp.Kind,
  username: Schema.String,
  mailbox: Schema.String,
  timeoutMillis: Schema.Number,
  /** Messages of the period that were read and held none. */
  examined: Schema.Number
}) {
  /** @since 0.1.0 */
  get message() {
    const what = this.kind === "link" ? "confirmation link" : "one-time code"
    const read = this.examined === 0
      ? "no new message arrived"
      : `${this.examined} new message${this.examined === 1 ? "" : "s"} held none`
    return `No ${what} arrived in the mailbox of ${this.username} (${this.mailbox}) within ${
      Duration.format(Duration.millis(this.timeoutMillis))
    }: ${read}. Check that the code was sent to this address, then ask for a new one.`
  }
}

// =============================================================================
// Constructors
// =============================================================================

const defaults = {
  mailbox: "INBOX",
  timeout: Duration.minutes(2),
  lookback: Duration.minutes(1),
  connectTimeout: Duration.seconds(30),
  poll: Schedule.spaced("2 seconds")
}

/** Messages larger than this cannot be a one-time code mail; they are not downloaded. */
const maxMessageBytes = 2 * 1024 * 1024

/** How many handed-out messages this layer remembers, to never hand one out twice. */
const rememberedMessages = 1024

/**
 * The service from options.
 *
 * @example
 * import { Effect, Redacted } from "effect"
 * import { ImapOtp } from "@hai-effect/platform-node"
 *
 * const code = Effect.flatMap(
 *   ImapOtp.make({ host: "imap.example.com", username: "agent@example.com", password: Redacted.make("secret") }),
 *   (mailbox) => mailbox.receive()
 * )
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (options: Options): Effect.Effect<Service> =>
  Effect.gen(function*() {
    const tls = options.tls ?? "implicit"
    const port = options.port ?? (tls === "implicit" ? 993 : 143)
    const mailbox = options.mailbox ?? defaults.mailbox
    const timeout = Duration.decode(options.timeout ?? defaults.timeout)
    const lookback = Duration.decode(options.lookback ?? defaults.lookback)
    const connectTimeout = Duration.decode(options.connectTimeout ?? defaults.connectTimeout)
    const poll = options.poll ?? defaults.poll
    const markSeen = options.markSeen ?? true
    const handedOut = new Set<string>()
    const oneAtATime = yield* Effect.makeSemaphore(1)

    const failure = (reason: ImapOtpError["reason"], detail: string) =>
      new ImapOtpError({ reason, host: options.host, port, username: options.username, mailbox, detail })

    const fromImap = (cause: unknown, during: "connect" | "open" | "read"): ImapOtpError => {
      const error = (cause ?? {}) as ImapFailure
      const detail = describe(error)
      const code = typeof error.code === "string" ? error.code : ""
      if (error.authenticationFailed === true) return failure("Authentication", detail)
      if (error.tlsFailed === true || /^(?:ERR_TLS|ERR_SSL|CERT_|UNABLE_TO_|DEPTH_ZERO|SELF_SIGNED)/.test(code)) {
        return failure("Tls", detail)
      }
      if (during === "open" || error.mailboxMissing === true) return failure("Mailbox", detail)
      if (CONNECTION_CODES.has(code) || (during === "connect" && code === "")) return failure("Connection", detail)
      return failure("Protocol", detail)
    }

    const connect: Effect.Effect<ImapFlow, ImapOtpError, Scope.Scope> = Effect.gen(function*() {
      const client = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const client = new ImapFlow({
            host: options.host,
            port,
            secure: tls === "implicit",
            doSTARTTLS: tls === "starttls" ? true : tls === "none" ? false : undefined,
            ...(options.tlsOptions === undefined ? {} : { tls: toTls(options.tlsOptions) }),
            auth: { user: options.username, pass: Redacted.value(options.password) },
            logger: false,
            disableAutoIdle: true,
            connectionTimeout: Duration.toMillis(connectTimeout),
            greetingTimeout: Duration.toMillis(connectTimeout),
            socketTimeout: Math.max(60_000, Duration.toMillis(timeout) + 30_000)
          })
          // Failures reach us through the promise of the command that met them; an 'error' event
          // without a listener would crash the process instead.
          client.on("error", () => {})
          return client
        }),
        (client) =>
          Effect.promise(() => client.logout().catch(() => undefined)).pipe(
            Effect.timeout("3 seconds"),
            Effect.ignore,
            Effect.ensuring(Effect.sync(() => client.close()))
          )
      )
      yield* Effect.tryPromise({ try: () => client.connect(), catch: (cause) => fromImap(cause, "connect") }).pipe(
        Effect.timeoutFail({
          duration: connectTimeout,
          onTimeout: () => failure("Connection", `no answer within ${Duration.format(connectTimeout)}`)
        })
      )
      return client
    })

    const receive = (receiveOptions?: ReceiveOptions | undefined): Effect.Effect<string, ImapOtpError | OtpTimeout> =>
      Effect.gen(function*() {
        const kind = receiveOptions?.kind ?? "code"
        const calledAt = yield* Clock.currentTimeMillis
        const notBefore = calledAt - Duration.toMillis(lookback)
        const call: CallState = { uidNext: undefined, uidValidity: undefined, passed: new Set(), read: 0 }

        const watch = Effect.scoped(Effect.gen(function*() {
          const client = yield* connect
          const opened = yield* Effect.tryPromise({
            try: () => client.mailboxOpen(mailbox),
            catch: (cause) => fromImap(cause, "open")
          })
          const validity = String(opened.uidValidity)
          if (call.uidValidity !== validity) {
            call.uidValidity = validity
            call.uidNext = opened.uidNext
            call.passed.clear()
          }
          return yield* lookOnce(client, kind, notBefore, call).pipe(
            Effect.flatMap(Option.match({ onNone: () => Effect.fail(notYet), onSome: Effect.succeed })),
            Effect.retry({ schedule: poll, while: (e) => e._tag === "NotYet" })
          )
        }))

        return yield* watch.pipe(
          // The server may drop an idle connection: connect again and go on watching.
          Effect.retry({
            schedule: Schedule.exponential("250 millis").pipe(Schedule.intersect(Schedule.recurs(4))),
            while: (e) => e._tag === "ImapOtpError" && e.reason === "Connection"
          }),
          Effect.catchTag("NotYet", () => Effect.fail(timedOut(kind, call))),
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () =>
              call.uidValidity === undefined
                ? failure(
                  "Connection",
                  `could not connect, sign in and open the mailbox within ${Duration.format(timeout)}`
                )
                : timedOut(kind, call)
          })
        )
      }).pipe(
        oneAtATime.withPermits(1),
        Effect.withSpan("ImapOtp.receive", {
          attributes: { "imap.host": options.host, "imap.mailbox": mailbox, "otp.kind": receiveOptions?.kind ?? "code" }
        })
      )

    const timedOut = (kind: Otp.Kind, call: CallState) =>
      new OtpTimeout({
        kind,
        username: options.username,
        mailbox,
        timeoutMillis: Duration.toMillis(timeout),
        examined: call.read
      })

    /** One look at the mailbox: the newest new message with a code, if any. */
    const lookOnce = (
      client: ImapFlow,
      kind: Otp.Kind,
      notBefore: number,
      call: CallState
    ): Effect.Effect<Option.Option<string>, ImapOtpError> =>
      Effect.gen(function*() {
        const read = <A>(f: () => Promise<A>) =>
          Effect.tryPromise({ try: f, catch: (cause) => fromImap(cause, "read") })
        const key = (uid: number) => `${mailbox}\u0000${call.uidValidity}\u0000${uid}`
        // A NOOP lets the server tell of mail that arrived since the last look.
        yield* read(() => client.noop())
        const found = yield* read(() =>
          client.search({
            // Day-granular on servers without WITHIN: a day early, and the exact time checked below.
            since: new Date(notBefore - 86_400_000),
            ...(markSeen ? { seen: false } : {}),
            ...(options.from === undefined ? {} : { from: options.from }),
            ...(options.subject === undefined ? {} : { subject: options.subject })
          }, { uid: true })
        )
        const fresh = (found || []).filter((uid) => !call.passed.has(uid) && !handedOut.has(key(uid)))
        if (fresh.length === 0) return Option.none()
        const metas = yield* read(() =>
          client.fetchAll(fresh.join(","), { uid: true, internalDate: true, size: true }, { uid: true })
        )
        const eligible = metas
          .filter((meta) => {
            const arrived = meta.internalDate === undefined ? Number.NaN : new Date(meta.internalDate).getTime()
            const recent = meta.uid >= (call.uidNext ?? Number.POSITIVE_INFINITY) || arrived >= notBefore
            const small = (meta.size ?? 0) <= maxMessageBytes
            if (!recent || !small) call.passed.add(meta.uid)
            return recent && small
          })
          .sort((a, b) => b.uid - a.uid)
        for (const meta of eligible) {
          const message = yield* read(() => client.fetchOne(String(meta.uid), { source: true }, { uid: true }))
          call.passed.add(meta.uid)
          call.read++
          if (message === false || message.source === undefined) continue
          const value = yield* valueIn(message.source, kind)
          if (Option.isNone(value)) continue
          if (markSeen) yield* read(() => client.messageFlagsAdd(String(meta.uid), ["\\Seen"], { uid: true }))
          handedOut.add(key(meta.uid))
          if (handedOut.size > rememberedMessages) handedOut.delete(handedOut.values().next().value!)
          yield* Effect.logDebug("ImapOtp: found a value").pipe(
            Effect.annotateLogs({ mailbox, uid: meta.uid, kind })
          )
          return value
        }
        return Option.none()
      })

    const valueIn = (source: Uint8Array, kind: Otp.Kind): Effect.Effect<Option.Option<string>> =>
      Effect.tryPromise(() => PostalMime.parse(source)).pipe(
        Effect.map((email) => {
          if (kind === "code" && options.pattern === undefined && email.otp !== undefined) {
            return Option.some(email.otp.code)
          }
          const text = [
            email.subject ?? "",
            email.text ?? "",
            email.html === undefined ? "" : Otp.htmlToText(email.html)
          ]
            .join("\n")
          return Otp.extract(text, kind, { pattern: options.pattern })
        }),
        // One message that does not parse must not stop the watch: it holds no code we can read.
        Effect.catchAll((error) =>
          Effect.as(Effect.logDebug("ImapOtp: a message did not parse", error), Option.none<string>())
        )
      )

    return ImapOtp.of({ receive })
  })

/**
 * A layer from options.
 *
 * @example
 * import { Redacted } from "effect"
 * import { ImapOtp } from "@hai-effect/platform-node"
 *
 * const Mailbox = ImapOtp.layer({
 *   host: "imap.fastmail.com",
 *   username: "agent@example.com",
 *   password: Redacted.make("app-password"),
 *   from: "example.com",
 *   timeout: "3 minutes"
 * })
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (options: Options): Layer.Layer<ImapOtp> => Layer.effect(ImapOtp, make(options))

/**
 * A layer whose options come from `Config`, each either given (a value or a `Config`) or read from
 * its environment variable: `HAI_OTP_IMAP_HOST`, `HAI_OTP_IMAP_USERNAME`, `HAI_OTP_IMAP_PASSWORD`
 * (required), `HAI_OTP_IMAP_PORT`, `HAI_OTP_IMAP_TLS` (`implicit`, `starttls` or `none`),
 * `HAI_OTP_IMAP_MAILBOX`, `HAI_OTP_IMAP_FROM`, `HAI_OTP_IMAP_SUBJECT`, `HAI_OTP_IMAP_TIMEOUT`,
 * `HAI_OTP_IMAP_LOOKBACK` (durations, e.g. `2 minutes`) and `HAI_OTP_IMAP_MARK_SEEN` (a boolean).
 *
 * @example
 * import { Config } from "effect"
 * import { ImapOtp } from "@hai-effect/platform-node"
 *
 * const FromEnv = ImapOtp.layerConfig()
 * const Custom = ImapOtp.layerConfig({ password: Config.redacted("GMAIL_APP_PASSWORD"), host: "imap.gmail.com" })
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerConfig = (
  options?: { readonly [K in keyof Options]?: Options[K] | Config.Config<Options[K]> } | undefined
): Layer.Layer<ImapOtp, ConfigError.ConfigError> =>
  Layer.effect(
    ImapOtp,
    Effect.gen(function*() {
      const read = <K extends keyof Options>(
        key: K,
        fallback: Config.Config<Options[K]>
      ): Config.Config<Options[K]> => {
        const given = options?.[key]
        return Config.isConfig(given)
          ? given as Config.Config<Options[K]>
          : given === undefined
          ? fallback
          : Config.succeed(given as Options[K])
      }
      const optional = <A>(config: Config.Config<A>) => Config.map(Config.option(config), Option.getOrUndefined)
      const resolved = yield* Config.all({
        host: read("host", Config.nonEmptyString("HAI_OTP_IMAP_HOST")),
        username: read("username", Config.nonEmptyString("HAI_OTP_IMAP_USERNAME")),
        password: read("password", Config.redacted("HAI_OTP_IMAP_PASSWORD")),
        port: read("port", optional(Config.port("HAI_OTP_IMAP_PORT"))),
        tls: read("tls", optional(Config.literal("implicit", "starttls", "none")("HAI_OTP_IMAP_TLS"))),
        tlsOptions: read("tlsOptions", Config.succeed(undefined)),
        mailbox: read("mailbox", optional(Config.nonEmptyString("HAI_OTP_IMAP_MAILBOX"))),
        from: read("from", optional(Config.nonEmptyString("HAI_OTP_IMAP_FROM"))),
        subject: read("subject", optional(Config.nonEmptyString("HAI_OTP_IMAP_SUBJECT"))),
        timeout: read("timeout", optional(Config.duration("HAI_OTP_IMAP_TIMEOUT"))),
        lookback: read("lookback", optional(Config.duration("HAI_OTP_IMAP_LOOKBACK"))),
        markSeen: read("markSeen", optional(Config.boolean("HAI_OTP_IMAP_MARK_SEEN"))),
        poll: read("poll", Config.succeed(undefined)),
        pattern: read("pattern", Config.succeed(undefined)),
        connectTimeout: read("connectTimeout", Config.succeed(undefined))
      })
      return yield* make(resolved)
    })
  )

// =============================================================================
// Tools and accessors
// =============================================================================

/**
 * Waits for the next code (or link) in the mailbox of the {@link ImapOtp} layer.
 *
 * @example
 * import { Effect } from "effect"
 * import { ImapOtp } from "@hai-effect/platform-node"
 *
 * const link = ImapOtp.receive({ kind: "link" }).pipe(Effect.provide(ImapOtp.layerConfig()))
 *
 * @since 0.1.0
 * @category Accessors
 */
export const receive = (
  options?: ReceiveOptions | undefined
): Effect.Effect<string, ImapOtpError | OtpTimeout, ImapOtp> =>
  Effect.flatMap(ImapOtp, (mailbox) => mailbox.receive(options))

/**
 * The official SDKs' `request_otp` tool, its codes (or links) read from the mailbox of the
 * {@link ImapOtp} layer. For another name or description: `Otp.tool((r) => ImapOtp.receive(r), {...})`.
 *
 * @example
 * import { Toolkit } from "@hai-effect/core"
 * import { ImapOtp } from "@hai-effect/platform-node"
 *
 * const tools = Toolkit.make(ImapOtp.tool) // provide ImapOtp.layer(...) or ImapOtp.layerConfig()
 *
 * @since 0.1.0
 * @category Tools
 */
export const tool: Tool.Tool<
  "request_otp",
  Otp.Request,
  typeof Otp.Request.Encoded,
  string,
  string,
  ImapOtpError | OtpTimeout | Otp.NoCode,
  ImapOtp
> = Otp.tool((request) => receive({ kind: request.kind }))

// =============================================================================
// Internals
// =============================================================================

interface CallState {
  uidNext: number | undefined
  uidValidity: string | undefined
  /** UIDs read, or passed over, during this call: not looked at again. */
  readonly passed: Set<number>
  /** How many messages of the period were read and held no code. */
  read: number
}

/** What imapflow and Node put on their errors. */
interface ImapFailure {
  readonly code?: unknown
  readonly message?: unknown
  readonly responseText?: unknown
  readonly authenticationFailed?: boolean
  readonly tlsFailed?: boolean
  readonly mailboxMissing?: boolean
}

const notYet = { _tag: "NotYet" } as const

const CONNECTION_CODES = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "ENOTFOUND",
  "EAI_AGAIN",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EPIPE",
  "CONNECT_TIMEOUT",
  "GREETING_TIMEOUT",
  "ETIMEOUT",
  "NoConnection",
  "EConnectionClosed",
  "ClosedAfterConnectText",
  "ClosedAfterConnectTLS"
])

const describe = (error: ImapFailure): string => {
  const text = typeof error.responseText === "string" && error.responseText.length > 0
    ? error.responseText
    : typeof error.message === "string" && error.message.length > 0
    ? error.message
    : "unknown failure"
  return typeof error.code === "string" && !text.includes(error.code) ? `${error.code}: ${text}` : text
}

const toTls = (options: TlsOptions) => ({
  ...(options.ca === undefined
    ? {}
    : { ca: Array.isArray(options.ca) ? [...options.ca] : (options.ca as string | Buffer) }),
  ...(options.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: options.rejectUnauthorized }),
  ...(options.servername === undefined ? {} : { servername: options.servername }),
  ...(options.minVersion === undefined ? {} : { minVersion: options.minVersion })
})
