/**
 * Crash-safe file writes shared by `Credentials` and `FileKeyValueStore`.
 *
 * @internal
 */
import * as Crypto from "node:crypto"
import * as Fs from "node:fs/promises"
import * as Path from "node:path"

/** @internal */
export const tempSuffix = ".tmp"

/**
 * The name of a temporary sibling of `target`. It starts with a dot and ends with `.tmp`, so a
 * reader looking for `target` never picks it up.
 *
 * @internal
 */
export const tempPathFor = (target: string): string =>
  Path.join(
    Path.dirname(target),
    `.${Path.basename(target)}.${process.pid}.${Crypto.randomBytes(6).toString("hex")}${tempSuffix}`
  )

/** @internal */
export const isTempName = (name: string): boolean => name.startsWith(".") && name.endsWith(tempSuffix)

/**
 * Flushes a directory entry change (a rename or unlink) to disk. Some platforms (Windows) cannot
 * open a directory for syncing; durability there is best effort.
 *
 * @internal
 */
export const syncDirectory = async (directory: string): Promise<void> => {
  let handle: Fs.FileHandle | undefined
  try {
    handle = await Fs.open(directory, "r")
    await handle.sync()
  } catch {
    // best effort: not every platform can fsync a directory
  } finally {
    await handle?.close().catch(() => undefined)
  }
}

/**
 * Writes `data` to `target` so that readers see either the old content or the new one, never a
 * mix: write a temporary file in the same directory with `mode`, fsync it, rename it over the
 * target, fsync the directory. On failure the temporary file is removed.
 *
 * @internal
 */
export const writeFileAtomic = async (
  target: string,
  data: string | Uint8Array,
  mode: number
): Promise<void> => {
  const temp = tempPathFor(target)
  const handle = await Fs.open(temp, "wx", mode)
  try {
    try {
      await handle.chmod(mode)
      await handle.writeFile(data)
      await handle.sync()
    } finally {
      await handle.close()
    }
    await Fs.rename(temp, target)
  } catch (error) {
    await Fs.rm(temp, { force: true }).catch(() => undefined)
    throw error
  }
  await syncDirectory(Path.dirname(target))
}

/**
 * The `code` of a Node.js system error, if any.
 *
 * @internal
 */
export const errorCode = (error: unknown): string | undefined =>
  typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : undefined

/**
 * A one-line description of a file-system error, without any file content.
 *
 * @internal
 */
export const describeError = (error: unknown): string => error instanceof Error ? error.message : String(error)
