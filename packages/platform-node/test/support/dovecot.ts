/**
 * A real IMAP server for the tests: Debian's Dovecot, started with a configuration of its own in
 * a temporary directory (passwd-file sign-in, a maildir, a self-signed certificate, free ports on
 * 127.0.0.1), run unprivileged (as `nobody` when the tests run as root), and stopped with the
 * scope. Nothing outside the directory is read or changed.
 *
 * A machine without Dovecot fails the test that needs it, saying how to install it: the IMAP tests
 * are never skipped.
 */
import { Effect, Schedule } from "effect"
import { ImapFlow } from "imapflow"
import { execFile, spawn } from "node:child_process"
import * as Fs from "node:fs/promises"
import * as Net from "node:net"
import * as Os from "node:os"
import * as Path from "node:path"

export interface Dovecot {
  readonly host: string
  /** Plain IMAP, STARTTLS offered. */
  readonly port: number
  /** IMAP over TLS from the first byte. */
  readonly tlsPort: number
  /** The server certificate (self-signed, for 127.0.0.1 and localhost), to trust in TLS tests. */
  readonly ca: string
  readonly username: string
  readonly password: string
  /** Appends a message (raw RFC 5322 text) to a mailbox; returns its UID. */
  readonly deliver: (
    raw: string,
    options?: { readonly date?: Date; readonly seen?: boolean; readonly mailbox?: string }
  ) => Effect.Effect<number>
  /** The flags of a message of the INBOX. */
  readonly flags: (uid: number) => Effect.Effect<ReadonlySet<string>>
  /** Drops every connection of the user, as a server does to idle clients. */
  readonly kick: Effect.Effect<void>
  /** Dovecot's log, for failure messages. */
  readonly log: Effect.Effect<string>
}

const candidates = ["/usr/sbin/dovecot", "/usr/local/sbin/dovecot"]

const run = (file: string, args: ReadonlyArray<string>) =>
  Effect.async<string, Error>((resume) => {
    execFile(file, [...args], { timeout: 20_000 }, (error, stdout, stderr) => {
      if (error) resume(Effect.fail(new Error(`${file} ${args.join(" ")}: ${error.message}\n${stderr}`)))
      else resume(Effect.succeed(stdout))
    })
  })

const freePort = Effect.async<number, Error>((resume) => {
  const server = Net.createServer()
  server.once("error", (e) => resume(Effect.fail(e)))
  server.listen(0, "127.0.0.1", () => {
    const { port } = server.address() as Net.AddressInfo
    server.close(() => resume(Effect.succeed(port)))
  })
})

/** The name of a user or group id, from /etc/passwd or /etc/group. */
const nameOf = (file: "/etc/passwd" | "/etc/group", id: number) =>
  Effect.promise(() => Fs.readFile(file, "utf8")).pipe(
    Effect.flatMap((text) => {
      const line = text.split("\n").map((l) => l.split(":")).find((fields) => Number(fields[2]) === id)
      return line ? Effect.succeed(line[0]) : Effect.fail(new Error(`no entry for id ${id} in ${file}`))
    })
  )

const chownTree = (dir: string, uid: number, gid: number): Promise<void> =>
  Fs.readdir(dir, { withFileTypes: true }).then(async (entries) => {
    await Fs.chown(dir, uid, gid)
    for (const entry of entries) {
      const path = Path.join(dir, entry.name)
      if (entry.isDirectory()) await chownTree(path, uid, gid)
      else await Fs.chown(path, uid, gid)
    }
  })

/** Whether the port accepts a connection, and (for plain IMAP) greets with `* OK`. */
const answers = (port: number, greets: boolean) =>
  Effect.async<void, Error>((resume) => {
    const socket = Net.connect({ host: "127.0.0.1", port })
    const done = (effect: Effect.Effect<void, Error>) => {
      socket.destroy()
      resume(effect)
    }
    if (greets) {
      socket.once("data", (data) =>
        done(
          data.toString().startsWith("* OK")
            ? Effect.void
            : Effect.fail(new Error(`unexpected greeting: ${data.toString()}`))
        ))
    } else {
      socket.once("connect", () => done(Effect.void))
    }
    socket.once("error", (e) => done(Effect.fail(e)))
    return Effect.sync(() => socket.destroy())
  }).pipe(Effect.timeoutFail({ duration: "2 seconds", onTimeout: () => new Error(`no answer on port ${port}`) }))

