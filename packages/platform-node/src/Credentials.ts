/**
 * Where the API key and base URL come from, in the order H Company's official tools use:
 * the explicit option, `HAI_API_KEY`, `H_API_KEY`, `./.env` (in the working directory), then
 * `~/.config/hai/.env` (`$XDG_CONFIG_HOME/hai/.env` when that is set). The base URL follows the
 * same order with `HAI_API_BASE_URL`.
 *
 * Environment variables are read through Effect's `ConfigProvider` (the process environment by
 * default); the working and home directories through the {@link Location} reference. The key stays
 * `Redacted` from the file to the `Authorization` header: it never shows in errors, logs or
 * `inspect`.
 *
 * @example
 * import { Effect, Redacted } from "effect"
 * import { Credentials } from "@hai-effect/platform-node"
 *
 * const whoami = Effect.gen(function*() {
 *   const found = yield* Credentials.resolve()
 *   yield* Effect.log(`key from ${found.source}`) // never Redacted.value(found.apiKey)
 * })
 *
 * @since 0.1.0
 */
import * as Config from "effect/Config"
import type * as ConfigError from "effect/ConfigError"
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Redacted from "effect/Redacted"
import * as Schema from "effect/Schema"
import * as NodeFs from "node:fs"
import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import * as DotEnv from "./DotEnv.js"
import {
  describeError,
  describeKind,
  errorCode,
  followLinks,
  removeStaleTemps,
  syncDirectory,
  writeFileAtomic
} from "./internal/atomicFile.js"

// =============================================================================
// Location
// =============================================================================

/**
 * The directories credentials are looked up in.
 *
 * @since 0.1.0
 * @category Models
 */
export interface LocationService {
  /** The working directory, whose `.env` is the project file. */
  readonly cwd: string
  /** The home directory, whose `.config/hai/.env` is the user file (unless `XDG_CONFIG_HOME` is set). */
  readonly home: string
}

/**
 * The working and home directories. Defaults to `process.cwd()` and `os.homedir()`; provide
 * another value (see {@link layerLocation}) to look elsewhere, as tests do.
 *
 * @example
 * import { Effect } from "effect"
 * import { Credentials } from "@hai-effect/platform-node"
 *
 * Credentials.resolve().pipe(
 *   Effect.provideService(Credentials.Location, { cwd: "/tmp/project", home: "/tmp/home" })
 * )
 *
 * @since 0.1.0
 * @category Context
 */
export class Location extends Context.Reference<Location>()("@hai-effect/platform-node/Credentials/Location", {
  defaultValue: (): LocationService => ({
    get cwd() {
      return process.cwd()
    },
    get home() {
      return Os.homedir()
    }
  })
}) {}

/**
 * A layer of {@link Location}; directories not given default to the process's.
 *
 * @example
 * import { Layer } from "effect"
 * import { Credentials, NodeHai } from "@hai-effect/platform-node"
 *
 * const HaiLive = NodeHai.layerConfig().pipe(Layer.provide(Credentials.layerLocation({ home: "/srv/hai" })))
 *
 * @since 0.1.0
 * @category Layers
 */
export const layerLocation = (location: Partial<LocationService>): Layer.Layer<Location> =>
  Layer.sync(Location, () => ({ cwd: location.cwd ?? process.cwd(), home: location.home ?? Os.homedir() }))

// =============================================================================
// Errors
// =============================================================================

/**
 * No API key anywhere. The message says where it looked and what to do.
 *
 * @since 0.1.0
 * @category Errors
 */
export class MissingApiKey extends Schema.TaggedError<MissingApiKey>("@hai-effect/platform-node/MissingApiKey")(
  "MissingApiKey",
  { searched: Schema.Array(Schema.String) }
) {
  /** @since 0.1.0 */
  get message() {
    return `No H Company API key found (looked in ${
      this.searched.join(", ")
    }). Set HAI_API_KEY (for example \`export HAI_API_KEY=hk-...\`) or run \`hai login\`.`
  }
}

