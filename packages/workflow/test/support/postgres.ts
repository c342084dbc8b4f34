/**
 * A PostgreSQL server for the tests: the one `.ci/run` started (HAI_TEST_PG_URL), or a private
 * one started here from the Debian package's binaries, as the `postgres` user when this process
 * is root (the server refuses to run as root), on 127.0.0.1, on a free port, in a temp data dir.
 * `stop` ends it and removes the directory.
 */
import { execFileSync, spawn } from "node:child_process"
import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface Postgres {
  /** A fresh database on the server, by name. */
  readonly database: (name: string) => Promise<string>
  readonly stop: () => Promise<void>
}

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      server.close(() => resolve(port))
    })
  })

const binDir = (): string => {
  const root = "/usr/lib/postgresql"
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : []
  for (const v of versions) {
    const dir = join(root, v, "bin")
    if (existsSync(join(dir, "initdb"))) return dir
  }
  throw new Error(
    "PostgreSQL server binaries not found under /usr/lib/postgresql: install the Debian package `postgresql` "
      + "(.ci/run does), or set HAI_TEST_PG_URL to a server's URL"
  )
}

const isRoot = typeof process.getuid === "function" && process.getuid() === 0

/** Runs a PostgreSQL binary as the `postgres` user when this process is root. */
const asPostgres = (command: string, args: ReadonlyArray<string>) =>
  isRoot ? { file: "runuser", args: ["-u", "postgres", "--", command, ...args] } : { file: command, args: [...args] }

/** The `psql` of the installed server. */
export const psqlPath = (): string => join(binDir(), "psql")

const psql = (url: string, sql: string) => {
  execFileSync(psqlPath(), [url, "-v", "ON_ERROR_STOP=1", "-q", "-c", sql], { stdio: "pipe" })
}

/** A query's rows as text, for a failing test's diagnostics; the error's text if it fails. */
export const dump = (url: string, sql: string): string => {
  try {
    return execFileSync(psqlPath(), [url, "-A", "-F", " ", "-c", sql], { stdio: "pipe", encoding: "utf8" })
  } catch (e) {
    return `(${sql}: ${String(e)})`
  }
}

/**
 * The stored cluster messages of one trial's workflow, each with its replies, for diagnostics.
 * Times are in ms after `at` (wall clock), read from the snowflake ids of the messages and replies;
 * `read_t` is the storage's read stamp, `due_t` a clock's delivery time.
 */
export const workflowMessages = (url: string, trial: string, at: number = Date.now()): string => {
  const snowflake = (column: string) => `((${column}::bigint >> 22) + ${Date.UTC(2025, 0, 1)} - ${at.toFixed(0)})`
  return dump(
    url,
    `SELECT ${snowflake("m.id")} AS t, m.entity_type, m.shard_id, m.tag, m.processed,
       extract(epoch from m.last_read) * 1000 - ${at.toFixed(0)} AS read_t, m.deliver_at - ${at.toFixed(0)} AS due_t,
       ${snowflake("r.id")} AS reply_t, substr(r.payload, 1, 70) AS reply
     FROM cluster_messages m LEFT JOIN cluster_replies r ON r.request_id = m.id
     WHERE m.entity_id IN (SELECT entity_id FROM cluster_messages WHERE tag = 'run' AND payload LIKE '%"id":"${trial}"%')
     ORDER BY m.id, r.id`
  )
}

export const start = async (): Promise<Postgres> => {
  const given = process.env.HAI_TEST_PG_URL
  if (given !== undefined && given !== "") {
    return {
      database: async (name) => {
        psql(given, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
        psql(given, `CREATE DATABASE ${name}`)
        const url = new URL(given)
        url.pathname = `/${name}`
        return url.toString()
      },
      stop: async () => {}
    }
  }
  const dir = binDir()
  const data = mkdtempSync(join(tmpdir(), "hai-pg-"))
  if (isRoot) execFileSync("chown", ["postgres:postgres", data])
  const port = await freePort()
  const init = asPostgres(join(dir, "initdb"), ["-D", data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"])
  execFileSync(init.file, init.args, { stdio: "pipe" })
  const run = asPostgres(join(dir, "postgres"), [
    "-D",
    data,
    "-h",
    "127.0.0.1",
    "-p",
    String(port),
    "-k",
    data,
    "-c",
    "fsync=off",
    "-c",
    "synchronous_commit=off",
    "-c",
    "full_page_writes=off",
    "-c",
    "max_connections=200"
  ])
  const server = spawn(run.file, run.args, { stdio: ["ignore", "ignore", "pipe"], detached: false })
  let log = ""
  server.stderr.on("data", (chunk) => (log += chunk))
  const base = `postgres://postgres@127.0.0.1:${port}/postgres`
  const deadline = Date.now() + 30_000
  for (;;) {
    try {
      psql(base, "SELECT 1")
      break
    } catch (error) {
      if (Date.now() > deadline || server.exitCode !== null) {
        server.kill("SIGKILL")
        rmSync(data, { recursive: true, force: true })
        throw new Error(`PostgreSQL did not start: ${String(error)}\n${log}`)
      }
      await new Promise((r) => setTimeout(r, 200))
    }
  }
  return {
    database: async (name) => {
      psql(base, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
      psql(base, `CREATE DATABASE ${name}`)
      return `postgres://postgres@127.0.0.1:${port}/${name}`
    },
    stop: async () => {
      const exited = new Promise<void>((resolve) => {
        if (server.exitCode !== null) resolve()
        else server.once("exit", () => resolve())
      })
      const stop = asPostgres(join(dir, "pg_ctl"), ["stop", "-D", data, "-m", "immediate", "-w"])
      try {
        execFileSync(stop.file, stop.args, { stdio: "pipe" })
      } catch {
        server.kill("SIGKILL")
      }
      const timer = setTimeout(() => server.kill("SIGKILL"), 10_000)
      await exited
      clearTimeout(timer)
      rmSync(data, { recursive: true, force: true })
    }
  }
}
