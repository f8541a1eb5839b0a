import { jest } from '@jest/globals'
import * as core from '@actions/core'
import { failedCommand } from '../../src/common/errors.js'

// A bad input fails before @actions/core is loaded, so its command must be exactly what setFailed prints.
test.each(['Input aws-account-id is "1": use the 12-digit ID.', '100% wrong\r\nsecond line', 'a::b,c=d'])(
  'failedCommand matches core.setFailed for %j',
  message => {
    const writes: string[] = []
    // setFailed sets the exit code of the worker's process, which later test files in it share: put it back.
    const exitCode = process.exitCode
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation(chunk => {
      writes.push(String(chunk))
      return true
    })
    try {
      core.setFailed(message)
    } finally {
      spy.mockRestore()
      process.exitCode = exitCode
    }
    expect(writes.join('')).toBe(failedCommand(message))
  }
)