/**
 * A credentials file could not be read, written or removed. Carries the path and the system's
 * reason, never the file's content.
 *
 * @since 0.1.0
 * @category Errors
 */
export class CredentialsFileError
  extends Schema.TaggedError<CredentialsFileError>("@hai-effect/platform-node/CredentialsFileError")(
    "CredentialsFileError",
    { operation: Schema.Literal("read", "write", "remove"), path: Schema.String, reason: Schema.String }
  )
{
  /** @since 0.1.0 */
  get message() {
    return `Could not ${this.operation} the credentials file ${this.path}: ${this.reason}`
  }
}

/**
 * The configured base URL is not an http(s) URL. Its value is neither kept nor shown: what was
 * pasted into the wrong setting is often the key.
 *
 * @since 0.1.0
 * @category Errors
 */
export class InvalidBaseUrl extends Schema.TaggedError<InvalidBaseUrl>("@hai-effect/platform-node/InvalidBaseUrl")(
  "InvalidBaseUrl",
  { source: Schema.String }
) {
  /** @since 0.1.0 */
  get message() {
    return `The base URL from ${this.source} is not an http(s) URL (its value is not shown, as it may be a secret), e.g. https://agp.eu.hcompany.ai`
  }
}

const isHttpUrl = (value: string) => URL.canParse(value) && /^https?:$/.test(new URL(value).protocol)

/**
 * Every way {@link resolve} can fail.
 *
 * @since 0.1.0
 * @category Errors
 */
export type ResolveError = MissingApiKey | CredentialsFileError | InvalidBaseUrl | ConfigError.ConfigError

// =============================================================================
// Models
// =============================================================================

/**
 * Where a value was found: the option, an environment variable, or a file (`file:<absolute path>`).
 *
 * @since 0.1.0
 * @category Models
 */
export type Source = "option" | "env:HAI_API_KEY" | "env:H_API_KEY" | "env:HAI_API_BASE_URL" | `file:${string}`

/**
 * What {@link resolve} found.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Resolved {
  readonly apiKey: Redacted.Redacted<string>
  /** Absent when no source sets one: the client then uses its region's URL. */
  readonly baseUrl?: string
  /** Where the key came from (`whoami` and `doctor` print it). */
  readonly source: "option" | "env:HAI_API_KEY" | "env:H_API_KEY" | `file:${string}`
  /** Where the base URL came from, when there is one. */
  readonly baseUrlSource?: "option" | "env:HAI_API_BASE_URL" | `file:${string}`
}

/**
 * Values that win over every other source.
 *
 * @since 0.1.0
 * @category Models
 */
export interface ResolveOptions {
  /** An explicit key; an empty string counts as absent. */
  readonly apiKey?: Redacted.Redacted<string> | string | undefined
  readonly baseUrl?: string | URL | undefined
}

/**
 * The two files searched, in order.
 *
 * @since 0.1.0
 * @category Models
 */
export interface Paths {
  /** `<cwd>/.env` */
  readonly project: string
  /** `$XDG_CONFIG_HOME/hai/.env`, else `~/.config/hai/.env`; {@link save} writes here. */
  readonly user: string
}

// =============================================================================
// Resolution
// =============================================================================

const nonEmpty = (name: string) =>
  Config.option(Config.string(name)).pipe(Config.map(Option.filter((value) => value.trim().length > 0)))

const nonEmptyRedacted = (name: string) =>
  Config.option(Config.redacted(name)).pipe(
    Config.map(Option.filter((value) => Redacted.value(value).trim().length > 0))
  )

/**
 * The files searched for credentials, in order.
 *
 * @example
 * import { Effect } from "effect"
 * import { Credentials } from "@hai-effect/platform-node"
 *
 * const program = Effect.map(Credentials.paths, ({ user }) => `hai login writes ${user}`)
 *
 * @since 0.1.0
 * @category Resolution
 */
