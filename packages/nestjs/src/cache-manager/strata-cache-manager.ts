import { EventEmitter } from 'node:events';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import type { CacheStack } from '@strata/core';
import type { WriteTicket } from '@strata/core/internal';
import { STRATA_CACHE_STACK } from '../module/cache-stack.token.js';
import { cacheManagerEntry, liveEntry, preciseNow, type CacheManagerEntry } from './cache-manager-entry.js';
import type {
  CacheManagerListItem,
  CacheManagerListen,
  CacheManagerRawEntry,
  CacheManagerWrapOptions,
  CacheManagerWrapOptionsRaw,
} from './cache-manager.types.js';
import type { ResolvedCacheManagerOptions } from './strata-cache-manager.options.js';

/** Injection token of the validated options of `StrataCacheManagerModule`. */
export const CACHE_MANAGER_OPTIONS = Symbol('CACHE_MANAGER_OPTIONS');

type Lifetime<T> = number | ((value: T) => number) | undefined;

/**
 * cache-manager 7's `Cache`, backed by the app's Strata `CacheStack`: services written against
 * `@nestjs/cache-manager` keep their `@Inject(CACHE_MANAGER) cache: Cache` and gain L1/L2,
 * single-flight `wrap` (across instances with Redis) and Strata's invalidation. Lifetimes are in
 * milliseconds; a miss is `undefined`; `0`, `''`, `false` and `null` are values.
 */
@Injectable()
export class StrataCacheManager implements OnModuleDestroy {
  /** Always empty: the stores are Strata's layers, not Keyv instances. */
  readonly stores: never[] = [];

  private readonly emitter = new EventEmitter();
  /** Background `refreshThreshold` reloads, one per key, awaited at shutdown. */
  private readonly refreshes = new Map<string, Promise<void>>();

  constructor(
    @Inject(STRATA_CACHE_STACK) private readonly stack: CacheStack,
    @Inject(CACHE_MANAGER_OPTIONS) private readonly options: ResolvedCacheManagerOptions,
  ) {}

  /** The value under `key`, or `undefined` on a miss. */
  get = async <T>(key: string): Promise<T | undefined> => {
    const entry = await this.read<T>(key);
    this.emitter.emit('get', { key, value: entry?.value });
    return entry?.value;
  };

  /** The values under `keys`, in order, `undefined` for each miss. */
  mget = async <T>(keys: string[]): Promise<(T | undefined)[]> => {
    const values = await Promise.all(keys.map(async (key) => (await this.read<T>(key))?.value));
    this.emitter.emit('mget', { keys, values });
    return values;
  };

  /** When the entry under `key` expires (epoch milliseconds), or `undefined` (miss, or no TTL known). */
  ttl = async (key: string): Promise<number | undefined> => (await this.read(key))?.expires ?? undefined;

  /** Stores `value` for `ttl` milliseconds (the module's `ttl` when absent) and returns it. */
  set = async <T>(key: string, value: T, ttl?: number): Promise<T> => {
    try {
      await this.write(key, value, ttl);
    } catch (error) {
      this.emitter.emit('set', { key, value, error });
      throw error;
    }
    this.emitter.emit('set', { key, value });
    return value;
  };

  /** Stores every item; returns the list with each item's effective `ttl`. */
  mset = async <T>(list: CacheManagerListItem<T>[]): Promise<CacheManagerListItem<T>[]> => {
    const written = list.map(({ key, value, ttl }) => ({ key, value, ttl: ttl ?? this.options.ttl }));
    try {
      await Promise.all(written.map(({ key, value, ttl }) => this.write(key, value, ttl)));
    } catch (error) {
      this.emitter.emit('mset', { list: written, error });
      throw error;
    }
    this.emitter.emit('mset', { list: written });
    return written;
  };

