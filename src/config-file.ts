// The deploy config on disk: read it, make sure it can be written, and replace it in one step.
import { randomBytes } from 'node:crypto'
import { constants } from 'node:fs'
import { access, type FileHandle, mkdir, open, readFile, realpath, rename, rm, stat } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { ActionError } from './errors.js'

/**
 * The file's text, or undefined when it does not exist yet. Main calls this before any network call, so
 * it also checks that the file can be written: a run must not store the secret and then fail here.
 */
export async function readDeployConfig(path: string): Promise<string | undefined> {
  let text: string | undefined
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if (errorCode(error) === 'EISDIR') throw isDirectory(path)
    if (errorCode(error) !== 'ENOENT') {
      throw new ActionError(`Input config-file: could not read ${path} (${reason(error)}); check the path and its permissions.`)
    }
  }
  await checkWritable(path, text !== undefined)
  return text
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
export async function writeDeployConfig(path: string, text: string): Promise<void> {
  const target = await realpath(path).catch(() => path)
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
  return error instanceof Error ? error.message : String(error)
}