export const start = Effect.gen(function*() {
  const binary = yield* Effect.promise(async () => {
    for (const path of candidates) {
      if (await Fs.access(path).then(() => true, () => false)) return path
    }
    return undefined
  })
  if (binary === undefined) {
    return yield* Effect.dieMessage(
      "Dovecot is not installed, and the IMAP tests need a real IMAP server: apt-get install dovecot-imapd "
        + "(.ci/run does so on a fresh machine)."
    )
  }
  const dir = yield* Effect.acquireRelease(
    Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), "hai-otp-dovecot-"))),
    (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
  )
  const root = process.getuid?.() === 0
  const uid = root ? 65534 : process.getuid!()
  const gid = root ? 65534 : process.getgid!()
  const user = yield* nameOf("/etc/passwd", uid)
  const group = yield* nameOf("/etc/group", gid)
  const [port, tlsPort] = [yield* freePort, yield* freePort]
  const username = "agent@example.com"
  const password = "s3cret-imap-password"
  yield* run("openssl", [
    "req",
    "-x509",
    "-newkey",
    "ec",
    "-pkeyopt",
    "ec_paramgen_curve:prime256v1",
    "-nodes",
    "-keyout",
    Path.join(dir, "key.pem"),
    "-out",
    Path.join(dir, "cert.pem"),
    "-days",
    "2",
    "-subj",
    "/CN=localhost",
    "-addext",
    "subjectAltName=DNS:localhost,IP:127.0.0.1"
  ])
  const config = `
base_dir = ${dir}/run
state_dir = ${dir}/state
instance_name = hai-otp-${port}
log_path = ${dir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = yes
ssl_cert = <${dir}/cert.pem
ssl_key = <${dir}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
default_internal_user = ${user}
default_internal_group = ${group}
default_login_user = ${user}
first_valid_uid = 1
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%u ${dir}/passwd
}
userdb {
  driver = static
  args = uid=${uid} gid=${gid} home=${dir}/mail/%u
}
mail_location = maildir:${dir}/mail/%u/Maildir
service anvil {
  chroot =
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = ${port}
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = ${tlsPort}
  }
}
`
  yield* Effect.promise(async () => {
    await Fs.mkdir(Path.join(dir, "mail"))
    await Fs.writeFile(Path.join(dir, "dovecot.conf"), config)
    await Fs.writeFile(Path.join(dir, "passwd"), `${username}:{PLAIN}${password}::::::\n`)
    await Fs.chmod(dir, 0o755)
    if (root) await chownTree(dir, uid, gid)
  })
  const confPath = Path.join(dir, "dovecot.conf")
  const logPath = Path.join(dir, "dovecot.log")
  const log = Effect.promise(() => Fs.readFile(logPath, "utf8").catch(() => ""))

  let output = ""
  const child = yield* Effect.acquireRelease(
    Effect.sync(() => {
      const child = spawn(binary, ["-F", "-c", confPath], {
        stdio: ["ignore", "pipe", "pipe"],
        ...(root ? { uid, gid } : {})
      })
      child.stdout.on("data", (chunk) => (output += chunk))
      child.stderr.on("data", (chunk) => (output += chunk))
      return child
    }),
    (child) =>
      Effect.async<void>((resume) => {
        if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.void)
        const force = setTimeout(() => child.kill("SIGKILL"), 5_000)
        child.once("exit", () => {
          clearTimeout(force)
          resume(Effect.void)
        })
        child.kill("SIGTERM")
      })
  )
  yield* Effect.suspend(() =>
    child.exitCode !== null
      ? Effect.fail(new Error(`dovecot exited with ${child.exitCode}`))
      : Effect.zip(answers(port, true), answers(tlsPort, false))
  ).pipe(
    Effect.retry(Schedule.spaced("50 millis").pipe(Schedule.intersect(Schedule.recurs(200)))),
    Effect.catchAll((error) =>
      Effect.flatMap(log, (text) => Effect.dieMessage(`Dovecot did not start: ${error.message}\n${output}\n${text}`))
    )
  )

  const withClient = <A>(f: (client: ImapFlow) => Promise<A>) =>
    Effect.promise(async () => {
      const client = new ImapFlow({
        host: "127.0.0.1",
        port,
        secure: false,
        doSTARTTLS: false,
        auth: { user: username, pass: password },
        logger: false
      })
      client.on("error", () => {})
      await client.connect()
      try {
        return await f(client)
      } finally {
        await client.logout().catch(() => undefined)
      }
    })

  const dovecot: Dovecot = {
    host: "127.0.0.1",
    port,
    tlsPort,
    ca: yield* Effect.promise(() => Fs.readFile(Path.join(dir, "cert.pem"), "utf8")),
    username,
    password,
    deliver: (raw, options) =>
      withClient(async (client) => {
        const mailbox = options?.mailbox ?? "INBOX"
        if (mailbox !== "INBOX") await client.mailboxCreate(mailbox).catch(() => undefined)
        const appended = await client.append(mailbox, raw, options?.seen ? ["\\Seen"] : [], options?.date ?? new Date())
        if (appended === false || appended.uid === undefined) throw new Error("APPEND returned no UID")
        return appended.uid
      }),
    flags: (uid) =>
      withClient(async (client) => {
        await client.mailboxOpen("INBOX")
        const message = await client.fetchOne(String(uid), { flags: true }, { uid: true })
        return message === false ? new Set<string>() : (message.flags ?? new Set<string>())
      }),
    kick: run("/usr/bin/doveadm", ["-c", confPath, "kick", username]).pipe(Effect.orDie, Effect.asVoid),
    log
  }
  return dovecot
})

