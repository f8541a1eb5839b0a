import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as fs from 'node:fs/promises'
import { readdirSync, statSync } from 'node:fs'
import { createServer, type Server } from 'node:net'
import { tmpdir } from 'node:os'
import { execFileSync } from 'node:child_process'
import { dirname, join } from 'node:path'

// A switchable rename failure, to see what a write that fails halfway leaves behind.
let failRename = false
// Root may write anywhere, and these tests may run as root: the paths a runner's user could not write are
// told apart by their mode (0444, 0555) and refused here as the kernel would refuse that user.
const denied = new Set<string>()
const deny = (path: string) => denied.add(path)
const asRoot = () => process.getuid?.() === 0
// What no file system does on demand: an access check failing with a given error, a file growing between
// its check and its read, a disk filling mid-write, and a change made just before a given stat.
const accessFailures = new Map<string, unknown>()
let growAfterCheck: number | undefined
let failWrite: Error | undefined
let beforeStat: ((path: string) => Promise<void>) | undefined
const unreadable = new Set<string>()
jest.unstable_mockModule('node:fs/promises', () => ({
  ...fs,
  rename: async (from: string, to: string) => {
    if (failRename) throw Object.assign(new Error('EXDEV: cross-device link not permitted, rename'), { code: 'EXDEV' })
    return fs.rename(from, to)
  },
  access: async (path: string, mode?: number) => {
    if (accessFailures.has(path)) throw accessFailures.get(path)
    if (denied.has(path) && asRoot()) throw Object.assign(new Error(`EACCES: permission denied, access '${path}'`), { code: 'EACCES' })
    return fs.access(path, mode)
  },
  stat: async (path: string) => {
    await beforeStat?.(path)
    return fs.stat(path)
  },
  open: async (path: string, flags?: string | number, mode?: number) => {
    const refused = (denied.has(dirname(path)) && flags === 'wx') || (unreadable.has(path) && flags !== 'wx')
    if (refused && asRoot()) throw Object.assign(new Error(`EACCES: permission denied, open '${path}'`), { code: 'EACCES' })
    const handle = await fs.open(path, flags, mode)
    return new Proxy(handle, {
      get(target, key) {
        if (key === 'stat' && growAfterCheck !== undefined) {
          const size = growAfterCheck
          return async () => {
            const checked = await target.stat()
            await fs.truncate(path, size)
            return checked
          }
        }
        if (key === 'writeFile' && failWrite) {
          const error = failWrite
          return async () => {
            throw error
          }
        }
        const value: unknown = Reflect.get(target, key)
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value
      }
    })
  }
}))
const { MAX_CONFIG_BYTES, readDeployConfig, writeDeployConfig } = await import('../../src/deploy-config/config-file.js')
const { ActionError } = await import('../../src/common/errors.js')

const literal = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
/** A message with a system error's own message inside its parentheses. */
const withCause = (before: string, cause: string, after: string) => new RegExp(`^${literal(before)}\\(${literal(cause)}\\)${literal(after)}$`)

