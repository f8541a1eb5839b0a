/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.test.json' }] },
  testMatch: ['**/__tests__/**/*.test.ts'],
  testTimeout: 30000,
  // Holds every exchange with an emulator to the published contract after each test (__tests__/contracts/).
  setupFilesAfterEnv: ['<rootDir>/__tests__/contracts/setup.ts'],
  // Jest's default, one worker fewer than the cores, is one worker on a 2-core runner. The end-to-end
  // files mostly wait on child processes and emulators, so one per core runs them about 40% faster there.
  maxWorkers: '100%',
  verbose: false,
  // `npm test` runs with --coverage. It sees src/ as the unit tests load it; the end-to-end tests run
  // dist/ in child processes, so the modules only they reach (main, ecr, pipecat, summary) count as
  // uncovered. Each floor sits just under what was measured when it was set: it catches a drop, not noise.
  collectCoverageFrom: ['src/**/*.ts'],
  coverageReporters: ['text'],
  coverageThreshold: { global: { statements: 79, branches: 70, functions: 82, lines: 80 } }
}
