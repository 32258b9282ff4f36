import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CacheStack, StrataConfigError, type CacheStackOptions, type StrataEventMap } from '../src/index.js';
import { engineOf } from '../src/internal.js';
import { appInstances } from './instances.support.js';
import { useRedisStacks } from './redis-stacks.support.js';
import { countingLoader, uniquePrefix } from './support.js';

const K1 = randomBytes(32);
const K2 = randomBytes(32);
const SECRET = { card: '4111-1111-1111-1111', owner: 'Ada Lovelace', note: 'deliver to the back door' };

/** A value of `bytes` characters of varied, compressible JSON. */
const catalogue = (bytes: number): { items: { id: number; name: string }[] } => {
  const items: { id: number; name: string }[] = [];
  for (let i = 0; JSON.stringify(items).length < bytes; i++)
    items.push({ id: i, name: `product number ${i}` });
  return { items };
};

/**
 * Values at rest: what Redis holds of compressed and encrypted entries (read with a raw client),
 * and what a reader makes of entries that were tampered with, moved, written under a key it does
 * not have, stored in clear under a sensitive key, or of a kind it does not know.
 */
describe('values at rest in Redis', () => {
  const redis = useRedisStacks();
  const { open } = redis;

  const encrypted = (
    keys: Record<string, Uint8Array | string> = { k1: K1 },
    current = 'k1',
  ): CacheStackOptions => ({
    encryption: { keys, current },
  });

  const two = async (options: CacheStackOptions = {}): Promise<[CacheStack, CacheStack]> => {
    const [a, b] = await appInstances(redis.url, 2, open, options);
    if (a === undefined || b === undefined) throw new Error('two stacks expected');
    return [a, b];
  };
  const one = async (options: CacheStackOptions = {}): Promise<CacheStack> => (await two(options))[0];

  /** The full Redis key of `key` in `stack`. */
  const fullKey = (stack: CacheStack, key: string, namespace?: string): string =>
    engineOf(stack).keys.entry(key, namespace);

  const unreadable = (stack: CacheStack): StrataEventMap['entry:unreadable'][] => {
    const seen: StrataEventMap['entry:unreadable'][] = [];
    stack.events.on('entry:unreadable', (event) => void seen.push(event));
    return seen;
  };

  describe('encryption', () => {
    it('stores a sensitive value with no plaintext in Redis, and another instance reads it', async () => {
      const [a, b] = await two(encrypted());
      await a.set('order:1', SECRET, { sensitive: true });
      const full = fullKey(a, 'order:1');
      const raw = await redis.admin.getBuffer(full);
      expect(raw).not.toBeNull();
      for (const clear of [SECRET.card, SECRET.owner, '4111', 'Lovelace', 'back door'])
        expect(raw?.includes(clear)).toBe(false);
      expect(await b.get('order:1', { sensitive: true })).toEqual(SECRET);
      // Loads are stored encrypted too.
      await a.getOrLoad('order:2', async () => SECRET, { sensitive: true });
      expect((await redis.admin.get(fullKey(a, 'order:2')))?.includes('Lovelace')).toBe(false);
      expect(await b.getOrLoad('order:2', async () => 'reloaded', { sensitive: true })).toEqual(SECRET);
    });

    it('encrypts every entry of a namespace listed in encryption.namespaces', async () => {
      const a = await one({
        encryption: { keys: { k1: K1 }, current: 'k1', namespaces: ['orders'] },
      });
      await a.set('1', SECRET, { namespace: 'orders' });
      await a.set('1', SECRET, { namespace: 'catalog' });
      const raw = async (ns: string): Promise<string> => (await redis.admin.get(fullKey(a, '1', ns))) ?? '';
      expect(await raw('orders')).not.toContain('Lovelace');
      expect(await raw('catalog')).toContain('Lovelace');
    });

    it('reads an entry whose bits were flipped in Redis as a miss, runs the loader and reports it', async () => {
      const [a, b] = await two(encrypted());
      await a.set('order:1', SECRET, { sensitive: true });
      const full = fullKey(a, 'order:1');
      const raw = (await redis.admin.getBuffer(full)) as Buffer;
      // A bit of the ciphertext near the end (inside the base64 of the tag or ciphertext).
      const flipped = Buffer.from(raw);
      const at = flipped.length - 30;
      flipped[at] = flipped[at] === 0x41 ? 0x42 : 0x41;
      await redis.admin.set(full, flipped, 'KEEPTTL');
      const seen = unreadable(b);
      const loader = countingLoader(() => 'fresh from the source');
      expect(await b.getOrLoad('order:1', loader.load, { sensitive: true })).toBe('fresh from the source');
      expect(loader.calls()).toBe(1);
      expect(seen).toEqual([expect.objectContaining({ key: full, reason: 'tampered' })]);
    });

    it('reads an encrypted entry copied under another key as a miss', async () => {
      const [a, b] = await two(encrypted());
      await a.set('order:1', SECRET, { sensitive: true });
      await redis.admin.copy(fullKey(a, 'order:1'), fullKey(a, 'order:2'));
      const seen = unreadable(b);
      expect(await b.get('order:2', { sensitive: true })).toBeUndefined();
      expect(await b.get('order:2')).toBeUndefined();
      expect(seen.map((event) => event.reason)).toEqual(['tampered', 'tampered']);
      expect(await b.get('order:1', { sensitive: true })).toEqual(SECRET);
    });

    it('reads an entry whose header was changed (tags dropped, lifetime extended) as a miss', async () => {
      const [a, b] = await two(encrypted());
      await a.set('order:1', SECRET, { sensitive: true, tags: ['customer:7'] });
      const full = fullKey(a, 'order:1');
      const raw = (await redis.admin.get(full)) ?? '';
      // `S1|created|fresh|stale|tagCount\n` + tags: drop the tag so an invalidation would miss it.
      const match = /^(S1\|\d+\|\d+\|\d+\|)(\d+)\n/.exec(raw);
      expect(match).not.toBeNull();
      const tags = Number(match?.[2]);
      const lines = raw.slice(match?.[0].length).split('\n');
      const rest = lines.slice(tags).join('\n');
      await redis.admin.set(full, `${match?.[1]}0\n${rest}`, 'KEEPTTL');
      expect(await b.get('order:1', { sensitive: true })).toBeUndefined();
    });

    it('reads an encrypted value that was truncated, re-labelled with another listed key, or swapped for a compressed plaintext as a miss', async () => {
      const [a, b] = await two({ l1: false, encryption: { keys: { k1: K1, k2: K2 }, current: 'k1' } });
      await a.set('order:1', SECRET, { sensitive: true });
      const full = fullKey(a, 'order:1');
      const raw = (await redis.admin.get(full)) ?? '';
      const at = raw.lastIndexOf('\nEhk1.') + 1;
      const head = raw.slice(0, at);
      const value = raw.slice(at);
      const { deflateRawSync } = await import('node:zlib');
      const forged = [
        head + value.slice(0, value.length - 8),
        head + value.slice(0, value.indexOf('.', 4) + 1),
        head + value.replace('Ehk1.', 'Ehk2.'),
        head +
          'Z' +
          deflateRawSync(Buffer.from('j' + JSON.stringify({ card: 'attacker' }))).toString('base64'),
      ];
      const seen = unreadable(b);
      for (const forgery of forged) {
        await redis.admin.set(full, forgery, 'KEEPTTL');
        expect(await b.get('order:1', { sensitive: true })).toBeUndefined();
      }
      expect(seen.map((event) => event.reason)).toEqual(['tampered', 'tampered', 'tampered', 'unencrypted']);
    });

    it('keeps entries under an old master key readable while it is listed, and writes with the current one', async () => {
      const old = await one(encrypted({ k1: K1 }, 'k1'));
      await old.set('order:1', SECRET, { sensitive: true });
      const prefix = engineOf(old).keys.prefix;
      const rotated = new CacheStack({
        prefix,
        jitter: 0,
        redis: { url: redis.url },
        ...encrypted({ k2: K2, k1: K1.toString('base64') }, 'k2'),
      });
      open.push(rotated);
      await rotated.connect();
      expect(await rotated.get('order:1', { sensitive: true })).toEqual(SECRET);
      await rotated.set('order:2', SECRET, { sensitive: true });
      expect(await redis.admin.get(fullKey(rotated, 'order:2'))).toMatch(/^S1\|\d+\|[^]*\nEhk2\./);
      // Once k1 is no longer listed, its entries are misses, never errors.
      const dropped = new CacheStack({
        prefix,
        jitter: 0,
        redis: { url: redis.url },
        l1: false,
        ...encrypted({ k2: K2 }, 'k2'),
      });
      open.push(dropped);
      await dropped.connect();
      const seen = unreadable(dropped);
      expect(await dropped.get('order:1', { sensitive: true })).toBeUndefined();
      expect(await dropped.get('order:2', { sensitive: true })).toEqual(SECRET);
      expect(seen.map((event) => event.reason)).toEqual(['unknown-key']);
    });

    it('reads an entry stored in clear under a sensitive key as a miss, and stores the reload encrypted', async () => {
      const [a, b] = await two({ ...encrypted(), l1: false });
      await a.set('order:1', SECRET);
      const seen = unreadable(b);
      const loader = countingLoader(() => SECRET);
      expect(await b.getOrLoad('order:1', loader.load, { sensitive: true })).toEqual(SECRET);
      expect(loader.calls()).toBe(1);
      expect(seen.map((event) => event.reason)).toEqual(['unencrypted']);
      expect(await redis.admin.get(fullKey(a, 'order:1'))).not.toContain('Lovelace');
      // A plain read of the encrypted entry works (the keys are there).
      expect(await a.get('order:1')).toEqual(SECRET);
    });

    it('keeps decrypted values in L1 only: an L1 hit costs no decryption, and Redis holds ciphertext', async () => {
      const [a, b] = await two(encrypted());
      await a.set('order:1', SECRET, { sensitive: true });
      // B fills its L1 from Redis: what it keeps is the encoded value in clear, not the ciphertext.
      expect(await b.get('order:1', { sensitive: true })).toEqual(SECRET);
      const kept = engineOf(b).l1?.lookup(fullKey(b, 'order:1'), Date.now());
      expect(kept?.entry.value).toBe(`j${JSON.stringify(SECRET)}`);
      expect(await redis.admin.get(fullKey(a, 'order:1'))).not.toContain('Lovelace');
      // Redis loses it; each instance's own memory still answers, with no Redis read.
      await redis.admin.flushall();
      expect(await a.get('order:1', { sensitive: true })).toEqual(SECRET);
      expect(await b.get('order:1', { sensitive: true })).toEqual(SECRET);
    });

    it('refuses a sensitive call on a Redis stack without keys; a memory-only stack keeps it in process', async () => {
      const a = await one();
      await expect(a.set('order:1', SECRET, { sensitive: true })).rejects.toThrow(StrataConfigError);
      await expect(a.getOrLoad('order:1', async () => SECRET, { sensitive: true })).rejects.toThrow(
        /encryption/,
      );
      expect(await redis.admin.exists(fullKey(a, 'order:1'))).toBe(0);
      const memory = new CacheStack({ prefix: uniquePrefix() });
      open.push(memory);
      await memory.set('order:1', SECRET, { sensitive: true });
      expect(await memory.get('order:1', { sensitive: true })).toEqual(SECRET);
    });
  });

  describe('compression', () => {
    it('stores a large value compressed (fewer bytes), reads it back exactly, and leaves small ones as they are', async () => {
      const [a, b] = await two({ l1: false });
      const large = catalogue(100_000);
      await a.set('large', large);
      await a.set('small', { id: 1 });
      await a.set('kept', large, { compress: false });
      const size = (key: string): Promise<number> => redis.admin.strlen(fullKey(a, key));
      const json = JSON.stringify(large).length;
      expect(await size('large')).toBeLessThan(json / 3);
      expect(await size('kept')).toBeGreaterThan(json);
      expect(await b.get('large')).toEqual(large);
      expect(await b.get('small')).toEqual({ id: 1 });
      expect(await b.get('kept')).toEqual(large);
      const loaded = await b.getOrLoad('loaded', async () => large);
      expect(loaded).toEqual(large);
      expect(await size('loaded')).toBeLessThan(json / 3);
      expect(await a.getOrLoad('loaded', async () => 'reloaded')).toEqual(large);
    });

    it('compresses nothing with compression: false', async () => {
      const a = await one({ compression: false, l1: false });
      const large = catalogue(20_000);
      await a.set('large', large);
      expect(await redis.admin.strlen(fullKey(a, 'large'))).toBeGreaterThan(JSON.stringify(large).length);
    });

    it('compresses a sensitive value before encrypting it only with encryption.compress', async () => {
      const large = catalogue(50_000);
      const sizes: number[] = [];
      for (const compress of [false, true]) {
        const a = await one({
          l1: false,
          encryption: { keys: { k1: K1 }, current: 'k1', compress },
        });
        await a.set('large', large, { sensitive: true });
        sizes.push(await redis.admin.strlen(fullKey(a, 'large')));
        expect(await a.get('large', { sensitive: true })).toEqual(large);
      }
      const [plain, compressed] = sizes as [number, number];
      expect(compressed).toBeLessThan(plain / 2);
    });
  });

  describe('entries a reader cannot open are misses, never errors', () => {
    it.each([
      ['a value kind this release does not know', 'Q{"from":"a newer release"}', 'unknown-kind'],
      [
        'compressed bytes that do not inflate',
        `Z${Buffer.from('not deflate at all').toString('base64')}`,
        'corrupt',
      ],
      ['an encrypted value without a key id', 'Eh.AAAA', 'tampered'],
    ] as const)('%s', async (_, value, reason) => {
      const a = await one({ ...encrypted(), l1: false });
      await a.set('victim', 'original');
      const full = fullKey(a, 'victim');
      const raw = (await redis.admin.get(full)) ?? '';
      await redis.admin.set(full, raw.replace('j"original"', value), 'KEEPTTL');
      const seen = unreadable(a);
      expect(await a.getOrLoad('victim', async () => 'reloaded')).toBe('reloaded');
      expect(seen.map((event) => event.reason)).toEqual([reason]);
    });

    it('refuses a compressed value that would inflate past maxValueBytes', async () => {
      const a = await one({ l1: false, maxValueBytes: 64 * 1024 });
      // A "zip bomb": 10 MB of zeros in a few KB.
      const { deflateRawSync } = await import('node:zlib');
      const bomb = deflateRawSync(Buffer.from(`j"${'0'.repeat(10_000_000)}"`));
      await a.set('victim', 'original');
      const full = fullKey(a, 'victim');
      const raw = (await redis.admin.get(full)) ?? '';
      await redis.admin.set(full, raw.replace('j"original"', 'Z' + bomb.toString('base64')), 'KEEPTTL');
      const seen = unreadable(a);
      expect(await a.get('victim')).toBeUndefined();
      expect(seen.map((event) => event.reason)).toEqual(['corrupt']);
    });
  });

  describe('configuration', () => {
    const boot =
      (encryption: unknown): (() => CacheStack) =>
      () =>
        new CacheStack({ encryption: encryption as CacheStackOptions['encryption'] });

    it('names the option and never shows key material', () => {
      const short = randomBytes(16).toString('base64');
      for (const [encryption, option] of [
        [{ keys: { k1: short }, current: 'k1' }, 'encryption.keys.k1'],
        [{ keys: { k1: 'not base64 at all!' }, current: 'k1' }, 'encryption.keys.k1'],
        [{ keys: { k1: K1 }, current: 'k2' }, 'encryption.current'],
        [{ keys: { 'bad id': K1 }, current: 'bad id' }, 'encryption.keys'],
        [{ keys: {}, current: 'k1' }, 'encryption.keys'],
        [{ keys: short, current: 'k1' }, 'encryption.keys'],
        [{ keys: { k1: K1 }, current: 'k1', compres: true }, 'encryption.compres'],
      ] as const) {
        let error: unknown;
        try {
          boot(encryption)();
        } catch (caught) {
          error = caught;
        }
        expect(error).toBeInstanceOf(StrataConfigError);
        expect((error as StrataConfigError).option).toBe(option);
        expect((error as Error).message).not.toContain(short);
        expect((error as Error).message).not.toContain(K1.toString('base64'));
      }
      expect(() => new CacheStack({ compression: { threshold: 1 } })).toThrow(/compression\.threshold/);
    });
  });
});
