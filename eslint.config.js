// @ts-check
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

/** Library sources, linted with type information (co-located specs included). */
const librarySources = ['packages/*/src/**/*.ts', 'libs/*/src/**/*.ts'];
/** Test code: specs, support files under test/, and the sample apps. */
const testFiles = ['**/*.spec.ts', '**/test/**/*.ts', 'apps/**/*.ts'];

export default tseslint.config(
  {
    ignores: [
      '**/dist/**',
      '**/dist-load/**',
      '**/node_modules/**',
      '**/coverage/**',
      '.pack-check/**',
      '.docs-check*/**',
      'apps/bench/.compare/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-floating-promises': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-unsafe-function-type': 'off',
    },
  },
  // Type-aware rules only for the library packages (their co-located specs come for free: they share the
  // package's TypeScript program). A fire-and-forget promise there is a lost error or an unclean
  // shutdown, which no untyped rule can see. The integration suites under test/ stay untyped: building
  // their programs roughly doubles lint time, for findings that are mostly `async` stubs.
  ...tseslint.configs.recommendedTypeChecked.map((config) => ({ ...config, files: librarySources })),
  {
    files: librarySources,
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unsafe-function-type': 'error',
    },
  },
  {
    files: testFiles,
    rules: {
      '@typescript-eslint/no-explicit-any': 'off',
      // Specs poke at loosely typed fixtures (parsed JSON, raw Redis replies, spies) on purpose.
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      // Specs pass methods by reference on purpose (`expect(obj.method)`, route handlers as lookup keys).
      '@typescript-eslint/unbound-method': 'off',
      // An `async` stub states the promise contract of what it stands in for; whether it awaits is moot.
      '@typescript-eslint/require-await': 'off',
    },
  },
);
