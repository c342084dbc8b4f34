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

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    // EPERM: the process exists but belongs to someone else
    return errorCode(error) === "EPERM"
  }
}

/**
 * How old a temporary must be to count as abandoned even when its writer's pid is alive (pids are
 * reused, and a write never takes this long).
 *
 * @internal
 */
export const staleTempAge = 60_000

/**
 * Removes the temporaries that writes of `target` left behind when their process was killed
 * mid-write (they may hold a secret): those whose writer is no longer running, and those older
 * than {@link staleTempAge}. A fresh temporary of a live process is a write in progress and is
 * kept. Best effort: a temporary that cannot be removed is left. Returns how many were removed.
 *
 * @internal
 */
export const removeStaleTemps = async (target: string): Promise<number> => {
  const directory = Path.dirname(target)
  const pattern = new RegExp(
    `^\\.${escapeRegExp(Path.basename(target))}\\.(\\d+)\\.[0-9a-f]+${escapeRegExp(tempSuffix)}$`
  )
  let names: Array<string>
  try {
    names = await Fs.readdir(directory)
  } catch {
    return 0
  }
  let removed = 0
  const now = Date.now()
  for (const name of names) {
    const match = pattern.exec(name)
    if (match === null) continue
    const path = Path.join(directory, name)
    try {
      const stat = await Fs.lstat(path)
      if (!stat.isFile()) continue
      const pid = Number(match[1])
      const abandoned = now - stat.mtimeMs > staleTempAge || (pid !== process.pid && !isAlive(pid))
      if (!abandoned) continue
      await Fs.rm(path, { force: true })
      removed++
    } catch {
      // gone already, or not ours to remove
    }
  }
  if (removed > 0) await syncDirectory(directory)
  return removed
}

/**
 * The file a write of `path` should replace: `path` itself, or, when it is a symbolic link, the
 * file at the end of the chain of links (which may not exist yet). Writing there keeps the link
 * and leaves no copy of the old content behind.
 *
 * @internal
 */
export const followLinks = async (path: string): Promise<string> => {
  let current = path
  for (let hops = 0; hops < 40; hops++) {
    let stat: Awaited<ReturnType<typeof Fs.lstat>>
    try {
      stat = await Fs.lstat(current)
    } catch (error) {
      if (errorCode(error) === "ENOENT") return current
      throw error
    }
    if (!stat.isSymbolicLink()) return current
    current = Path.resolve(Path.dirname(current), await Fs.readlink(current))
  }
  throw new Error(`too many levels of symbolic links at ${path}`)
}

/**
 * What kind of file a stat describes, for messages.
 *
 * @internal
 */
export const describeKind = (
  stat: {
    isFIFO(): boolean
    isSocket(): boolean
    isDirectory(): boolean
    isCharacterDevice(): boolean
    isBlockDevice(): boolean
  }
): string =>
  stat.isFIFO()
    ? "a FIFO"
    : stat.isSocket()
    ? "a socket"
    : stat.isDirectory()
    ? "a directory"
    : stat.isCharacterDevice()
    ? "a character device"
    : stat.isBlockDevice()
    ? "a block device"
    : "not a file"

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
