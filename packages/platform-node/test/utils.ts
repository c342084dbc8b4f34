import { ConfigProvider, Effect, Logger } from "effect"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"

/** A fresh directory under the OS temp dir, removed when the scope closes. */
export const tempDir = (prefix = "hai-platform-node-") =>
  Effect.acquireRelease(
    Effect.promise(() => Fs.mkdtemp(Path.join(Os.tmpdir(), prefix))),
    (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true }))
  )

/** A ConfigProvider standing for the process environment. */
export const withEnv = (env: Record<string, string>) =>
  Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

export interface CapturedLog {
  readonly level: string
  readonly message: string
  readonly annotations: Record<string, unknown>
}

/** Runs `effect` with a logger that records every log line; returns both. */
export const captureLogs = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const logs: Array<CapturedLog> = []
    const logger = Logger.make(({ annotations, logLevel, message }) => {
      logs.push({
        level: logLevel.label,
        message: Array.isArray(message) ? message.map(String).join(" ") : String(message),
        annotations: Object.fromEntries(annotations)
      })
    })
    const exit = yield* effect.pipe(
      Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
      Effect.exit
    )
    return { exit, logs }
  })

export const mode = async (path: string) => (await Fs.stat(path)).mode & 0o777

export const writeFile = async (path: string, text: string, fileMode = 0o600) => {
  await Fs.mkdir(Path.dirname(path), { recursive: true })
  await Fs.writeFile(path, text, { mode: fileMode })
  await Fs.chmod(path, fileMode)
}
