import { Logger, Module, type DynamicModule, type FactoryProvider, type Type } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import {
  CacheAsideStrategy,
  StrataConfigError,
  WriteBehindStrategy,
  WriteThroughStrategy,
  type CacheLoader,
  type CacheWriter,
  type StrategyCache,
} from '@strata/core';
import { KeyBuilder, toPositiveMs } from '@strata/core/internal';
import { getCacheToken } from './inject-cache.decorator.js';
import type { NamedCacheOptions, StrataFeatureOptions } from './strata-feature.options.js';

/** The module `StrataModule.forFeature` returns: one provider per named cache. */
@Module({})
export class StrataFeatureModule {
  /** See `StrataModule.forFeature`. */
  static register(options: StrataFeatureOptions): DynamicModule {
    const seen = new Set<string>();
    const pending: (() => Promise<unknown>)[] = [];
    const providers = options.caches.map((cache, index) => {
      return namedCacheProvider(validate(cache, index, seen), pending);
    });
    // Loaders and writers looked up lazily are resolved once every provider is built, so one
    // that cannot be found still fails at boot, naming its cache.
    // On shutdown, write-behind caches drain while the writers' own modules (imported by this
    // feature, so destroyed after it) are still up.
    const check: FactoryProvider = {
      provide: Symbol('strata:feature-lifecycle'),
      inject: providers.map((provider) => provider.provide),
      useFactory: (...caches: StrategyCache<unknown>[]) => ({
        onModuleInit: async () => void (await Promise.all(pending.map((get) => get()))),
        onModuleDestroy: async () => {
          for (const cache of caches) if (isClosable(cache)) await cache.close();
        },
      }),
    };
    return {
      module: StrataFeatureModule,
      imports: options.imports ?? [],
      providers: [...providers, check],
      exports: providers.map((provider) => provider.provide),
    };
  }
}

function namedCacheProvider(
  cache: NamedCacheOptions,
  pending: (() => Promise<unknown>)[],
): FactoryProvider<StrategyCache<unknown>> {
  const strategy = STRATEGIES[cache.strategy];
  // Loader and writer are injected when an imported module exports them (Nest then builds them
  // first); otherwise looked up app-wide, or created with their dependencies injected.
  const optional = (type: Type | undefined) => ({ token: type ?? NO_PROVIDER, optional: true });
  return {
    provide: getCacheToken(cache.name),
    inject: [ModuleRef, strategy, optional(cache.loader), optional(cache.writer)],
    useFactory: async (
      moduleRef: ModuleRef,
      bound: CacheAsideStrategy | WriteThroughStrategy | WriteBehindStrategy,
      injectedLoader: CacheLoader<unknown> | undefined,
      injectedWriter: CacheWriter<unknown> | undefined,
    ) => {
      const named = await bound.bind({
        ...cache,
        loader: cache.loader
          ? (injectedLoader ?? lazyLoader(moduleRef, cache.loader, cache.name, pending))
          : undefined,
        writer: cache.writer
          ? (injectedWriter ?? lazyWriter(moduleRef, cache.writer, cache.name, pending))
          : undefined,
      });
      if ('journal' in named && named.journal === 'memory') {
        logger.log(
          `Write-behind cache "${cache.name}" journals in memory: pending writes survive a clean shutdown (which drains them), not a crash. Configure redis for a durable journal.`,
        );
      }
      return named;
    },
  };
}

const logger = new Logger('Strata');

const STRATEGIES = {
  'cache-aside': CacheAsideStrategy,
  'write-through': WriteThroughStrategy,
  'write-behind': WriteBehindStrategy,
} as const;

function isClosable(
  cache: StrategyCache<unknown>,
): cache is StrategyCache<unknown> & { close(): Promise<void> } {
  return typeof (cache as { close?: unknown }).close === 'function';
}

/** A token nothing provides, injected (optionally) when a cache has no loader or writer. */
const NO_PROVIDER = Symbol('strata:no-provider');

