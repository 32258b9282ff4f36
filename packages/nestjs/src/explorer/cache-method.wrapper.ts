import {
  InvalidKeyError,
  StrataConfigError,
  UncacheableValueError,
  type CacheStack,
  type LoadOptions,
  type StrategyCache,
} from '@strata/core';
import { CACHE_MISS, defaultKey, resolveReadPolicy, engineOf, toPositiveMs } from '@strata/core/internal';
import { defer, EMPTY, from, mergeMap, of, type Observable } from 'rxjs';
import type {
  CacheEvictOptions,
  CacheableOptions,
  CachePutOptions,
} from '../decorators/cache-decorator.options.js';
import { NO_VALUE, settleResult } from './method-result.js';
import { thenableObservable } from './thenable-observable.js';

type AnyArgs = unknown[];
type Invoke = (self: unknown, args: AnyArgs) => Promise<unknown>;
type ArgsFn<T> = (...args: AnyArgs) => T;

/** What the explorer found on one method. */
export interface CacheMethodMetadata {
  readonly cacheable?: CacheableOptions<AnyArgs>;
  readonly put?: CachePutOptions<AnyArgs>;
  readonly evict?: CacheEvictOptions<AnyArgs>;
}

/** Finds a named cache of `StrataModule.forFeature` (throws when there is none by that name). */
export type NamedCacheResolver = (name: string, target: string) => StrategyCache<unknown>;

const noNamedCaches: NamedCacheResolver = (name, target) => {
  throw new StrataConfigError(`cache on ${target}`, name, 'no named cache by that name');
};

/**
 * How a decorated method hands back its result: as declared (`design:returntype`), or `either`
 * when the declaration was erased (a type-only `Observable` import, no annotation, plain JS):
 * then an Observable that is also a thenable, which works with `await` and with `subscribe`, and
 * whose call starts at once (see {@link thenableObservable}).
 */
export type ResultMode = 'promise' | 'observable' | 'either';

/** One decorated method, as the explorer found it. */
export interface DecoratedMethod {
  /** The stack its entries live in. */
  readonly stack: CacheStack;
  /** The method as the class defines it. */
  readonly original: (...args: AnyArgs) => unknown;
  /** `Class.method`, for messages. */
  readonly target: string;
  /** The class name, for default keys. */
  readonly className: string;
  /** Its decorators' options. */
  readonly metadata: CacheMethodMetadata;
  /** How it hands back its result. */
  readonly mode: ResultMode;
  /** The named caches of `forFeature`, for `cache:` options. */
  readonly namedCache?: NamedCacheResolver;
}

/**
 * Builds the function that replaces a decorated method: evict-before, then cacheable or put,
 * then evict-after, around the original. Keeps `this`, the name and the arity.
 */
export function wrapCacheMethod(method: DecoratedMethod): (...args: AnyArgs) => unknown {
  const { stack, original, target, metadata, mode, namedCache = noNamedCaches } = method;
  // A Promise caller has no use for NO_VALUE: an empty Observable simply resolves to undefined
  // (which is never cached), so the promise mode needs no extra step on the way out.
  const empty = mode === 'promise' ? undefined : NO_VALUE;
  let invoke: Invoke = (self, args) => settleResult(original.apply(self, args), target, empty);
  if (metadata.cacheable) invoke = cacheable(method, invoke, metadata.cacheable);
  if (metadata.put) invoke = put(stack, invoke, target, metadata.put, namedCache);
  if (metadata.evict) invoke = evict(stack, invoke, target, metadata.evict, namedCache);

  const asObservable = (self: unknown, args: AnyArgs): Observable<unknown> =>
    defer(() => from(invoke(self, args))).pipe(mergeMap((value) => (value === NO_VALUE ? EMPTY : of(value))));
  const wrapped =
    mode === 'promise'
      ? function (this: unknown, ...args: AnyArgs): Promise<unknown> {
          try {
            return invoke(this, args);
          } catch (error) {
            // A key or condition function that throws still rejects, as an async method would,
            // with what was thrown (an async method does not wrap it in an Error either).
            // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
            return Promise.reject(error);
          }
        }
      : mode === 'observable'
        ? function (this: unknown, ...args: AnyArgs): Observable<unknown> {
            return asObservable(this, args);
          }
        : function (this: unknown, ...args: AnyArgs): Observable<unknown> & PromiseLike<unknown> {
            return thenableObservable(async () => invoke(this, args));
          };
  Object.defineProperty(wrapped, 'name', { value: original.name });
  Object.defineProperty(wrapped, 'length', { value: original.length });
  return wrapped;
}