  /** Deletes `key` on every instance; loads in flight for it will not store their result. */
  del = async (key: string): Promise<boolean> => {
    try {
      await this.stack.delete(key, { namespace: this.options.namespace });
    } catch (error) {
      this.emitter.emit('del', { key, error });
      throw error;
    }
    this.emitter.emit('del', { key });
    return true;
  };

  /** Deletes every key of `keys`. */
  mdel = async (keys: string[]): Promise<boolean> => {
    try {
      await this.stack.delete(keys, { namespace: this.options.namespace });
    } catch (error) {
      this.emitter.emit('mdel', { keys, error });
      throw error;
    }
    this.emitter.emit('mdel', { keys });
    return true;
  };

  /**
   * Drops every entry of this cache's namespace, in one round trip and on every instance. Other
   * namespaces (`@Cacheable` entries, HTTP pages) are untouched: never a `FLUSHDB`.
   */
  clear = async (): Promise<boolean> => {
    try {
      await this.stack.invalidateNamespace(this.options.namespace);
    } catch (error) {
      this.emitter.emit('clear', error);
      throw error;
    }
    this.emitter.emit('clear');
    return true;
  };

  /** Adds a listener for one of cache-manager's events. */
  on: CacheManagerListen = (event, listener) => this.emitter.addListener(event, listener);

  /** Removes a listener added with `on`. */
  off: CacheManagerListen = (event, listener) => this.emitter.removeListener(event, listener);

  /**
   * Resolves at once: the Redis connection belongs to `StrataModule`, which closes it at app
   * shutdown, so a service calling `disconnect()` cannot cut the cache off for everyone else.
   */
  disconnect = (): Promise<undefined> => Promise.resolve(undefined);

  /** The cache's id (the `cacheId` option, or a random one). */
  cacheId = (): string => this.options.cacheId;

  /**
   * The value under `key`, or `fnc()`'s result stored for `ttl`. Concurrent misses run `fnc` once
   * per process and, with Redis, once across instances. With `refreshThreshold`, a hit with less
   * than that left to live is returned and reloaded in the background (event `refresh`).
   */
  wrap<T>(
    key: string,
    fnc: () => T | Promise<T>,
    ttl?: number | ((value: T) => number),
    refreshThreshold?: number | ((value: T) => number),
  ): Promise<T>;
  wrap<T>(key: string, fnc: () => T | Promise<T>, options: CacheManagerWrapOptions<T>): Promise<T>;
  wrap<T>(
    key: string,
    fnc: () => T | Promise<T>,
    options: CacheManagerWrapOptionsRaw<T>,
  ): Promise<CacheManagerRawEntry<T>>;
  async wrap<T>(
    key: string,
    fnc: () => T | Promise<T>,
    ttlOrOptions?: Lifetime<T> | CacheManagerWrapOptions<T> | CacheManagerWrapOptionsRaw<T>,
    refreshThresholdArgument?: Lifetime<T>,
  ): Promise<T | CacheManagerRawEntry<T>> {
    const { ttl, refreshThreshold, raw } =
      typeof ttlOrOptions === 'object' && ttlOrOptions !== null
        ? { raw: 'raw' in ttlOrOptions && ttlOrOptions.raw, ...ttlOrOptions }
        : { ttl: ttlOrOptions, refreshThreshold: refreshThresholdArgument, raw: false };
    const started = preciseNow();
    const { entry, loaded } = await this.load(key, fnc, ttl);
    const threshold = lifetime(refreshThreshold, entry.value) ?? this.options.refreshThreshold;
    if (
      !loaded &&
      entry.written < started &&
      threshold !== undefined &&
      entry.expires !== null &&
      entry.expires - Date.now() < threshold
    ) {
      this.refreshLater(key, fnc, ttl, entry.value);
    }
    return raw ? { value: entry.value, expires: entry.expires ?? undefined } : entry.value;
  }

  /** Waits for background refreshes, so none writes to a stack being closed. */
  async onModuleDestroy(): Promise<void> {
    while (this.refreshes.size > 0) await Promise.all(this.refreshes.values());
  }

