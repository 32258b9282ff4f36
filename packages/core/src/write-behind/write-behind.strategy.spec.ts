import { afterEach, describe, expect, it } from 'vitest';
import { Cluster } from 'ioredis';
import { StrataConfigError } from '../errors/strata-config.error.js';
import { UncacheableValueError } from '../errors/uncacheable-value.error.js';
import { CacheStack } from '../stack/cache-stack.js';
import type { CacheWriter, DeleteRecord, WriteRecord } from '../strategies/cache-writer.interface.js';
import type { WriteBehindConfig, WriteBehindStrategyCache } from './write-behind.config.js';
import { WriteBehindStrategy } from './write-behind.strategy.js';

interface Doc {
  n: number;
  tags: string[];
}

/** Keeps what it is given; fails the keys in `failing`. */
class ListWriter implements CacheWriter<Doc> {
  readonly writes: WriteRecord<Doc>[] = [];
  readonly deletes: DeleteRecord[] = [];
  readonly failing = new Set<string>();

  async writeMany(records: readonly WriteRecord<Doc>[]): Promise<void> {
    if (records.some((record) => this.failing.has(record.key))) throw new Error('rejected');
    this.writes.push(...records);
  }

  async deleteMany(records: readonly DeleteRecord[]): Promise<void> {
    this.deletes.push(...records);
  }
}

const stacks: CacheStack[] = [];
const caches: WriteBehindStrategyCache<Doc>[] = [];
afterEach(async () => {
  await Promise.all(caches.splice(0).map((cache) => cache.close()));
  await Promise.all(stacks.splice(0).map((stack) => stack.close()));
});

async function bind(config: Partial<WriteBehindConfig<Doc>> = {}) {
  const stack = new CacheStack({ prefix: 'wb' });
  stacks.push(stack);
  const writer = new ListWriter();
  let loads = 0;
  const cache = await new WriteBehindStrategy(stack).bind<Doc>({
    name: 'docs',
    writer,
    loader: {
      load: async () => {
        loads++;
        return null;
      },
    },
    flushInterval: '10s',
    ...config,
  });
  caches.push(cache);
  return { stack, writer, cache, loads: () => loads };
}

describe('WriteBehindStrategy.bind', () => {
  it('needs a writer', async () => {
    const stack = new CacheStack({ prefix: 'wb' });
    stacks.push(stack);
    await expect(new WriteBehindStrategy(stack).bind({ name: 'docs' })).rejects.toThrow(
      expect.objectContaining({ option: 'caches[docs].writer' }),
    );
  });

  it.each([
    ['flushInterval', '0ms'],
    ['retryBase', 'soon'],
    ['drainTimeout', -1],
    ['batchSize', 0],
    ['maxAttempts', 1.5],
    ['maxQueueLength', -3],
  ] as const)('rejects %s: %j with a StrataConfigError naming the option', async (option, value) => {
    let caught: unknown;
    try {
      await bind({ [option]: value });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(StrataConfigError);
    expect(caught).toMatchObject({ option: `caches[docs].${option}`, value });
  });
});

describe('WriteBehindStrategy.bind with replicas', () => {
  it('is a boot error on a Redis Cluster client, where WAIT would reach one node', async () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    const stack = new CacheStack({ prefix: 'wb', redis: { client: cluster } });
    stacks.push(stack);
    await expect(
      new WriteBehindStrategy(stack).bind({
        name: 'docs',
        writer: { writeMany: async () => undefined, deleteMany: async () => undefined },
        journal: 'redis',
        replicas: { count: 1, timeout: '50ms' },
      }),
    ).rejects.toThrow(expect.objectContaining({ option: 'caches[docs].replicas', code: 'E_CONFIG' }));
    cluster.disconnect();
  });
});

describe('WriteBehindStrategy.bind with partitions', () => {
  it('rejects more partitions than maxQueueLength: each partition holds an equal share', async () => {
    const cluster = new Cluster([{ host: '127.0.0.1', port: 1 }], { lazyConnect: true });
    const stack = new CacheStack({ prefix: 'wb', redis: { client: cluster } });
    stacks.push(stack);
    await expect(
      new WriteBehindStrategy(stack).bind({
        name: 'docs',
        writer: { writeMany: async () => undefined, deleteMany: async () => undefined },
        journal: 'redis',
        maxQueueLength: 3,
        partitions: 4,
      }),
    ).rejects.toThrow(expect.objectContaining({ option: 'caches[docs].partitions', value: 4 }));
    cluster.disconnect();
  });
});

describe('WriteBehindCache', () => {
  it('snapshots the value when set is called, not when its turn comes', async () => {
    const { cache, writer } = await bind();
    const doc: Doc = { n: 1, tags: ['a'] };
    const first = cache.set('d', doc);
    doc.n = 2;
    doc.tags.push('b');
    const later: Doc = { n: 3, tags: [] };
    const second = cache.set('d', later);
    later.n = 4;
    await Promise.all([first, second]);
    expect(await cache.get('d')).toEqual({ n: 3, tags: [] });
    await cache.flush();
    expect(writer.writes.map((record) => record.value)).toEqual([{ n: 3, tags: [] }]);

    await cache.set('e', doc);
    doc.n = 5;
    await cache.flush();
    expect(writer.writes.at(-1)?.value).toEqual({ n: 2, tags: ['a', 'b'] });
    expect(await cache.get('e')).toEqual({ n: 2, tags: ['a', 'b'] });
  });

  it('rejects a value it cannot encode, journaling nothing', async () => {
    const { cache } = await bind();
    const cyclic: Doc & { self?: unknown } = { n: 1, tags: [] };
    cyclic.self = cyclic;
    await expect(cache.set('d', cyclic)).rejects.toBeInstanceOf(UncacheableValueError);
    expect(await cache.pending()).toBe(0);
  });

  it('reads pending writes and deletes past the TTL without loading', async () => {
    const { cache, stack, loads } = await bind({ ttl: '30ms' });
    await cache.set('d', { n: 1, tags: [] });
    await cache.set('gone', { n: 1, tags: [] });
    await cache.delete('gone');
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(await stack.get('d', { namespace: 'docs' })).toBeUndefined();
    expect(await cache.get('d')).toEqual({ n: 1, tags: [] });
    expect(await cache.get('gone')).toBeUndefined();
    expect(loads()).toBe(0);
    await cache.flush();
    expect(await cache.get('d')).toBeUndefined();
    expect(loads()).toBe(1);
  });

  it('evicts the cache entry of a dead-lettered write', async () => {
    const { cache, stack, writer } = await bind({ maxAttempts: 2 });
    writer.failing.add('d');
    await cache.set('d', { n: 1, tags: [] });
    await cache.set('ok', { n: 1, tags: [] });
    expect(await stack.get('d', { namespace: 'docs' })).toEqual({ n: 1, tags: [] });
    await cache.flush();
    expect(cache.deadLetters.map((letter) => letter.key)).toEqual(['d']);
    expect(await stack.get('d', { namespace: 'docs' })).toBeUndefined();
    expect(await stack.get('ok', { namespace: 'docs' })).toEqual({ n: 1, tags: [] });
    expect(writer.writes.map((record) => record.key)).toEqual(['ok']);
  });
});
