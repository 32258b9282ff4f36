import type { DynamicModule } from '@nestjs/common';
import { CacheModule } from '@nestjs/cache-manager';
import { Test } from '@nestjs/testing';
import { StrataCacheManagerModule, StrataModule } from '@strata/nestjs';
import type { StrataCacheManagerOptions } from '../../src/cache-manager/strata-cache-manager.options.js';
import type { Backend } from '../support/app.js';
import { CatalogService } from './catalog.service.js';

/** How an app gets its `CACHE_MANAGER`: the only line that changes in a migration. */
export interface CacheManagerImport {
  readonly name: string;
  imports(options?: StrataCacheManagerOptions): DynamicModule[];
}

/** `@nestjs/cache-manager`'s own module: the behaviour the Strata provider must reproduce. */
export const nestCacheModule: CacheManagerImport = {
  name: '@nestjs/cache-manager',
  imports: () => [CacheModule.register()],
};

/** Strata's provider over each backend. */
export function strataImports(backends: readonly Backend[]): CacheManagerImport[] {
  return backends.map((backend) => ({
    name: `Strata on ${backend.name}`,
    imports: (options) => [
      StrataModule.forRoot(backend.options()),
      StrataCacheManagerModule.forRoot(options),
    ],
  }));
}

const open: { close(): Promise<unknown> }[] = [];

/** Boots an app with the given cache module and the legacy {@link CatalogService}. */
export async function catalogApp(
  source: CacheManagerImport,
  options?: StrataCacheManagerOptions,
): Promise<CatalogService> {
  const moduleRef = await Test.createTestingModule({
    imports: source.imports(options),
    providers: [CatalogService],
  }).compile();
  open.push(moduleRef);
  await moduleRef.init();
  return moduleRef.get(CatalogService);
}

/** Closes every app booted by {@link catalogApp} (for `afterEach`). */
export async function closeCatalogApps(): Promise<void> {
  await Promise.all(open.splice(0).map((app) => app.close()));
}