export const paths: Effect.Effect<Paths, ConfigError.ConfigError> = Effect.gen(function*() {
  const location = yield* Location
  const xdg = yield* nonEmpty("XDG_CONFIG_HOME")
  const configHome = Option.isSome(xdg) && Path.isAbsolute(xdg.value)
    ? xdg.value
    : Path.join(location.home, ".config")
  return {
    project: Path.resolve(location.cwd, ".env"),
    user: Path.resolve(configHome, "hai", ".env")
  }
})

interface LoadedFile {
  readonly path: string
  readonly values: Readonly<Record<string, string>>
  readonly mode: number
}

// Opening a FIFO for reading blocks until a writer shows up, and a device may never end: stat first
// and refuse anything but a regular file, then open without blocking and check again, in case the
// path was swapped in between.
const openFlags = NodeFs.constants.O_RDONLY | (NodeFs.constants.O_NONBLOCK ?? 0) | (NodeFs.constants.O_NOCTTY ?? 0)

const notRegular = (stat: Parameters<typeof describeKind>[0]) => new Error(`not a regular file (${describeKind(stat)})`)

const readText = (path: string): Effect.Effect<Option.Option<{ text: string; mode: number }>, CredentialsFileError> =>
  Effect.tryPromise({
    try: async () => {
      let handle: Fs.FileHandle
      try {
        const before = await Fs.stat(path)
        if (!before.isFile()) throw notRegular(before)
        handle = await Fs.open(path, openFlags)
      } catch (error) {
        const code = errorCode(error)
        if (code === "ENOENT" || code === "ENOTDIR") return Option.none()
        throw error
      }
      try {
        const stat = await handle.stat()
        if (!stat.isFile()) throw notRegular(stat)
        return Option.some({ text: await handle.readFile("utf8"), mode: stat.mode & 0o777 })
      } finally {
        await handle.close()
      }
    },
    catch: (error) => new CredentialsFileError({ operation: "read", path, reason: describeError(error) })
  })

const readFile = (path: string): Effect.Effect<Option.Option<LoadedFile>, CredentialsFileError> =>
  Effect.map(readText(path), Option.map(({ mode, text }) => ({ path, mode, values: DotEnv.parse(text) })))

const warnIfExposed = (file: LoadedFile): Effect.Effect<void> =>
  process.platform !== "win32" && (file.mode & 0o077) !== 0
    ? Effect.logWarning(
      `The credentials file ${file.path} can be read by other users (mode ${
        file.mode.toString(8).padStart(3, "0")
      }). Restrict it with: chmod 600 ${JSON.stringify(file.path)}`
    ).pipe(Effect.annotateLogs({ path: file.path, mode: file.mode.toString(8) }))
    : Effect.void

// Whoever can write a directory on the way to the file can replace it (or the link to it) with their own key.
const worldWritableDirectories = (path: string): Effect.Effect<ReadonlyArray<{ path: string; mode: number }>> =>
  Effect.promise(async () => {
    const directories = new Set([Path.dirname(path)])
    try {
      directories.add(Path.dirname(await Fs.realpath(path)))
    } catch {
      // unreadable link: the link's own directory is still checked
    }
    const out: Array<{ path: string; mode: number }> = []
    for (const directory of directories) {
      try {
        const mode = (await Fs.stat(directory)).mode & 0o7777
        if ((mode & 0o002) !== 0) out.push({ path: directory, mode })
      } catch {
        // vanished: nothing to warn about
      }
    }
    return out
  })

const warnIfReplaceable = (file: LoadedFile): Effect.Effect<void> =>
  process.platform === "win32"
    ? Effect.void
    : Effect.flatMap(worldWritableDirectories(file.path), (directories) =>
      Effect.forEach(directories, (directory) =>
        Effect.logWarning(
          `The directory ${directory.path} holding the credentials file ${file.path} can be written by every user (mode ${
            directory.mode.toString(8).padStart(3, "0")
          }): anyone could replace the file with their own key. Restrict it with: chmod o-w ${
            JSON.stringify(directory.path)
          }`
        ).pipe(Effect.annotateLogs({ path: file.path, directory: directory.path, mode: directory.mode.toString(8) })), {
        discard: true
      }))

