import { assert, describe, it } from "@effect/vitest"
import { Effect, Exit, Redacted } from "effect"
import * as ChildProcess from "node:child_process"
import * as NodeFs from "node:fs"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { Credentials } from "../src/index.js"
import { captureLogs, mode, tempDir, withEnv, writeFile } from "./utils.js"

const sandbox = Effect.gen(function*() {
  const root = yield* tempDir()
  const cwd = Path.join(root, "project")
  const home = Path.join(root, "home")
  yield* Effect.promise(() => Fs.mkdir(cwd, { recursive: true }))
  yield* Effect.promise(() => Fs.mkdir(home, { recursive: true }))
  const userFile = Path.join(home, ".config", "hai", ".env")
  const projectFile = Path.join(cwd, ".env")
  const run = <A, E, R>(effect: Effect.Effect<A, E, R>, env: Record<string, string> = {}) =>
    effect.pipe(Effect.provideService(Credentials.Location, { cwd, home }), withEnv(env))
  return { root, cwd, home, userFile, projectFile, run }
})

const listDir = (directory: string) => Effect.promise(() => Fs.readdir(directory))
const readText = (path: string) => Effect.promise(() => Fs.readFile(path, "utf8"))

/**
 * A real FIFO at `path`. When the scope closes, it is opened read-write once (which never blocks
 * on Linux), so that a reader stuck opening it (the bug under test) is released.
 */
const fifo = (path: string) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      await Fs.mkdir(Path.dirname(path), { recursive: true })
      ChildProcess.execFileSync("mkfifo", ["-m", "600", path])
    }),
    () =>
      Effect.sync(() => {
        try {
          NodeFs.closeSync(NodeFs.openSync(path, "r+"))
        } catch {
          // already gone
        }
      })
  )

/** The pid of a process that has exited. */
const deadPid = Effect.promise(() =>
  new Promise<number>((resolve, reject) => {
    const child = ChildProcess.spawn(process.execPath, ["-e", ""], { stdio: "ignore" })
    child.once("error", reject)
    child.once("exit", () => resolve(child.pid!))
  })
)

const tempName = (pid: number) => `..env.${pid}.${"0123456789ab"}.tmp`

describe("Credentials: files that are not regular files", () => {
  it.scopedLive("a FIFO as ./.env fails at once with a typed error instead of hanging", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* fifo(s.projectFile)
      const exit = yield* s.run(Credentials.resolve()).pipe(Effect.timeout("3 seconds"), Effect.exit)
      assert.isTrue(Exit.isFailure(exit))
      const error = yield* Effect.flip(exit)
      assert.strictEqual(error._tag, "CredentialsFileError", String(error))
      if (error._tag === "CredentialsFileError") {
        assert.strictEqual(error.path, s.projectFile)
        assert.include(error.reason, "not a regular file")
        assert.include(error.reason, "FIFO")
      }
    }))

  it.scopedLive("a FIFO as the user file: resolve and save fail at once, nothing is written", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* fifo(s.userFile)
      const resolved = yield* s.run(Credentials.resolve()).pipe(Effect.timeout("3 seconds"), Effect.flip)
      assert.strictEqual(resolved._tag, "CredentialsFileError", String(resolved))
      const saved = yield* s.run(Credentials.save({ apiKey: "hk-x" })).pipe(Effect.timeout("3 seconds"), Effect.flip)
      assert.strictEqual(saved._tag, "CredentialsFileError", String(saved))
      assert.isTrue((yield* Effect.promise(() => Fs.lstat(s.userFile))).isFIFO())
    }))

  it.scopedLive("a character device (/dev/zero, endless) is refused too", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* Effect.promise(() => Fs.symlink("/dev/zero", s.projectFile))
      const error = yield* s.run(Credentials.resolve()).pipe(Effect.timeout("3 seconds"), Effect.flip)
      assert.strictEqual(error._tag, "CredentialsFileError", String(error))
      assert.include(error.message, "not a regular file")
    }))
})

