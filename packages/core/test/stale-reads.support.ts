import { expect } from 'vitest';
import type { CacheEntry } from '../src/codec/entry.envelope.js';
import { CacheStack, type CacheStackOptions, type StrataEventMap } from '../src/index.js';
import { useRedisStacks } from './redis-stacks.support.js';
import { uniquePrefix } from './support.js';
import { engineOf } from '../src/internal.js';

/** One way to build a stack: memory only, Redis with L1 off, L1 in front of Redis. */
export interface Variant {
  readonly name: string;
  readonly redis: boolean;
  make(options?: CacheStackOptions): Promise<CacheStack>;
}

/**
 * The three layer layouts every stale-read test runs on, with a real Redis (from
 * `@strata/testing`, never the machine's) started for the calling file. Stacks made through a
 * variant are closed after each test.
 */
export function staleReadVariants(): readonly Variant[] {
  const redis = useRedisStacks();
  const build = async (options: CacheStackOptions): Promise<CacheStack> => {
    const stack = new CacheStack({ prefix: uniquePrefix(), jitter: 0, ...options });
    redis.open.push(stack);
    expect(await stack.connect()).toBe(true);
    return stack;
  };
  const url = (): string => redis.url;
  return [
    { name: 'memory only', redis: false, make: (options = {}) => build(options) },
    {
      name: 'Redis (L1 off)',
      redis: true,
      make: (options = {}) => build({ ...options, l1: false, redis: { url: url() } }),
    },
    {
      name: 'L1 + Redis',
      redis: true,
      make: (options = {}) => build({ ...options, l1: {}, redis: { url: url() } }),
    },
  ];
}

/** The stored entry of `key` (L1 when on, else Redis), whether fresh or kept past its TTL. */
export async function storedEntry(stack: CacheStack, key: string): Promise<CacheEntry | undefined> {
  const engine = engineOf(stack);
  const full = engine.keys.entry(key);
  if (engine.l1) return engine.l1.read(full).entry;
  return (await engine.l2?.read(full))?.entry;
}

/** Records the events of `names` a stack emits. */
export function recordEvents<E extends keyof StrataEventMap>(
  stack: CacheStack,
  ...names: E[]
): { [K in E]: StrataEventMap[K][] } {
  const log = {} as { [K in E]: StrataEventMap[K][] };
  for (const name of names) {
    const list: StrataEventMap[E][] = [];
    log[name] = list as never;
    stack.events.on(name, (payload) => list.push(payload));
  }
  return log;
}