const fileValue = (file: LoadedFile, name: string): string | undefined => {
  const value = file.values[name]
  return value !== undefined && value.trim().length > 0 ? value : undefined
}

/**
 * Finds the API key and base URL: the option, then `HAI_API_KEY`, `H_API_KEY`, `./.env`,
 * `~/.config/hai/.env` (or `$XDG_CONFIG_HOME/hai/.env`); the base URL the same way with
 * `HAI_API_BASE_URL`. In a file, `HAI_API_KEY` wins over `H_API_KEY`. Taking the key from a file
 * that other users can read logs a warning with the `chmod 600` fix.
 *
 * @example
 * import { Effect } from "effect"
 * import { Credentials } from "@hai-effect/platform-node"
 *
 * const doctor = Credentials.resolve().pipe(
 *   Effect.map(({ baseUrl, source }) => `key from ${source}, base URL ${baseUrl ?? "(region default)"}`),
 *   Effect.catchTag("MissingApiKey", (e) => Effect.succeed(e.message))
 * )
 *
 * @since 0.1.0
 * @category Resolution
 */
export const resolve: (options?: ResolveOptions) => Effect.Effect<Resolved, ResolveError> = Effect.fn(
  "Credentials.resolve"
)(function*(options?: ResolveOptions) {
  const files = yield* paths
  const searched = files.project === files.user ? [files.project] : [files.project, files.user]
  const loaded = new Map<string, Option.Option<LoadedFile>>()
  const load = (path: string) => {
    const cached = loaded.get(path)
    return cached !== undefined
      ? Effect.succeed(cached)
      : Effect.tap(readFile(path), (file) => Effect.sync(() => loaded.set(path, file)))
  }

  let apiKey: Redacted.Redacted<string> | undefined
  let source: Resolved["source"] | undefined
  const given = options?.apiKey
  const givenKey = given === undefined ? undefined : Redacted.isRedacted(given) ? given : Redacted.make(given)
  if (givenKey !== undefined && Redacted.value(givenKey).trim().length > 0) {
    apiKey = givenKey
    source = "option"
  }
  for (const name of ["HAI_API_KEY", "H_API_KEY"] as const) {
    if (apiKey !== undefined) break
    const fromEnv = yield* nonEmptyRedacted(name)
    if (Option.isSome(fromEnv)) {
      apiKey = fromEnv.value
      source = `env:${name}`
    }
  }
  for (const path of searched) {
    if (apiKey !== undefined) break
    const file = yield* load(path)
    if (Option.isNone(file)) continue
    const value = fileValue(file.value, "HAI_API_KEY") ?? fileValue(file.value, "H_API_KEY")
    if (value !== undefined) {
      apiKey = Redacted.make(value)
      source = `file:${path}`
      yield* warnIfExposed(file.value)
      yield* warnIfReplaceable(file.value)
    }
  }
  if (apiKey === undefined || source === undefined) {
    return yield* new MissingApiKey({ searched: ["option", "HAI_API_KEY", "H_API_KEY", ...searched] })
  }

  let baseUrl: string | undefined
  let baseUrlSource: Resolved["baseUrlSource"]
  if (options?.baseUrl !== undefined && String(options.baseUrl).trim().length > 0) {
    baseUrl = String(options.baseUrl)
    baseUrlSource = "option"
  }
  if (baseUrl === undefined) {
    const fromEnv = yield* nonEmpty("HAI_API_BASE_URL")
    if (Option.isSome(fromEnv)) {
      baseUrl = fromEnv.value.trim()
      baseUrlSource = "env:HAI_API_BASE_URL"
    }
  }
  for (const path of searched) {
    if (baseUrl !== undefined) break
    const file = yield* load(path)
    if (Option.isNone(file)) continue
    const value = fileValue(file.value, "HAI_API_BASE_URL")
    if (value !== undefined) {
      baseUrl = value.trim()
      baseUrlSource = `file:${path}`
    }
  }
  if (baseUrl !== undefined && baseUrlSource !== undefined) {
    if (!isHttpUrl(baseUrl)) return yield* new InvalidBaseUrl({ source: baseUrlSource })
    return { apiKey, source, baseUrl, baseUrlSource } satisfies Resolved
  }
  return { apiKey, source } satisfies Resolved
})

