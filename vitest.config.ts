import { fileURLToPath } from 'node:url';
import swc from 'unplugin-swc';
import { defineConfig } from 'vitest/config';

const src = (path: string): string => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  // SWC instead of esbuild: Nest's DI needs `emitDecoratorMetadata`, which esbuild does not emit.
  plugins: [
    swc.vite({
      jsc: {
        parser: { syntax: 'typescript', decorators: true },
        transform: { legacyDecorator: true, decoratorMetadata: true },
        target: 'es2022',
      },
    }),
  ],
  resolve: {
    // Tests run against the sources; the packaging check (scripts/pack-check.mjs) covers dist.
    // The subpath comes first: a string alias also matches what follows its name after a '/'.
    alias: {
      '@strata/core/internal': src('./packages/core/src/internal.ts'),
      '@strata/core': src('./packages/core/src/index.ts'),
      '@strata/nestjs': src('./packages/nestjs/src/index.ts'),
      '@strata/testing': src('./libs/testing/src/index.ts'),
      '@strata/cdc': src('./packages/cdc/src/index.ts'),
    },
  },
  test: {
    include: [
      'packages/*/src/**/*.spec.ts',
      'packages/*/test/**/*.spec.ts',
      'libs/*/src/**/*.spec.ts',
      'libs/*/test/**/*.spec.ts',
      'apps/*/test/**/*.spec.ts',
      'scripts/**/*.spec.ts',
    ],
    pool: 'forks',
    testTimeout: 30_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
});
