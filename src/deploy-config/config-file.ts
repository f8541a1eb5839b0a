// The deploy config on disk: read it, make sure it can be written, and replace it in one step.
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { type Stats } from 'node:fs'
import { access, type FileHandle, lstat, mkdir, open, readlink, realpath, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path'
import { types } from 'node:util'
import { ActionError } from '../common/errors.js'

/** Far larger than any deploy config: a bigger file is not one, and is not read. */
export const MAX_CONFIG_BYTES = 1024 * 1024

/**
 * The file's text, or undefined when it does not exist yet. Main calls this before any network call, so
 * it also checks that the file can be written: a run must not store the secret and then fail here.
 * Only a regular file inside the workspace is read: a pipe would block the run, a device never ends.
 */
export async function readDeployConfig(path: string, workspace: string): Promise<string | undefined> {
  const target = await locate(path, workspace)
  let text: string | undefined
  if (target.exists) {
    let file: FileHandle | undefined
    try {
      // Non-blocking, and checked again on the open file: what was checked by name could have been swapped.
      file = await open(target.path, constants.O_RDONLY | constants.O_NONBLOCK)
      checkKind(path, await file.stat())
      const buffer = Buffer.alloc(MAX_CONFIG_BYTES + 1)
      const { bytesRead } = await file.read(buffer, 0, buffer.length, 0)
      if (bytesRead > MAX_CONFIG_BYTES) throw tooLarge(path)
      text = buffer.toString('utf8', 0, bytesRead)
    } catch (error) {
      if (error instanceof ActionError) throw error
      throw new ActionError(`Input config-file: could not read ${path} (${reason(error)}); check the path and its permissions.`)
    } finally {
      await file?.close().catch(() => undefined)
    }
  }
  await checkWritable(path, target.exists)
  return text
}

interface Located {
  /** The path with every link resolved: what is read and replaced. */
  path: string
  exists: boolean
}

/** Where the file really is, refused unless it is a regular file of a sane size inside the workspace. */
async function locate(path: string, workspace: string): Promise<Located> {
  const root = await realpath(workspace).catch(() => resolve(workspace))
  let located: Located
  try {
    const stats = await stat(path)
    checkKind(path, stats)
    located = { path: await realpath(path), exists: true }
  } catch (error) {
    if (error instanceof ActionError) throw error
    if (errorCode(error) !== 'ENOENT') {
      throw new ActionError(`Input config-file: could not read ${path} (${reason(error)}); check the path and its permissions.`)
    }
    const link = await lstat(path).catch(() => undefined)
    if (link?.isSymbolicLink()) {
      throw new ActionError(
        `Input config-file: ${path} is a link to ${await readlink(path)}, which does not exist; create that file, or set config-file to the real path. Nothing was changed.`
      )
    }
    located = { path: await resolveMissing(path), exists: false }
  }
  const inside = relative(root, located.path)
  if (inside.startsWith('..') || isAbsolute(inside)) {
    throw new ActionError(
      `Input config-file: ${path} resolves to ${located.path}, outside the workspace ${root}; give a path inside the repository checkout, with no link leading out of it. Nothing was changed.`
    )
  }
  return located
}

/** A file that does not exist yet, placed where its nearest existing folder really is. */
async function resolveMissing(path: string): Promise<string> {
  const missing: string[] = []
  let at = resolve(path)
  for (;;) {
    const real = await realpath(at).catch(() => undefined)
    if (real) return join(real, ...missing.reverse())
    const parent = dirname(at)
    if (parent === at) return resolve(path)
    missing.push(basename(at))
    at = parent
  }
}

function checkKind(path: string, stats: Stats): void {
  if (stats.isDirectory()) throw isDirectory(path)
  if (!stats.isFile()) {
    const kind = stats.isFIFO()
      ? 'a named pipe (FIFO)'
      : stats.isCharacterDevice() || stats.isBlockDevice()
        ? 'a device'
        : stats.isSocket()
          ? 'a socket'
          : 'not a file'
    throw new ActionError(`Input config-file: ${path} is ${kind}, not a regular file; give the path of a pcc-deploy.toml file. Nothing was read or changed.`)
  }
  if (stats.size > MAX_CONFIG_BYTES) throw tooLarge(path)
}

function tooLarge(path: string): ActionError {
  return new ActionError(
    `Input config-file: ${path} is over ${MAX_CONFIG_BYTES / 1024 / 1024} MiB, far more than a deploy config ever is; give the path of the pcc-deploy.toml itself. Nothing was read or changed.`
  )
}

async function checkWritable(path: string, exists: boolean): Promise<void> {
  const target = await realpath(path).catch(() => path)
  if (exists) {
    await access(target, constants.W_OK).catch((error: unknown) => {
      throw new ActionError(
        `Input config-file: ${path} is not writable (${errorCode(error) ?? reason(error)}); make it writable for the runner's user (chmod u+w), or set config-file to another path. Nothing was changed.`
      )
    })
  }
  // The write creates missing directories, so it is the nearest existing one that must take a new file.
  const directory = await nearestDirectory(dirname(target))
  await access(directory, constants.W_OK | constants.X_OK).catch((error: unknown) => {
    throw new ActionError(
      `Input config-file: ${path} cannot be written: the directory ${directory} is not writable (${errorCode(error) ?? reason(error)}); make it writable for the runner's user, or set config-file to a path in a writable directory. Nothing was changed.`
    )
  })
}

async function nearestDirectory(directory: string): Promise<string> {
  for (;;) {
    try {
      await stat(directory)
      return directory
    } catch (error) {
      const parent = dirname(directory)
      if (errorCode(error) !== 'ENOENT' || parent === directory) return directory
      directory = parent
    }
  }
}

/**
 * Replaces the file in one step (temp file, fsync, rename), so a failed run never leaves half a config behind.
 * A symlink is written through, and the file keeps its mode: a 0600 config stays private.
 */
export async function writeDeployConfig(path: string, text: string, workspace: string): Promise<void> {
  // Located again: a link planted since the plan must not carry the write out of the workspace.
  const target = (await locate(path, workspace)).path
  const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`)
  let file: FileHandle | undefined
  let tempCreated = false
  try {
    const mode = await modeOf(target)
    await mkdir(dirname(target), { recursive: true })
    file = await open(temp, 'wx', mode)
    tempCreated = true
    await file.chmod(mode) // open() applies the umask; chmod does not
    await file.writeFile(text, 'utf8')
    await file.sync()
    await file.close()
    file = undefined
    await rename(temp, target)
  } catch (error) {
    await file?.close().catch(() => undefined)
    if (tempCreated) await rm(temp, { force: true }).catch(() => undefined)
    if (error instanceof ActionError) throw error
    throw new ActionError(`Input config-file: could not write ${path} (${reason(error)}); check that its directory is writable. The file was left as it was.`)
  }
}

async function modeOf(path: string): Promise<number> {
  try {
    const stats = await stat(path)
    if (stats.isDirectory()) throw isDirectory(path)
    return stats.mode & 0o777
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 0o644
    throw error
  }
}

function isDirectory(path: string): ActionError {
  return new ActionError(`Input config-file: ${path} is a directory; give a file path such as pcc-deploy.toml.`)
}

function errorCode(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code
}

function reason(error: unknown): string {
  // isNativeError, not instanceof: an error from Node's file system may come from another realm (a test's vm).
  return types.isNativeError(error) || error instanceof Error ? error.message : String(error)
}