// =============================================================================
// Login / logout
// =============================================================================

/**
 * What {@link save} writes.
 *
 * @since 0.1.0
 * @category Models
 */
export interface SaveOptions {
  readonly apiKey: Redacted.Redacted<string> | string
  /** A URL sets `HAI_API_BASE_URL`; `null` removes it; absent leaves the file's line alone. */
  readonly baseUrl?: string | URL | null | undefined
}

const ensureUserDirectory = (directory: string) =>
  Effect.tryPromise({
    try: async () => {
      await Fs.mkdir(directory, { recursive: true, mode: 0o700 })
      if (process.platform !== "win32") await Fs.chmod(directory, 0o700).catch(() => undefined)
    },
    catch: (error) => new CredentialsFileError({ operation: "write", path: directory, reason: describeError(error) })
  })

// A save killed mid-write leaves a temporary holding the key next to the file it was replacing.
const removeLeftovers = (user: string) =>
  Effect.promise(async () => {
    await removeStaleTemps(user)
    const target = await followLinks(user).catch(() => user)
    if (target !== user) await removeStaleTemps(target)
  })

/**
 * Stores the key (what `hai login` does) in the user file, `~/.config/hai/.env` (or
 * `$XDG_CONFIG_HOME/hai/.env`), and returns its path. The directory is created with mode 700, the
 * file written with mode 600 atomically (temporary file in the same directory, fsync, rename),
 * so a crash leaves the old file or the new one. Other lines of an existing file are kept; a
 * stale `H_API_KEY` line is dropped. Temporaries that an earlier save left when it was killed are
 * removed. When the file is a symbolic link, the link is followed: the file it points to is
 * replaced (and created if missing) and the link stays. A path that is not a regular file (a
 * FIFO, a device, a directory) is refused with a `CredentialsFileError`, without blocking.
 *
 * @example
 * import { Effect, Redacted } from "effect"
 * import { Credentials } from "@hai-effect/platform-node"
 *
 * const login = (key: Redacted.Redacted<string>) =>
 *   Credentials.save({ apiKey: key }).pipe(Effect.tap((path) => Effect.log(`Saved to ${path}`)))
 *
 * @since 0.1.0
 * @category Login
 */
export const save: (
  options: SaveOptions
) => Effect.Effect<string, CredentialsFileError | ConfigError.ConfigError> = Effect.fn("Credentials.save")(
  function*(options: SaveOptions) {
    const { user } = yield* paths
    yield* ensureUserDirectory(Path.dirname(user))
    yield* removeLeftovers(user)
    const existing = yield* readText(user)
    const key = Redacted.isRedacted(options.apiKey) ? Redacted.value(options.apiKey) : options.apiKey
    const changes: Record<string, string | undefined> = { HAI_API_KEY: key, H_API_KEY: undefined }
    if (options.baseUrl === null) changes.HAI_API_BASE_URL = undefined
    else if (options.baseUrl !== undefined) changes.HAI_API_BASE_URL = String(options.baseUrl)
    const text = DotEnv.update(Option.match(existing, { onNone: () => "", onSome: ({ text }) => text }), changes)
    yield* Effect.tryPromise({
      try: async () => writeFileAtomic(await followLinks(user), text, 0o600),
      catch: (error) => new CredentialsFileError({ operation: "write", path: user, reason: describeError(error) })
    }).pipe(Effect.uninterruptible)
    return user
  }
)