  private async read<T>(key: string): Promise<CacheManagerEntry<T> | undefined> {
    return liveEntry<T>(await this.stack.get(key, { namespace: this.options.namespace }));
  }

  private async write<T>(
    key: string,
    value: T,
    ttl: number | undefined,
    ticket?: WriteTicket,
  ): Promise<void> {
    const ttlMs = effectiveTtl(ttl ?? this.options.ttl);
    await this.stack.set(key, cacheManagerEntry(value, ttlMs), {
      namespace: this.options.namespace,
      ttl: ttlMs,
      ticket,
    });
  }

  /** The live entry under `key`, loading it on a miss; `loaded` when this call ran `fnc`. */
  private async load<T>(
    key: string,
    fnc: () => T | Promise<T>,
    ttl: Lifetime<T>,
  ): Promise<{ entry: CacheManagerEntry<T>; loaded: boolean }> {
    const namespace = this.options.namespace;
    // A TTL that depends on the value is known only after the load: the loaded entry is then
    // written by the caller that ran it, with that TTL, instead of by the stack.
    const dynamic = typeof ttl === 'function';
    let loaded: CacheManagerEntry<T> | undefined;
    let ticket: WriteTicket | undefined;
    const stored = await this.stack.getOrLoad<unknown>(
      key,
      async () => {
        // Taken before the load, so a delete or clear made meanwhile keeps the result out.
        if (dynamic) ticket = await this.stack.writeTicket(key, { namespace });
        const value = await fnc();
        loaded = cacheManagerEntry(value, effectiveTtl(lifetime(ttl, value) ?? this.options.ttl));
        return loaded;
      },
      dynamic
        ? { namespace, shouldCache: () => false }
        : { namespace, ttl: effectiveTtl(ttl ?? this.options.ttl) },
    );
    if (loaded !== undefined && dynamic) {
      const ttlMs = loaded.expires === null ? undefined : Math.max(1, loaded.expires - Date.now());
      await this.stack.set(key, loaded, { namespace, ttl: ttlMs, ticket });
    }
    const live = liveEntry<T>(stored);
    if (live !== undefined) return { entry: live, loaded: loaded !== undefined };
    // Past the time the caller asked for (see `liveEntry`), or not written by this cache.
    const reloadTicket = await this.stack.writeTicket(key, { namespace });
    const value = await fnc();
    const ttlMs = effectiveTtl(lifetime(ttl, value) ?? this.options.ttl);
    const entry = cacheManagerEntry(value, ttlMs);
    await this.stack.set(key, entry, { namespace, ttl: ttlMs, ticket: reloadTicket });
    return { entry, loaded: true };
  }

  private refreshLater<T>(key: string, fnc: () => T | Promise<T>, ttl: Lifetime<T>, current: T): void {
    if (this.refreshes.has(key)) return;
    const refresh = (async () => {
      try {
        // As for a load: a delete or clear made while `fnc` runs keeps the older result out.
        const ticket = await this.stack.writeTicket(key, { namespace: this.options.namespace });
        const value = await fnc();
        await this.write(key, value, lifetime(ttl, value), ticket);
        this.emitter.emit('refresh', { key, value });
      } catch (error) {
        // The caller already has its value; the failure is reported, not thrown into nowhere.
        this.emitter.emit('refresh', { key, value: current, error });
      } finally {
        this.refreshes.delete(key);
      }
    })();
    this.refreshes.set(key, refresh);
  }
}

function lifetime<T>(ttl: Lifetime<T>, value: T): number | undefined {
  return typeof ttl === 'function' ? ttl(value) : ttl;
}

/** cache-manager reads `0` as "no TTL": the stack's own `ttl` then applies. */
function effectiveTtl(ttl: number | undefined): number | undefined {
  return ttl === undefined || ttl === 0 ? undefined : ttl;
}
