/**
 * Every test that talks to an emulator is held to the contract of the service it stands in for: after
 * each test, every request the emulators took during it and every answer they gave (but those a test
 * made off the contract on purpose, see `offContract` in the emulators) are checked, and a drift fails
 * that test with each violation on a line. Jest loads this file before every test file.
 */
import { afterAll, afterEach } from '@jest/globals'
import { services } from '../emulators/exchanges.js'

async function checkContracts(): Promise<void> {
  if (!services.some(service => service.exchanges.length > service.checked)) return
  const { uncheckedViolations } = await import('./contracts.js')
  const violations = uncheckedViolations(services)
  if (violations.length > 0) throw new Error(`Off the published contract:\n${violations.map(v => `  ${v}`).join('\n')}`)
}

afterEach(checkContracts)
afterAll(checkContracts)
