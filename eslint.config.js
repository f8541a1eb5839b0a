import js from '@eslint/js'
import tseslint from 'typescript-eslint'

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: { process: 'readonly', console: 'readonly', URL: 'readonly', setTimeout: 'readonly', clearTimeout: 'readonly', Buffer: 'readonly' }
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }]
    }
  },
  // Type-aware rules. The action's code gets the whole recommended set. Tests and scripts read the
  // emulators, which are plain JavaScript, so the rules about `any` would flag every use of them; they get
  // the rules that catch real mistakes there: promises not awaited or awaited by mistake.
  ...tseslint.configs.recommendedTypeChecked.map(config => ({ ...config, files: ['src/**/*.ts'] })),
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { project: './tsconfig.test.json', tsconfigRootDir: import.meta.dirname } }
  },
  {
    files: ['__tests__/**/*.ts'],
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-misused-promises': 'error'
    }
  },
  {
    // Every log line passes src/common/log.ts, which redacts outside text; summary.ts escapes for its own sinks.
    // host.ts writes them to the runner. src/start-up/ loads only the parts of those packages a run uses: nothing imports them whole.
    files: ['src/**/*.ts'],
    ignores: ['src/common/log.ts', 'src/run/summary.ts', 'src/hosts/host.ts', 'src/start-up/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@actions/core', message: 'log through ./log.js, which redacts outside text' },
            { name: './start-up/core.js', message: 'log through ./log.js, which redacts outside text' },
            { name: 'undici', message: 'import from ./start-up/undici.js, which loads only the parts a run uses' }
          ]
        }
      ]
    }
  }
)
