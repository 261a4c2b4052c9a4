// Lint: typescript-eslint's type-checked recommended rules on the project's TypeScript, the base rules on
// its few JavaScript files (npm run check). Formatting is prettier's (npm run format).
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['node_modules/', 'data/', 'golden-report/', 'diff-report/', 'tmp/', 'docs/', 'dist/'] },
  js.configs.recommended,
  {
    files: ['**/*.ts'],
    extends: [...tseslint.configs.recommendedTypeChecked],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' },
      ],
    },
  },
  // vitest's asymmetric matchers (expect.stringMatching …) are typed any: assigning them is their use
  { files: ['test/**/*.ts'], rules: { '@typescript-eslint/no-unsafe-assignment': 'off' } },
  { files: ['bin/*.js', 'eslint.config.js', 'scripts/*.mjs'], languageOptions: { globals: { process: 'readonly' } } },
  // The studio page's scripts run in the browser, as ES modules (no build step).
  {
    files: ['studio/public/js/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: {
        window: 'readonly',
        document: 'readonly',
        location: 'readonly',
        fetch: 'readonly',
        performance: 'readonly',
        URLSearchParams: 'readonly',
        URL: 'readonly',
        Image: 'readonly',
        Option: 'readonly',
        EventSource: 'readonly',
        OffscreenCanvas: 'readonly',
        structuredClone: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        prompt: 'readonly',
        confirm: 'readonly',
      },
    },
  },
  // The QA report's script runs in the browser from the report folder, as a classic script.
  {
    files: ['qa/report-assets/*.js'],
    languageOptions: {
      sourceType: 'script',
      globals: {
        document: 'readonly',
        location: 'readonly',
        HTMLInputElement: 'readonly',
        setInterval: 'readonly',
        clearInterval: 'readonly',
        addEventListener: 'readonly',
      },
    },
  },
);