function cacheable(method: DecoratedMethod, next: Invoke, options: CacheableOptions<AnyArgs>): Invoke {
  const { stack, target, className } = method;
  const methodName = method.original.name;
  const ttl = lifetimeMs(options.ttl, `@Cacheable({ ttl }) on ${target}`);
  const nullTtl = lifetimeMs(options.nullTtl, `@Cacheable({ nullTtl }) on ${target}`);
  const keyOf = keyResolver(options.key, target, (args) => {
    try {
      return defaultKey(className, methodName, args);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new InvalidKeyError('key', target, `its arguments cannot form a default key (${reason})`);
    }
  });
  const tagsOf = listResolver(options.tags);
  const { condition, unless, namespace, sensitive } = options;
  const engine = engineOf(stack);
  // At boot: sensitive entries on a stack with Redis and no keys fail here, naming the method.
  engine.tiers.sealOf({ namespace, sensitive }, `@Cacheable({ sensitive }) on ${target}`);
  // Stale reads: checked now (naming the decorator); the durations given reach getOrLoad in ms.
  const { grace, staleWhileRevalidate, softTimeout, hardTimeout, earlyRefresh } = options;
  const given = { grace, staleWhileRevalidate, softTimeout, hardTimeout, earlyRefresh };
  const policy = resolveReadPolicy(
    given,
    engine.options.reads,
    (option) => `@Cacheable({ ${option} }) on ${target}`,
  );
  // Converted once here: each call hands the engine milliseconds.
  const reads = {
    grace: grace === undefined ? undefined : policy.graceMs,
    staleWhileRevalidate: staleWhileRevalidate === undefined ? undefined : policy.swrMs,
    softTimeout: softTimeout === undefined ? undefined : policy.softTimeoutMs,
    hardTimeout: hardTimeout === undefined ? undefined : policy.hardTimeoutMs,
    earlyRefresh,
  };
  // XFetch draws on hits: they must reach the engine's load, past the synchronous L1 peek.
  const peekFirst = (earlyRefresh ?? engine.options.reads.earlyRefresh) === false;
  // Options that do not depend on the call are built once: the hit path allocates nothing extra.
  const staticOptions: LoadOptions<unknown> = {
    ttl,
    nullTtl,
    namespace,
    target,
    ...(sensitive === true ? { sensitive } : {}),
    ...reads,
    tags: Array.isArray(options.tags) ? (options.tags as readonly string[]) : undefined,
    shouldCache: (value) => value !== NO_VALUE,
  };
  const dynamic = typeof options.tags === 'function' || unless !== undefined;
  const constantEntryKey =
    typeof options.key === 'string' ? engine.keys.entry(options.key, namespace) : undefined;
  return (self, args) => {
    if (condition && !condition(...args)) return next(self, args);
    // The key is built and L1 looked up once: a miss goes on to the engine's load by full key.
    const full = constantEntryKey ?? engine.keys.entry(keyOf(args), namespace);
    // L1 hit: answered synchronously, with no loader closure and no options object.
    if (peekFirst) {
      const local = engine.peekEntry(full);
      if (local !== CACHE_MISS) return Promise.resolve(local);
    }
    const loadOptions: LoadOptions<unknown> = dynamic
      ? {
          ...staticOptions,
          tags: tagsOf?.(args),
          shouldCache: (value) => value !== NO_VALUE && !(unless?.(value, ...args) ?? false),
        }
      : staticOptions;
    return engine.loadEntry(full, () => next(self, args), loadOptions);
  };
}

