// Lint for every workspace, run by `npm run lint` (and so by `npm test` and CI) after the build:
// the rules that need types read each file's tsconfig (the timeline page's is backend/tsconfig.web.json)
// and the generated proto types.
import js from '@eslint/js';
import { defineConfig } from 'eslint/config';
import globals from 'globals';
import tseslint from 'typescript-eslint';

export default defineConfig(
  { ignores: ['**/dist/', '**/node_modules/', 'proto/generated/'] },
  {
    extends: [js.configs.recommended],
    rules: {
      // The processes log through their loggers; what a command or test prints goes to process.stdout.
      'no-console': 'error',
      // A variable a callback reads before its one assignment (start.ts's agent process) stays `let`.
      'prefer-const': ['error', { ignoreReadBeforeAssign: true }],
      // Named exports only, so an index shows what a package offers.
      'no-restricted-syntax': ['error', { selector: 'ExportAllDeclaration', message: 'Export names, not *.' }],
    },
  },
  {
    files: ['**/*.js'],
    ignores: ['backend/web/**'],
    languageOptions: { globals: globals.node },
  },
  {
    files: ['**/*.ts', 'backend/web/**/*.js'],
    extends: [tseslint.configs.recommended],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['backend/web/**/*.js'],
    languageOptions: {
      globals: { ...globals.browser, uPlot: 'readonly' },
      parserOptions: { projectService: false, project: 'backend/tsconfig.web.json' },
    },
  },
);
