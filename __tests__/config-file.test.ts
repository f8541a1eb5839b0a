import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import * as fs from 'node:fs/promises'
import { tmpdir } from 'node:os'
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
const { readDeployConfig, writeDeployConfig } = await import('../src/config-file.js')
const { ActionError } = await import('../src/errors.js')

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
    expect(await readDeployConfig(join(directory, 'pcc-deploy.toml'))).toBe('agent_name = "a"\n')
    expect(await readDeployConfig(join(directory, 'missing.toml'))).toBeUndefined()
  })

  it('refuses to read or write a directory', async () => {
    const message = `Input config-file: ${directory} is a directory; give a file path such as pcc-deploy.toml.`
    await expect(readDeployConfig(directory)).rejects.toThrow(new ActionError(message))
    await expect(writeDeployConfig(directory, 'agent_name = "a"\n')).rejects.toThrow(new ActionError(message))
    expect(await fs.readdir(directory)).toStrictEqual([])
  })

  it('replaces a file in place, keeping mode 0600 and leaving no temp file', async () => {
    const file = join(directory, 'pcc-deploy.toml')
    await fs.writeFile(file, 'agent_name = "a"\n', { mode: 0o600 })
    await writeDeployConfig(file, 'agent_name = "b"\n')
    expect(await fs.readFile(file, 'utf8')).toBe('agent_name = "b"\n')
    expect((await fs.stat(file)).mode & 0o777).toBe(0o600)
    expect(await fs.readdir(directory)).toStrictEqual(['pcc-deploy.toml'])
  })

  it('creates missing directories and a 0644 file', async () => {
    const file = join(directory, 'agents', 'support', 'pcc-deploy.toml')
    await writeDeployConfig(file, 'agent_name = "a"\n')
    expect(await fs.readFile(file, 'utf8')).toBe('agent_name = "a"\n')
    expect((await fs.stat(file)).mode & 0o777).toBe(0o644)
    expect(await fs.readdir(join(directory, 'agents', 'support'))).toStrictEqual(['pcc-deploy.toml'])
  })

  it('writes through a symlink instead of replacing it', async () => {
    await fs.writeFile(join(directory, 'shared.toml'), 'agent_name = "a"\n')
    await fs.symlink('shared.toml', join(directory, 'pcc-deploy.toml'))
    await writeDeployConfig(join(directory, 'pcc-deploy.toml'), 'agent_name = "b"\n')
    expect(await fs.readlink(join(directory, 'pcc-deploy.toml'))).toBe('shared.toml')
    expect(await fs.readFile(join(directory, 'shared.toml'), 'utf8')).toBe('agent_name = "b"\n')
  })

  it('leaves the old file and no temp file when the final rename fails', async () => {
    const file = join(directory, 'pcc-deploy.toml')
    await fs.writeFile(file, 'agent_name = "a"\n')
    failRename = true
    await expect(writeDeployConfig(file, 'agent_name = "b"\n')).rejects.toThrow(
      new ActionError(
        `Input config-file: could not write ${file} (EXDEV: cross-device link not permitted, rename); check that its directory is writable. The file was left as it was.`
      )
    )
    expect(await fs.readFile(file, 'utf8')).toBe('agent_name = "a"\n')
    expect(await fs.readdir(directory)).toStrictEqual(['pcc-deploy.toml'])
  })

  it('reads a file that does not exist yet, under directories that do not exist yet', async () => {
    expect(await readDeployConfig(join(directory, 'agents', 'support', 'pcc-deploy.toml'))).toBeUndefined()
  })

  it('refuses, before anything else happens, a file it could not write later', async () => {
    const file = join(directory, 'pcc-deploy.toml')
    await fs.writeFile(file, 'agent_name = "a"\n', { mode: 0o444 })
    deny(file)
    await expect(readDeployConfig(file)).rejects.toThrow(
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
    await expect(readDeployConfig(file)).rejects.toThrow(
      new ActionError(
        `Input config-file: ${file} cannot be written: the directory ${directory} is not writable (EACCES); make it writable for the runner's user, or set config-file to a path in a writable directory. Nothing was changed.`
      )
    )
  })
})