describe('reading and writing the file', () => {
  let directory: string
  let umask: number
  beforeEach(async () => {
    directory = await fs.mkdtemp(join(tmpdir(), 'deploy-config-'))
    umask = process.umask(0o077) // new files must be 0644 whatever the runner's umask
  })
  afterEach(async () => {
    process.umask(umask)
    failRename = false
    denied.clear()
    accessFailures.clear()
    unreadable.clear()
    growAfterCheck = undefined
    failWrite = undefined
    beforeStat = undefined
    await fs.chmod(directory, 0o700)
    await fs.rm(directory, { recursive: true, force: true })
  })

  it('reads a file, and a missing file as undefined', async () => {
    await fs.writeFile(join(directory, 'pcc-deploy.toml'), 'agent_name = "a"\n')
    expect(await readDeployConfig(join(directory, 'pcc-deploy.toml'), directory)).toBe('agent_name = "a"\n')
    expect(await readDeployConfig(join(directory, 'missing.toml'), directory)).toBeUndefined()
  })

  it('refuses to read or write a directory', async () => {
    const message = `Input config-file: ${directory} is a directory; give a file path such as pcc-deploy.toml.`
    await expect(readDeployConfig(directory, directory)).rejects.toThrow(new ActionError(message))
    await expect(writeDeployConfig(directory, 'agent_name = "a"\n', directory)).rejects.toThrow(new ActionError(message))
    expect(await fs.readdir(directory)).toStrictEqual([])
  })

  it('replaces a file in place, keeping mode 0600 and leaving no temp file', async () => {
    const file = join(directory, 'pcc-deploy.toml')
    await fs.writeFile(file, 'agent_name = "a"\n', { mode: 0o600 })
    await writeDeployConfig(file, 'agent_name = "b"\n', directory)
    expect(await fs.readFile(file, 'utf8')).toBe('agent_name = "b"\n')
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600)
    expect(await fs.readdir(directory)).toStrictEqual(['pcc-deploy.toml'])
  })

  it('creates missing directories and a 0644 file', async () => {
    const file = join(directory, 'agents', 'support', 'pcc-deploy.toml')
    await writeDeployConfig(file, 'agent_name = "a"\n', directory)
    expect(await fs.readFile(file, 'utf8')).toBe('agent_name = "a"\n')
    expect((await fs.stat(file)).mode & 0o777).toBe(0o644)
    expect(await fs.readdir(join(directory, 'agents', 'support'))).toStrictEqual(['pcc-deploy.toml'])
  })

  it('writes through a symlink instead of replacing it', async () => {
    await fs.writeFile(join(directory, 'shared.toml'), 'agent_name = "a"\n')
    await fs.symlink('shared.toml', join(directory, 'pcc-deploy.toml'))
    await writeDeployConfig(join(directory, 'pcc-deploy.toml'), 'agent_name = "b"\n', directory)
    expect(await fs.readlink(join(directory, 'pcc-deploy.toml'))).toBe('shared.toml')
    expect(await fs.readFile(join(directory, 'shared.toml'), 'utf8')).toBe('agent_name = "b"\n')
  })

  it('leaves the old file and no temp file when the final rename fails', async () => {
    const file = join(directory, 'pcc-deploy.toml')
    await fs.writeFile(file, 'agent_name = "a"\n')
    failRename = true
    await expect(writeDeployConfig(file, 'agent_name = "b"\n', directory)).rejects.toThrow(
      new ActionError(
        `Input config-file: could not write ${file} (EXDEV: cross-device link not permitted, rename); check that its directory is writable. The file was left as it was.`
      )
    )
    expect(await fs.readFile(file, 'utf8')).toBe('agent_name = "a"\n')
    expect(await fs.readdir(directory)).toStrictEqual(['pcc-deploy.toml'])
  })

  it('reads a file that does not exist yet, under directories that do not exist yet', async () => {
    expect(await readDeployConfig(join(directory, 'agents', 'support', 'pcc-deploy.toml'), directory)).toBeUndefined()
  })

  it('refuses, before anything else happens, a file it could not write later', async () => {
    const file = join(directory, 'pcc-deploy.toml')
    await fs.writeFile(file, 'agent_name = "a"\n', { mode: 0o444 })
    deny(file)
    await expect(readDeployConfig(file, directory)).rejects.toThrow(
      new ActionError(
        `Input config-file: ${file} is not writable (EACCES); make it writable for the runner's user (chmod u+w), or set config-file to another path. Nothing was changed.`
      )
    )
  })

  it.each([
    ['an existing file', ['pcc-deploy.toml']],
    ['a new file', ['pcc-deploy.toml']],
    ['a new file under directories still to be made', ['agents', 'support', 'pcc-deploy.toml']]
  ])('refuses %s in a directory it cannot write to, naming that directory', async (kind, parts) => {
    const file = join(directory, ...parts)
    if (kind === 'an existing file') await fs.writeFile(file, 'agent_name = "a"\n')
    await fs.chmod(directory, 0o555)
    deny(directory)
    await expect(readDeployConfig(file, directory)).rejects.toThrow(
      new ActionError(
        `Input config-file: ${file} cannot be written: the directory ${directory} is not writable (EACCES); make it writable for the runner's user, or set config-file to a path in a writable directory. Nothing was changed.`
      )
    )
  })

  describe('refuses what is not a deploy config in the workspace, before opening it, and writes nothing', () => {
    const refusal = (path: string, what: RegExp) => expect(readDeployConfig(path, directory)).rejects.toThrow(what)

    it('a named pipe, which would block the read', async () => {
      const fifo = join(directory, 'pcc-deploy.toml')
      execFileSync('mkfifo', [fifo])
      await refusal(
        fifo,
        /^Input config-file: .*pcc-deploy\.toml is a named pipe \(FIFO\), not a regular file; give the path of a pcc-deploy\.toml file\. Nothing was read or changed\.$/
      )
    })

    it('a device, directly or through a link', async () => {
      await fs.symlink('/dev/zero', join(directory, 'zero.toml'))
      await expect(readDeployConfig('/dev/zero', directory)).rejects.toThrow(/^Input config-file: \/dev\/zero is a device, not a regular file/)
      await refusal(join(directory, 'zero.toml'), /zero\.toml is a device, not a regular file/)
    })

    it('a file over 1 MiB, unread', async () => {
      const large = join(directory, 'pcc-deploy.toml')
      await fs.writeFile(large, '')
      await fs.truncate(large, MAX_CONFIG_BYTES + 1)
      await refusal(large, /pcc-deploy\.toml is over 1 MiB, far more than a deploy config ever is/)
    })

    it('a file outside the workspace, by path or through a link, for reading and for writing', async () => {
      const outside = await fs.mkdtemp(join(tmpdir(), 'outside-'))
      try {
        await fs.writeFile(join(outside, 'pcc-deploy.toml'), 'agent_name = "a"\n')
        await fs.symlink(join(outside, 'pcc-deploy.toml'), join(directory, 'linked.toml'))
        await fs.symlink(outside, join(directory, 'elsewhere'))
        const outsideMessage =
          /resolves to .*outside-\w+.*, outside the workspace .*; give a path inside the repository checkout, with no link leading out of it\. Nothing was changed\.$/
        await refusal(join(outside, 'pcc-deploy.toml'), outsideMessage)
        await refusal(join(directory, 'linked.toml'), outsideMessage)
        await refusal(join(directory, 'elsewhere', 'new.toml'), outsideMessage)
        await expect(writeDeployConfig(join(directory, 'linked.toml'), 'agent_name = "b"\n', directory)).rejects.toThrow(outsideMessage)
        expect(await fs.readdir(outside)).toStrictEqual(['pcc-deploy.toml'])
        expect(await fs.readFile(join(outside, 'pcc-deploy.toml'), 'utf8')).toBe('agent_name = "a"\n')
      } finally {
        await fs.rm(outside, { recursive: true, force: true })
      }
    })

    it('a link to a file that does not exist', async () => {
      await fs.symlink('nowhere.toml', join(directory, 'pcc-deploy.toml'))
      await refusal(
        join(directory, 'pcc-deploy.toml'),
        /pcc-deploy\.toml is a link to nowhere\.toml, which does not exist; create that file, or set config-file to the real path/
      )
    })

    it('a relative path against the working directory, which is the workspace on a runner', async () => {
      await fs.writeFile(join(directory, 'pcc-deploy.toml'), 'agent_name = "a"\n')
      const cwd = process.cwd()
      process.chdir(directory)
      try {
        expect(await readDeployConfig('pcc-deploy.toml', directory)).toBe('agent_name = "a"\n')
        await expect(readDeployConfig('../pcc-deploy.toml', directory)).rejects.toThrow(/outside the workspace/)
      } finally {
        process.chdir(cwd)
      }
    })
  })

  describe('what the file holds is returned as it is: this module reads text, the caller parses it', () => {
    it.each([
      ['an empty file, as text rather than as a missing one', ''],
      ['text that is not TOML', '{"agent_name": "a"}\n<<<<<<< HEAD\n'],
      ['odd keys and values, unquoted, unicode and CRLF line ends', 'agent_name = "a"\r\n"ключ.с точкой" = "значение 🚀"\r\n[[secrets]]\r\n= =\r\n'],
      ['exactly 1 MiB', 'x'.repeat(MAX_CONFIG_BYTES)]
    ])('%s', async (_, text) => {
      const file = join(directory, 'pcc-deploy.toml')
      await fs.writeFile(file, text)

      const read = await readDeployConfig(file, directory)

      expect(read).toBe(text)
      expect(read?.length).toBe(text.length)
    })

    it('writes text back unchanged, and a changed text in its place', async () => {
      const file = join(directory, 'pcc-deploy.toml')
      const text = 'agent_name = "a"\n# ключ 🚀\n'
      await fs.writeFile(file, text)
      await fs.chmod(file, 0o640)

      await writeDeployConfig(file, text, directory)
      const unchanged = await readDeployConfig(file, directory)
      await writeDeployConfig(file, `${text}image = "b"\n`, directory)

      expect(unchanged).toBe(text)
      expect(await readDeployConfig(file, directory)).toBe(`${text}image = "b"\n`)
      expect((await fs.stat(file)).mode & 0o777).toBe(0o640)
      expect(await fs.readdir(directory)).toStrictEqual(['pcc-deploy.toml'])
    })
  })

  describe('paths that cannot be read, each with its cause', () => {
    it('a path under a regular file, for reading and for writing', async () => {
      await fs.writeFile(join(directory, 'agents'), 'not a folder\n')
      const file = join(directory, 'agents', 'pcc-deploy.toml')
      const message = withCause(
        `Input config-file: could not read ${file} `,
        `ENOTDIR: not a directory, stat '${file}'`,
        '; check the path and its permissions.'
      )

      await expect(readDeployConfig(file, directory)).rejects.toThrow(message)
      await expect(writeDeployConfig(file, 'agent_name = "a"\n', directory)).rejects.toThrow(message)
      expect(await fs.readFile(join(directory, 'agents'), 'utf8')).toBe('not a folder\n')
    })

    it('a loop of links', async () => {
      const file = join(directory, 'pcc-deploy.toml')
      await fs.symlink('other.toml', file)
      await fs.symlink('pcc-deploy.toml', join(directory, 'other.toml'))

      await expect(readDeployConfig(file, directory)).rejects.toThrow(
        withCause(
          `Input config-file: could not read ${file} `,
          `ELOOP: too many symbolic links encountered, stat '${file}'`,
          '; check the path and its permissions.'
        )
      )
    })

    it('a file the runner may not read, naming the reason', async () => {
      const file = join(await fs.realpath(directory), 'pcc-deploy.toml')
      await fs.writeFile(file, 'agent_name = "a"\n')
      await fs.chmod(file, 0o200)
      unreadable.add(file)

      await expect(readDeployConfig(file, directory)).rejects.toThrow(
        withCause(`Input config-file: could not read ${file} `, `EACCES: permission denied, open '${file}'`, '; check the path and its permissions.')
      )
    })

    it('a socket', async () => {
      const socket = join(directory, 'pcc-deploy.toml')
      const server: Server = createServer()
      await new Promise<void>(done => server.listen(socket, done))
      try {
        await expect(readDeployConfig(socket, directory)).rejects.toThrow(
          new ActionError(`Input config-file: ${socket} is a socket, not a regular file; give the path of a pcc-deploy.toml file. Nothing was read or changed.`)
        )
      } finally {
        await new Promise<void>(done => server.close(() => done()))
      }
    })

    const blockDevice = readdirSync('/dev')
      .map(name => join('/dev', name))
      .find(path => {
        try {
          return statSync(path).isBlockDevice()
        } catch {
          return false
        }
      })
    ;(blockDevice ? it : it.skip)('a block device, through a link', async () => {
      const link = join(directory, 'pcc-deploy.toml')
      await fs.symlink(blockDevice as string, link)

      await expect(readDeployConfig(link, directory)).rejects.toThrow(
        new ActionError(`Input config-file: ${link} is a device, not a regular file; give the path of a pcc-deploy.toml file. Nothing was read or changed.`)
      )
    })

    it('a file that grows past 1 MiB between its check and its read, unread', async () => {
      const file = join(directory, 'pcc-deploy.toml')
      await fs.writeFile(file, 'agent_name = "a"\n')
      growAfterCheck = MAX_CONFIG_BYTES + 1

      await expect(readDeployConfig(file, directory)).rejects.toThrow(
        new ActionError(
          `Input config-file: ${file} is over 1 MiB, far more than a deploy config ever is; give the path of the pcc-deploy.toml itself. Nothing was read or changed.`
        )
      )
    })
  })

  it('takes a workspace that does not exist yet as the path it names', async () => {
    const workspace = join(directory, 'checkout')

    expect(await readDeployConfig(join(workspace, 'agents', 'pcc-deploy.toml'), workspace)).toBeUndefined()
    await expect(readDeployConfig(join(directory, 'pcc-deploy.toml'), workspace)).rejects.toThrow(
      new ActionError(
        `Input config-file: ${join(directory, 'pcc-deploy.toml')} resolves to ${join(await fs.realpath(directory), 'pcc-deploy.toml')}, outside the workspace ${workspace}; give a path inside the repository checkout, with no link leading out of it. Nothing was changed.`
      )
    )
  })

  it.each([
    ['an error with no code, by its message', new Error('refused by the sandbox policy'), 'refused by the sandbox policy'],
    ['a value that is not an error, as text', 'EROFS', 'EROFS']
  ])('describes a failed write check with %s', async (_, failure, said) => {
    const file = join(directory, 'pcc-deploy.toml')
    await fs.writeFile(file, 'agent_name = "a"\n')
    const real = await fs.realpath(file)
    accessFailures.set(real, failure)

    await expect(readDeployConfig(file, directory)).rejects.toThrow(
      new ActionError(
        `Input config-file: ${file} is not writable (${said}); make it writable for the runner's user (chmod u+w), or set config-file to another path. Nothing was changed.`
      )
    )
    accessFailures.clear()
    accessFailures.set(dirname(real), failure)
    await expect(readDeployConfig(file, directory)).rejects.toThrow(
      new ActionError(
        `Input config-file: ${file} cannot be written: the directory ${dirname(real)} is not writable (${said}); make it writable for the runner's user, or set config-file to a path in a writable directory. Nothing was changed.`
      )
    )
  })

  describe('a write that fails leaves the old file and no temp file', () => {
    it('when the directory became read-only after the check', async () => {
      const file = join(directory, 'pcc-deploy.toml')
      await fs.writeFile(file, 'agent_name = "a"\n')
      await fs.chmod(directory, 0o555)
      deny(directory)

      await expect(writeDeployConfig(file, 'agent_name = "b"\n', directory)).rejects.toThrow(
        new RegExp(
          `^Input config-file: could not write ${literal(file)} \\(EACCES: permission denied, open '${literal(directory)}/\\.pcc-deploy\\.toml\\.[0-9a-f]{12}\\.tmp'\\); check that its directory is writable\\. The file was left as it was\\.$`
        )
      )
      expect(await fs.readFile(file, 'utf8')).toBe('agent_name = "a"\n')
      expect(await fs.readdir(directory)).toStrictEqual(['pcc-deploy.toml'])
    })

    it('when the disk fills during the write', async () => {
      const file = join(directory, 'pcc-deploy.toml')
      await fs.writeFile(file, 'agent_name = "a"\n')
      failWrite = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })

      await expect(writeDeployConfig(file, 'agent_name = "b"\n', directory)).rejects.toThrow(
        new ActionError(
          `Input config-file: could not write ${file} (ENOSPC: no space left on device, write); check that its directory is writable. The file was left as it was.`
        )
      )
      expect(await fs.readFile(file, 'utf8')).toBe('agent_name = "a"\n')
      expect(await fs.readdir(directory)).toStrictEqual(['pcc-deploy.toml'])
    })

    /** Runs `change` just before the second stat of the file: the write's own, after its location was checked. */
    function beforeTheWrite(file: string, change: () => Promise<void>) {
      let seen = 0
      beforeStat = async path => {
        if (path === file && ++seen === 2) await change()
      }
    }

    it('when the file was replaced by a directory after its location was checked', async () => {
      const file = join(await fs.realpath(directory), 'pcc-deploy.toml')
      await fs.writeFile(file, 'agent_name = "a"\n')
      beforeTheWrite(file, async () => {
        await fs.rm(file)
        await fs.mkdir(file)
      })

      await expect(writeDeployConfig(file, 'agent_name = "b"\n', directory)).rejects.toThrow(
        new ActionError(`Input config-file: ${file} is a directory; give a file path such as pcc-deploy.toml.`)
      )
      expect((await fs.stat(file)).isDirectory()).toBe(true)
      expect(await fs.readdir(directory)).toStrictEqual(['pcc-deploy.toml'])
    })

    it('when the file was replaced by a link to itself after its location was checked', async () => {
      const file = join(await fs.realpath(directory), 'pcc-deploy.toml')
      await fs.writeFile(file, 'agent_name = "a"\n')
      beforeTheWrite(file, async () => {
        await fs.rm(file)
        await fs.symlink('pcc-deploy.toml', file)
      })

      await expect(writeDeployConfig(file, 'agent_name = "b"\n', directory)).rejects.toThrow(
        withCause(
          `Input config-file: could not write ${file} `,
          `ELOOP: too many symbolic links encountered, stat '${file}'`,
          '; check that its directory is writable. The file was left as it was.'
        )
      )
      expect(await fs.readlink(file)).toBe('pcc-deploy.toml')
      expect(await fs.readdir(directory)).toStrictEqual(['pcc-deploy.toml'])
    })
  })
})