function put(
  stack: CacheStack,
  next: Invoke,
  target: string,
  options: CachePutOptions<AnyArgs>,
  namedCache: NamedCacheResolver,
): Invoke {
  const ttl = lifetimeMs(options.ttl, `@CachePut({ ttl }) on ${target}`);
  if (options.key === undefined)
    throw new StrataConfigError(`@CachePut({ key }) on ${target}`, undefined, 'a key is required');
  const keyOf = keyResolver(options.key, target, () => '');
  const tagsOf = listResolver(options.tags);
  const named = namedCacheOf(options, target, namedCache);
  const { namespace, sensitive } = options;
  // At boot: sensitive entries on a stack with Redis and no keys fail here, naming the method.
  engineOf(stack).tiers.sealOf({ namespace, sensitive }, `@CachePut({ sensitive }) on ${target}`);
  return async (self, args) => {
    // `condition` sees the arguments as they were before the call, as `@Cacheable`'s does.
    const allowed = options.condition === undefined || options.condition(...args);
    const value = await next(self, args);
    if (
      allowed &&
      value !== NO_VALUE &&
      value !== undefined &&
      !(options.unless?.(value, ...args) ?? false)
    ) {
      // A named cache's write path is its strategy's (write-through persists first).
      if (named) await named.set(keyOf(args), value);
      else await stack.set(keyOf(args), value, { ttl, tags: tagsOf?.(args), namespace, sensitive });
    }
    return value;
  };
}

function evict(
  stack: CacheStack,
  next: Invoke,
  target: string,
  options: CacheEvictOptions<AnyArgs>,
  namedCache: NamedCacheResolver,
): Invoke {
  const keysOf = listResolver(options.keys);
  const tagsOf = listResolver(options.tags);
  const named = namedCacheOf(options, target, namedCache);
  const namespace = named?.name ?? options.namespace;
  const run = async (args: AnyArgs): Promise<void> => {
    const keys = keysOf?.(args);
    if (keys && keys.length > 0) {
      // A named cache deletes through its strategy (write-through deletes the row too).
      if (named) for (const key of keys) await named.delete(key);
      else await stack.delete(keys, { namespace });
    }
    const tags = tagsOf?.(args);
    if (tags && tags.length > 0) await stack.invalidateTags(tags);
    if (options.allEntries) await stack.invalidateNamespace(namespace ?? 'default');
  };
  if (options.beforeInvocation) {
    return async (self, args) => {
      await run(args);
      return next(self, args);
    };
  }
  return async (self, args) => {
    const value = await next(self, args);
    await run(args);
    return value;
  };
}

function namedCacheOf(
  options: { readonly cache?: string; readonly namespace?: string; readonly ttl?: unknown },
  target: string,
  resolve: NamedCacheResolver,
): StrategyCache<unknown> | undefined {
  if (options.cache === undefined) return undefined;
  if (options.namespace !== undefined || options.ttl !== undefined) {
    throw new StrataConfigError(
      `cache on ${target}`,
      options.cache,
      'a named cache has its own namespace (its name) and ttl: drop namespace/ttl',
    );
  }
  return resolve(options.cache, target);
}

function keyResolver(
  key: unknown,
  target: string,
  fallback: (args: AnyArgs) => string,
): (args: AnyArgs) => string {
  if (key === undefined) return fallback;
  if (typeof key === 'string') return () => key;
  if (typeof key !== 'function')
    throw new StrataConfigError(`key on ${target}`, key, 'expected a string or a function');
  const fn = key as ArgsFn<unknown>;
  return (args) => {
    const value = fn(...args);
    if (typeof value !== 'string' || value === '') {
      throw new UncacheableValueError(
        target,
        `its key function returned ${JSON.stringify(value)}, not a non-empty string`,
      );
    }
    return value;
  };
}

function listResolver(value: unknown): ((args: AnyArgs) => readonly string[]) | undefined {
  if (value === undefined) return undefined;
  if (typeof value === 'function') {
    const fn = value as ArgsFn<string | readonly string[]>;
    return (args) => {
      const result = fn(...args);
      return typeof result === 'string' ? [result] : result;
    };
  }
  const list: readonly string[] = typeof value === 'string' ? [value] : (value as readonly string[]);
  return () => list;
}

/**
 * A decorator's lifetime in ms, converted when the method is wrapped (so a bad one fails the boot,
 * and each call passes a number), with the same bounds as a call's.
 */
function lifetimeMs(value: number | string | undefined, option: string): number | undefined {
  return value === undefined ? undefined : toPositiveMs(value, option);
}
