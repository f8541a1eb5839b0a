import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as fs from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

// A switchable rename failure, to see what a write that fails halfway leaves behind.
let failRename = false
// Root may write anywhere, and these tests may run as root: the paths a runner's user could not write are
// told apart by their mode (0444, 0555) and refused here as the kernel would refuse that user.
const denied = new Set<string>()
const deny = (path: string) => denied.add(path)
jest.unstable_mockModule('node:fs/promises', () => ({
  ...fs,
  rename: async (from: string, to: string) => {
    if (failRename) throw Object.assign(new Error('EXDEV: cross-device link not permitted, rename'), { code: 'EXDEV' })
    return fs.rename(from, to)
  },
  access: async (path: string, mode?: number) => {
    if (denied.has(path) && process.getuid?.() === 0) throw Object.assign(new Error(`EACCES: permission denied, access '${path}'`), { code: 'EACCES' })
    return fs.access(path, mode)
  }
}))
const { MAX_CONFIG_BYTES, readDeployConfig, writeDeployConfig } = await import('../../src/deploy-config/config-file.js')
const { ActionError } = await import('../../src/common/errors.js')

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
})
