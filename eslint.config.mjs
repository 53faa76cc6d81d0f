// Lint rules, including the layer rule of ARCHITECTURE.md: src/wire and src/core are pure
// (no I/O, no timers, no clock), so they cannot import from io/service/nodes or Node's I/O modules.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const ioModules = ['dgram', 'net', 'fs', 'fs/promises', 'child_process', 'timers', 'os', 'node-red'];
const pureLayerRule = {
  'no-restricted-imports': [
    'error',
    {
      paths: ioModules
        .flatMap((name) => [name, `node:${name}`])
        .map((name) => ({ name, message: 'pure layer: no I/O' })),
      patterns: [{ group: ['**/io/**', '**/service/**', '**/nodes/**'], message: 'pure layer: no I/O' }],
    },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'setTimeout', message: 'time is an input' },
    { name: 'setInterval', message: 'time is an input' },
    { name: 'Date', message: 'time is an input' },
  ],
  'no-restricted-properties': [
    'error',
    { object: 'performance', property: 'now', message: 'time is an input' },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'dist-*/**', 'build/**', 'node_modules/**', 'prebuilds/**', '.node-red-user/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly', Buffer: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Node-RED's own convention: `const node = this` in a node constructor.
      '@typescript-eslint/no-this-alias': ['error', { allowedNames: ['node'] }],
    },
  },
  { files: ['src/wire/**/*.ts', 'src/core/**/*.ts'], rules: pureLayerRule },
  {
    files: ['scripts/**/*.mjs', 'examples/**/*.js'],
    languageOptions: { globals: { URL: 'readonly', setTimeout: 'readonly' } },
  },
  prettier,
);
