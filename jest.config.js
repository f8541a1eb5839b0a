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
  // `npm test` and `npm run coverage` run with --coverage. The unit tests' V8 coverage and that of the
  // end-to-end runs of dist/ are merged and held to their floors by __tests__/support/coverage-reporter.js;
  // jest's own coverage report is left empty.
  coverageProvider: 'v8',
  collectCoverageFrom: ['src/**/*.ts'],
  coverageReporters: ['none'],
  reporters: ['default', '<rootDir>/__tests__/support/coverage-reporter.js']
}