describe("Credentials: temporaries left by a crashed save", () => {
  it.scoped("save and remove delete stale temporaries (dead writer or old), and keep a live writer's fresh one", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      const dir = Path.dirname(s.userFile)
      const dead = yield* deadPid
      const staleDead = Path.join(dir, tempName(dead))
      const staleOld = Path.join(dir, tempName(process.pid).replace("0123", "4567"))
      const live = Path.join(dir, tempName(process.pid))
      const plant = Effect.promise(async () => {
        await writeFile(staleDead, "HAI_API_KEY=hk-leaked-by-a-crash\n")
        await writeFile(staleOld, "HAI_API_KEY=hk-leaked-long-ago\n")
        const hourAgo = new Date(Date.now() - 3_600_000)
        await Fs.utimes(staleOld, hourAgo, hourAgo)
        await writeFile(live, "HAI_API_KEY=hk-being-written\n")
      })
      yield* plant
      yield* s.run(Credentials.save({ apiKey: "hk-new" }))
      assert.deepStrictEqual((yield* listDir(dir)).sort(), [".env", tempName(process.pid)].sort())

      yield* Effect.promise(() => Fs.rm(live))
      yield* plant
      yield* Effect.promise(() => Fs.rm(live))
      assert.isTrue(yield* s.run(Credentials.remove()))
      assert.deepStrictEqual(yield* listDir(dir), [])
    }))

  it.scopedLive(
    "a real SIGKILL mid-save leaves a temporary holding the key; hai logout (remove) deletes it",
    () =>
      Effect.gen(function*() {
        const s = yield* sandbox
        const dir = Path.dirname(s.userFile)
        const fixture = new URL("./fixtures/save-loop.ts", import.meta.url).pathname
        // a large line that every save keeps makes each save long enough to be killed inside
        yield* Effect.promise(() => writeFile(s.userFile, `HAI_API_KEY=hk-0\n# ${"x".repeat(8 * 1024 * 1024)}\n`))
        let leftover: string | undefined
        for (let round = 0; round < 6 && leftover === undefined; round++) {
          leftover = yield* Effect.promise(() =>
            new Promise<string | undefined>((resolve, reject) => {
              const child = ChildProcess.spawn(process.execPath, ["--import", "tsx", fixture, s.home], {
                cwd: Path.dirname(fixture),
                stdio: ["ignore", "pipe", "inherit"]
              })
              let found: string | undefined
              child.once("error", reject)
              child.stdout.once("data", () => {
                // kill as soon as a temporary of this child has content: the save is being written
                const poll = setInterval(() => {
                  for (const name of NodeFs.readdirSync(dir)) {
                    if (!name.includes(`.${child.pid}.`)) continue
                    try {
                      if (NodeFs.statSync(Path.join(dir, name)).size === 0) continue
                    } catch {
                      continue
                    }
                    found = name
                    clearInterval(poll)
                    child.kill("SIGKILL")
                    return
                  }
                }, 1)
                child.once("exit", () => clearInterval(poll))
              })
              child.once("exit", (code, signal) =>
                signal === "SIGKILL"
                  ? resolve(found !== undefined && NodeFs.existsSync(Path.join(dir, found)) ? found : undefined)
                  : reject(new Error(`the saving child exited by itself: ${code}`)))
            })
          )
        }
        assert.isDefined(leftover, "no kill landed inside a save in 6 rounds")
        assert.include(yield* readText(Path.join(dir, leftover!)), "HAI_API_KEY=hk-loop-")
        // the committed file is whole: one key and the large line
        const committed = yield* readText(s.userFile)
        assert.match(committed, /^HAI_API_KEY=hk-(loop-)?\d+\n# x+\n$/)

        assert.isTrue(yield* s.run(Credentials.remove()))
        const names = yield* listDir(dir)
        assert.deepStrictEqual(names, [".env"], "remove leaves no temporary behind")
        assert.notInclude(yield* readText(s.userFile), "HAI_API_KEY")
      }),
    120_000
  )
})

describe("Credentials: a symlinked user file", () => {
  it.scoped("save follows the link: the link stays, its target gets the new key, no copy keeps the old one", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      const dotfiles = Path.join(s.root, "dotfiles")
      const target = Path.join(dotfiles, "hai.env")
      yield* Effect.promise(() => writeFile(target, "# from my dotfiles\nHAI_API_KEY=hk-old-key\n"))
      yield* Effect.promise(() => Fs.mkdir(Path.dirname(s.userFile), { recursive: true }))
      yield* Effect.promise(() => Fs.symlink(Path.relative(Path.dirname(s.userFile), target), s.userFile))

      const path = yield* s.run(Credentials.save({ apiKey: "hk-new-key" }))
      assert.strictEqual(path, s.userFile)
      assert.isTrue((yield* Effect.promise(() => Fs.lstat(s.userFile))).isSymbolicLink())
      assert.strictEqual(yield* readText(target), "# from my dotfiles\nHAI_API_KEY=hk-new-key\n")
      assert.strictEqual(yield* Effect.promise(() => mode(target)), 0o600)
      assert.deepStrictEqual(yield* listDir(dotfiles), ["hai.env"])
      const resolved = yield* s.run(Credentials.resolve())
      assert.strictEqual(Redacted.value(resolved.apiKey), "hk-new-key")

      // logout empties the target (the link stays valid) rather than deleting the link and leaving the key
      assert.isTrue(yield* s.run(Credentials.remove()))
      assert.notInclude(yield* readText(target), "HAI_API_KEY")
      assert.isTrue((yield* Effect.promise(() => Fs.lstat(s.userFile))).isSymbolicLink())
    }))

  it.scoped("a dangling link is followed: the key is written where it points", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      const target = Path.join(s.root, "dotfiles", "hai.env")
      yield* Effect.promise(() => Fs.mkdir(Path.dirname(target), { recursive: true }))
      yield* Effect.promise(() => Fs.mkdir(Path.dirname(s.userFile), { recursive: true }))
      yield* Effect.promise(() => Fs.symlink(target, s.userFile))
      yield* s.run(Credentials.save({ apiKey: "hk-new-key" }))
      assert.isTrue((yield* Effect.promise(() => Fs.lstat(s.userFile))).isSymbolicLink())
      assert.strictEqual(yield* readText(target), "HAI_API_KEY=hk-new-key\n")
    }))
})

describe("Credentials: a world-writable directory", () => {
  it.scoped("taking the key from a file in a world-writable directory logs a warning with the fix", () =>
    Effect.gen(function*() {
      const s = yield* sandbox
      yield* Effect.promise(() => writeFile(s.projectFile, "HAI_API_KEY=hk-project\n"))
      yield* Effect.promise(() => Fs.chmod(s.cwd, 0o777))
      const { exit, logs } = yield* captureLogs(s.run(Credentials.resolve()))
      assert.isTrue(Exit.isSuccess(exit))
      const warnings = logs.filter((log) => log.level === "WARN")
      assert.strictEqual(warnings.length, 1, JSON.stringify(logs))
      assert.include(warnings[0].message, s.cwd)
      assert.include(warnings[0].message, "chmod o-w")
      assert.notInclude(JSON.stringify(logs), "hk-project")

      yield* Effect.promise(() => Fs.chmod(s.cwd, 0o755))
      const quiet = yield* captureLogs(s.run(Credentials.resolve()))
      assert.deepStrictEqual(quiet.logs.filter((log) => log.level === "WARN"), [])
    }))
})
