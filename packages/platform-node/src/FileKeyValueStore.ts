/**
 * A `KeyValueStore` (from `@effect/platform`) kept in a directory, one file per key, that
 * survives crashes: every `set` writes a temporary file, fsyncs it and renames it over the old
 * one, so a process killed mid-write leaves the previous value or the new one, never a torn mix.
 * The SDK's session runtime persists its event cursor and tool-call ledger through a
 * `KeyValueStore`; with this one a restarted process resumes where it stopped.
 *
 * Why not `NodeKeyValueStore.layerFileSystem` from `@effect/platform-node`: its `set` is a plain
 * `writeFile` (truncate, then write in place), so a crash mid-write leaves a truncated or empty
 * value, and it never fsyncs; its `clear` deletes the whole directory.
 *
 * Keys are encoded into file names that are safe on every file system, case-insensitive ones
 * included: `a-z`, `0-9`, `-` and `_` are kept, every other byte becomes `%XX` (upper-case hex);
 * names longer than 200 characters become a SHA-256 digest. Files are created with mode 600 in a
 * directory created with mode 700.
 *
 * @example
 * import { KeyValueStore } from "@effect/platform"
 * import { Effect } from "effect"
 * import { FileKeyValueStore } from "@hai-effect/platform-node"
 *
 * const program = Effect.gen(function*() {
 *   const store = yield* KeyValueStore.KeyValueStore
 *   yield* store.set("session/42/cursor", "17")
 *   return yield* store.get("session/42/cursor")
 * }).pipe(Effect.provide(FileKeyValueStore.layer(".hai-state")))
 *
 * @since 0.1.0
 */
import * as PlatformError from "@effect/platform/Error"
import * as KeyValueStore from "@effect/platform/KeyValueStore"
import * as Effect from "effect/Effect"
import * as Layer from "effect/Layer"
import * as Option from "effect/Option"
import * as Crypto from "node:crypto"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"
import { describeError, errorCode, isTempName, syncDirectory, writeFileAtomic } from "./internal/atomicFile.js"

const maxNameLength = 200

const isSafeByte = (byte: number) =>
  (byte >= 0x61 && byte <= 0x7a) || (byte >= 0x30 && byte <= 0x39) || byte === 0x2d || byte === 0x5f

/**
 * The file name a key is stored under.
 *
 * @example
 * import { FileKeyValueStore } from "@hai-effect/platform-node"
 *
 * FileKeyValueStore.fileName("session/Abc") // "session%2F%41bc"
 *
 * @since 0.1.0
 * @category Encoding
 */
export const fileName = (key: string): string => {
  let name = ""
  for (const byte of new TextEncoder().encode(key)) {
    name += isSafeByte(byte) ? String.fromCharCode(byte) : `%${byte.toString(16).toUpperCase().padStart(2, "0")}`
  }
  return name.length <= maxNameLength
    ? name
    : `%%${Crypto.createHash("sha256").update(key, "utf8").digest("hex")}`
}

const isKeyFileName = (name: string) => name.length > 0 && !name.startsWith(".")

const reasonOf = (error: unknown): PlatformError.SystemErrorReason => {
  switch (errorCode(error)) {
    case "ENOENT":
      return "NotFound"
    case "EACCES":
    case "EPERM":
      return "PermissionDenied"
    case "EEXIST":
      return "AlreadyExists"
    case "EISDIR":
    case "ENOTDIR":
    case "ELOOP":
      return "BadResource"
    case "EBUSY":
      return "Busy"
    default:
      return "Unknown"
  }
}

const attempt = <A>(method: string, path: string, f: () => Promise<A>): Effect.Effect<A, PlatformError.PlatformError> =>
  Effect.tryPromise({
    try: f,
    catch: (error) =>
      new PlatformError.SystemError({
        reason: reasonOf(error),
        module: "KeyValueStore",
        method,
        pathOrDescriptor: path,
        description: describeError(error)
      })
  })

