import { execFile } from 'node:child_process'
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { unzipSync } from 'fflate'
import { buildLambdaZip } from '../../scripts/lambda-zip.js'

// The deployment zip, from the committed dist/lambda/: what Lambda unpacks into /var/task and loads as
// `index.handler`, read back with the library that wrote it.

let dir: string
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lambda-zip-'))
})
afterAll(() => rm(dir, { recursive: true, force: true }))

test('holds index.js as an ES module with every chunk, and the same dist/ gives the same bytes', async () => {
  const first = buildLambdaZip(resolve('dist/lambda'), join(dir, 'one.zip'))
  buildLambdaZip(resolve('dist/lambda'), join(dir, 'two.zip'))
  const bytes = await readFile(join(dir, 'one.zip'))
  const files = unzipSync(bytes)

  expect(Object.keys(files)).toEqual(first.entries)
  expect(Object.keys(files)).toEqual(expect.arrayContaining(['index.js', 'package.json', 'licenses.txt']))
  expect(JSON.parse(new TextDecoder().decode(files['package.json']))).toEqual({ type: 'module' })
  // Every file of dist/lambda/ (the entry, the chunks it loads, their maps, licenses.txt), nothing else.
  const built = (await readdir(resolve('dist/lambda'), { recursive: true })).map(String)
  expect(Object.keys(files)).toEqual(built.sort())
  expect(Buffer.compare(bytes, await readFile(join(dir, 'two.zip')))).toBe(0)
})

test('unpacked as Lambda does, index.js loads, and its async handler answers an unconfigured function with the fix', async () => {
  buildLambdaZip(resolve('dist/lambda'), join(dir, 'load.zip'))
  const task = join(dir, 'task')
  for (const [name, data] of Object.entries(unzipSync(await readFile(join(dir, 'load.zip'))))) {
    await mkdir(dirname(join(task, name)), { recursive: true })
    await writeFile(join(task, name), data)
  }
  // No callback parameter: Node 24 on Lambda runs async handlers only.
  const script = `const { handler } = await import('./index.js')
console.error(handler.constructor.name, handler.length < 3)
await handler({}, {}).catch(error => console.error(error.name, error.message))`
  const { stdout, stderr } = await new Promise<{ stdout: string; stderr: string }>((done, fail) =>
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: task, env: { PATH: process.env.PATH ?? '' } }, (error, stdout, stderr) =>
      error ? fail(new Error(stderr)) : done({ stdout, stderr })
    )
  )
  const problem = "AWS_ACCOUNT_ID is not set: set it in the function's environment to the 12-digit ID of the AWS account that owns the ECR registry."
  expect(stderr).toBe(`AsyncFunction true\nRefreshFailed ${problem}\n`)
  expect(JSON.parse(stdout)).toEqual({ timestamp: expect.any(String), level: 'ERROR', message: problem })
})