/** A plain-text message. */
export const mail = (options: {
  readonly from?: string
  readonly subject: string
  readonly text?: string
  readonly html?: string
}): string => {
  const headers = [
    `From: ${options.from ?? "Acme <no-reply@acme.example>"}`,
    "To: agent@example.com",
    `Subject: ${options.subject}`,
    `Date: ${new Date().toUTCString()}`,
    `Message-ID: <${Math.random().toString(36).slice(2)}@acme.example>`,
    "MIME-Version: 1.0"
  ]
  if (options.html !== undefined && options.text !== undefined) {
    const boundary = "b-" + Math.random().toString(36).slice(2)
    return [
      ...headers,
      `Content-Type: multipart/alternative; boundary="${boundary}"`,
      "",
      `--${boundary}`,
      "Content-Type: text/plain; charset=utf-8",
      "Content-Transfer-Encoding: quoted-printable",
      "",
      quotedPrintable(options.text),
      `--${boundary}`,
      "Content-Type: text/html; charset=utf-8",
      "Content-Transfer-Encoding: base64",
      "",
      Buffer.from(options.html, "utf8").toString("base64").replace(/.{76}/g, "$&\r\n"),
      `--${boundary}--`,
      ""
    ].join("\r\n")
  }
  if (options.html !== undefined) {
    return [
      ...headers,
      "Content-Type: text/html; charset=utf-8",
      "Content-Transfer-Encoding: base64",
      "",
      Buffer.from(options.html, "utf8").toString("base64").replace(/.{76}/g, "$&\r\n"),
      ""
    ].join("\r\n")
  }
  return [...headers, "Content-Type: text/plain; charset=utf-8", "", options.text ?? "", ""].join("\r\n")
}

const quotedPrintable = (text: string) =>
  Array.from(Buffer.from(text, "utf8"))
    .map((byte) =>
      (byte >= 33 && byte <= 126 && byte !== 61) || byte === 32
        ? String.fromCharCode(byte)
        : byte === 10
        ? "\r\n"
        : `=${byte.toString(16).toUpperCase().padStart(2, "0")}`
    )
    .join("")