// A loader or writer that no imported module exports is looked up app-wide on first use, not
// now: during instantiation a non-strict lookup can return a provider Nest has not built yet.
// When nobody registered it, it is created with its dependencies injected.
function lazily<T>(moduleRef: ModuleRef, type: Type<T>, cache: string, role: string): () => Promise<T> {
  let instance: Promise<T> | undefined;
  return () =>
    (instance ??= (async () => {
      let found: T | undefined;
      try {
        found = moduleRef.get(type, { strict: false });
      } catch {
        // not registered anywhere: created below
      }
      if (found !== undefined) return found;
      try {
        return await moduleRef.create(type);
      } catch (error) {
        throw new StrataConfigError(
          `caches[${cache}].${role}`,
          type.name,
          `cannot be resolved: export it from a module listed in forFeature({ imports }) (${error instanceof Error ? error.message : String(error)})`,
        );
      }
    })());
}

function lazyLoader(
  moduleRef: ModuleRef,
  type: Type<CacheLoader<unknown>>,
  cache: string,
  pending: (() => Promise<unknown>)[],
): CacheLoader<unknown> {
  const get = lazily(moduleRef, type, cache, 'loader');
  pending.push(get);
  return { load: async (key) => (await get()).load(key) };
}

function lazyWriter(
  moduleRef: ModuleRef,
  type: Type<CacheWriter<unknown>>,
  cache: string,
  pending: (() => Promise<unknown>)[],
): CacheWriter<unknown> {
  const get = lazily(moduleRef, type, cache, 'writer');
  let resolved: CacheWriter<unknown> | undefined;
  pending.push(async () => (resolved = await get()));
  const incrementMany: CacheWriter<unknown>['incrementMany'] = async (records) => {
    const writer = await get();
    if (writer.incrementMany === undefined) throw missingIncrement(cache);
    return writer.incrementMany(records);
  };
  return {
    writeMany: async (records) => (await get()).writeMany(records),
    deleteMany: async (records) => (await get()).deleteMany(records),
    // Present only when the writer (resolved at boot) has it, so `increment` can say so at once.
    get incrementMany() {
      return resolved === undefined || resolved.incrementMany !== undefined ? incrementMany : undefined;
    },
  };
}

function missingIncrement(cache: string): StrataConfigError {
  return new StrataConfigError(
    `caches[${cache}].writer`,
    undefined,
    'increment needs a writer with incrementMany(records)',
  );
}

/** Checks a named cache's options; returns them with `ttl` and `nullTtl` in ms. */
function validate(cache: NamedCacheOptions, index: number, seen: Set<string>): NamedCacheOptions {
  const at = `caches[${index}]`;
  try {
    KeyBuilder.assertNamespace(cache.name);
  } catch {
    throw new StrataConfigError(`${at}.name`, cache.name, 'use letters, digits, "_", "." or "-"');
  }
  if (seen.has(cache.name)) throw new StrataConfigError(`${at}.name`, cache.name, 'declared twice');
  seen.add(cache.name);
  if (!Object.hasOwn(STRATEGIES, cache.strategy)) {
    const expected = 'expected "cache-aside", "write-through" or "write-behind"';
    throw new StrataConfigError(`${at}.strategy`, cache.strategy, expected);
  }
  if (cache.strategy !== 'cache-aside' && cache.writer === undefined) {
    throw new StrataConfigError(`${at}.writer`, undefined, `${cache.strategy} needs a writer`);
  }
  // Converted once, here: the strategy passes ms to the stack on every call.
  const { ttl, nullTtl } = cache;
  return {
    ...cache,
    ttl: ttl === undefined ? undefined : toPositiveMs(ttl, `${at}.ttl`),
    nullTtl: nullTtl === undefined ? undefined : toPositiveMs(nullTtl, `${at}.nullTtl`),
  };
}
