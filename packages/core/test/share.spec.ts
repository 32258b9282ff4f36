import { describe, expect, it } from 'vitest';
import { CACHE_MISS } from '../src/internal.js';
import { appInstances } from './instances.support.js';
import { useRedisStacks } from './redis-stacks.support.js';
import { eventually } from './support.js';

describe('share: read-only values handed out without a copy', () => {
  const redis = useRedisStacks();
  const { open } = redis;

  it('hands out the same frozen object on L1 hits, filled from Redis too, and copies otherwise', async () => {
    const [writer, reader] = await appInstances(redis.url, 2, open);
    if (writer === undefined || reader === undefined) throw new Error('two stacks expected');
    await writer.set('page', { body: 'hello', headers: { etag: '"x"' } }, { share: true });

    const first = await writer.get<{ body: string }>('page', { share: true });
    expect(await writer.get('page', { share: true })).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    expect(() => {
      (first as { body: string }).body = 'changed';
    }).toThrow(TypeError);

    // Another instance reads it from Redis with share: L1 keeps the frozen object it decoded once.
    // (A read that overlaps the writer's bus message is not kept in L1: read until L1 holds it.)
    let fromRedis: unknown;
    const kept = await eventually(async () => {
      fromRedis = await reader.get('page', { share: true });
      return reader.peek('page') !== CACHE_MISS;
    }, 1_000);
    expect(kept).toBe(true);
    expect(fromRedis).toStrictEqual({ body: 'hello', headers: { etag: '"x"' } });
    const held = reader.peek('page');
    expect(Object.isFrozen(held)).toBe(true);
    expect(await reader.get('page', { share: true })).toBe(held);

    // Without share, every read is a copy of its own that the caller may change.
    await writer.set('plain', { n: 1 });
    const a = await writer.get<{ n: number }>('plain');
    const b = await writer.get<{ n: number }>('plain');
    expect(a).not.toBe(b);
    if (a === undefined) throw new Error('hit expected');
    a.n = 2;
    expect(await writer.get('plain')).toStrictEqual({ n: 1 });
  });
});