/**
 * What the user file holds of what {@link save} writes (what `hai login` stored).
 *
 * @since 0.1.0
 * @category Models
 */
export interface Stored {
  /** The user file. */
  readonly path: string
  /** Whether it holds a key (`HAI_API_KEY` or `H_API_KEY`). */
  readonly hasKey: boolean
  /** Its `HAI_API_BASE_URL`, if any. */
  readonly baseUrl: string | undefined
}

/**
 * Reads the user file without resolving anything else (no environment variable, no project
 * file): what `hai logout` would forget. The key itself is not returned.
 *
 * @example
 * import { Effect } from "effect"
 * import { Credentials } from "@hai-effect/platform-node"
 *
 * const saved = Effect.map(Credentials.stored, (s) => s.baseUrl ?? "the region's URL")
 *
 * @since 0.1.0
 * @category Login
 */
export const stored: Effect.Effect<Stored, CredentialsFileError | ConfigError.ConfigError> = Effect.gen(function*() {
  const { user } = yield* paths
  const file = yield* readFile(user)
  if (Option.isNone(file)) return { path: user, hasKey: false, baseUrl: undefined }
  return {
    path: user,
    hasKey: (fileValue(file.value, "HAI_API_KEY") ?? fileValue(file.value, "H_API_KEY")) !== undefined,
    baseUrl: fileValue(file.value, "HAI_API_BASE_URL")?.trim()
  }
})

/**
 * What {@link remove} forgets besides the key.
 *
 * @since 0.1.0
 * @category Models
 */
export interface RemoveOptions {
  /** Also removes the file's `HAI_API_BASE_URL` (what `hai login --base-url` saved). */
  readonly baseUrl?: boolean | undefined
}

/**
 * Forgets the stored key (what `hai logout` does): removes the `HAI_API_KEY` and `H_API_KEY`
 * lines of the user file (and `HAI_API_BASE_URL` with `baseUrl: true`), keeping its other lines,
 * and deletes the file when nothing else is left (when the file is a symbolic link, the file it
 * points to is emptied instead and the link kept). Temporaries that a killed save left behind are
 * removed too. Succeeds with whether any of those lines was there. The project's `./.env` is
 * never touched.
 *
 * @example
 * import { Effect } from "effect"
 * import { Credentials } from "@hai-effect/platform-node"
 *
 * const logout = Credentials.remove().pipe(
 *   Effect.tap((removed) => Effect.log(removed ? "Logged out" : "Not logged in"))
 * )
 *
 * @since 0.1.0
 * @category Login
 */
export const remove: (
  options?: RemoveOptions
) => Effect.Effect<boolean, CredentialsFileError | ConfigError.ConfigError> = Effect.fn(
  "Credentials.remove"
)(function*(options?: RemoveOptions) {
  const { user } = yield* paths
  yield* removeLeftovers(user)
  const existing = yield* readText(user)
  if (Option.isNone(existing)) return false
  const names = options?.baseUrl === true
    ? ["HAI_API_KEY", "H_API_KEY", "HAI_API_BASE_URL"]
    : ["HAI_API_KEY", "H_API_KEY"]
  const values = DotEnv.parse(existing.value.text)
  if (names.every((name) => values[name] === undefined)) return false
  const text = DotEnv.update(existing.value.text, Object.fromEntries(names.map((name) => [name, undefined])))
  yield* Effect.tryPromise({
    try: async () => {
      const target = await followLinks(user)
      if (text.trim().length === 0 && target === user) {
        await Fs.rm(user, { force: true })
        await syncDirectory(Path.dirname(user))
      } else {
        await writeFileAtomic(target, text, 0o600)
      }
    },
    catch: (error) => new CredentialsFileError({ operation: "remove", path: user, reason: describeError(error) })
  }).pipe(Effect.uninterruptible)
  return true
})