const readOrNone = <A>(read: () => Promise<A>) => async (): Promise<Option.Option<A>> => {
  try {
    return Option.some(await read())
  } catch (error) {
    if (errorCode(error) === "ENOENT") return Option.none()
    throw error
  }
}

/**
 * Builds the store over `directory` (created, with mode 700, when missing).
 *
 * @example
 * import { Effect } from "effect"
 * import { FileKeyValueStore } from "@hai-effect/platform-node"
 *
 * const program = Effect.gen(function*() {
 *   const store = yield* FileKeyValueStore.make("/var/lib/my-agent")
 *   yield* store.set("cursor", "3")
 * })
 *
 * @since 0.1.0
 * @category Constructors
 */
export const make = (directory: string): Effect.Effect<KeyValueStore.KeyValueStore, PlatformError.PlatformError> =>
  Effect.gen(function*() {
    const root = Path.resolve(directory)
    yield* attempt("make", root, () => Fs.mkdir(root, { recursive: true, mode: 0o700 }))
    const withPath = <A>(
      method: string,
      key: string,
      f: (path: string) => Effect.Effect<A, PlatformError.PlatformError>
    ): Effect.Effect<A, PlatformError.PlatformError> =>
      key.length === 0
        ? Effect.fail(
          new PlatformError.BadArgument({ module: "KeyValueStore", method, description: "Key must not be empty" })
        )
        : Effect.suspend(() => f(Path.join(root, fileName(key))))
    const listKeyFiles = attempt(
      "size",
      root,
      async () => (await Fs.readdir(root, { withFileTypes: true })).filter((e) => e.isFile() && isKeyFileName(e.name))
    )

    return KeyValueStore.make({
      get: (key) => withPath("get", key, (path) => attempt("get", path, readOrNone(() => Fs.readFile(path, "utf8")))),
      getUint8Array: (key) =>
        withPath("getUint8Array", key, (path) =>
          attempt(
            "getUint8Array",
            path,
            readOrNone(async () => {
              const buffer = await Fs.readFile(path)
              return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
            })
          )),
      set: (key, value) =>
        withPath(
          "set",
          key,
          (path) => attempt("set", path, () => writeFileAtomic(path, value, 0o600)).pipe(Effect.uninterruptible)
        ),
      remove: (key) =>
        withPath("remove", key, (path) =>
          attempt("remove", path, async () => {
            await Fs.rm(path, { force: true })
            await syncDirectory(root)
          }).pipe(Effect.uninterruptible)),
      has: (key) =>
        withPath("has", key, (path) =>
          attempt("has", path, async () => {
            try {
              return (await Fs.stat(path)).isFile()
            } catch (error) {
              if (errorCode(error) === "ENOENT") return false
              throw error
            }
          })),
      clear: attempt("clear", root, async () => {
        const entries = await Fs.readdir(root, { withFileTypes: true })
        await Promise.all(
          entries
            .filter((e) => e.isFile() && (isKeyFileName(e.name) || isTempName(e.name)))
            .map((e) => Fs.rm(Path.join(root, e.name), { force: true }))
        )
        await syncDirectory(root)
      }).pipe(Effect.uninterruptible),
      size: Effect.map(listKeyFiles, (files) => files.length)
    })
  })

/**
 * The store as a layer providing `KeyValueStore.KeyValueStore`.
 *
 * @example
 * import { KeyValueStore } from "@effect/platform"
 * import { Effect } from "effect"
 * import { FileKeyValueStore } from "@hai-effect/platform-node"
 *
 * Effect.flatMap(KeyValueStore.KeyValueStore, (store) => store.get("cursor")).pipe(
 *   Effect.provide(FileKeyValueStore.layer("./.hai-state"))
 * )
 *
 * @since 0.1.0
 * @category Layers
 */
export const layer = (directory: string): Layer.Layer<KeyValueStore.KeyValueStore, PlatformError.PlatformError> =>
  Layer.effect(KeyValueStore.KeyValueStore, make(directory))
