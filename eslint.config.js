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
  {
    // Every log line passes src/log.ts, which redacts outside text; summary.ts escapes for its own sinks.
    // core.ts and undici.ts load only the parts of those packages a run uses: nothing imports them whole.
    files: ['src/**/*.ts'],
    ignores: ['src/log.ts', 'src/summary.ts', 'src/core.ts', 'src/undici.ts', 'src/undici-parts.d.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            { name: '@actions/core', message: 'log through ./log.js, which redacts outside text' },
            { name: './core.js', message: 'log through ./log.js, which redacts outside text' },
            { name: 'undici', message: 'import from ./undici.js, which loads only the parts a run uses' }
          ]
        }
      ]
    }
  }
)
