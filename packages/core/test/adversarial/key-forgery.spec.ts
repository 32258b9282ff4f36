import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CacheStack, InvalidKeyError, type CacheStackOptions } from '../../src/index.js';
import { KeyBuilder } from '../../src/internal.js';
import { useRedisStacks } from '../redis-stacks.support.js';
import { uniquePrefix } from '../support.js';
import { engineOf } from '../../src/internal.js';

/** What Redis stores as the key name: ioredis sends strings as UTF-8. */
const bytes = (key: string): string => Buffer.from(key, 'utf8').toString('hex');

/** The Redis Cluster hash tag of a key: what lies between the first `{` and the next `}`. */
function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

const LONE_SURROGATE = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const BASE64URL = fc.constantFrom(...'ABCxyz019-_');

/** Pieces an attacker would put in a key: markers, digests, hash tags, separators, odd Unicode. */
const KEY_PIECE = fc.oneof(
  fc.string({ unit: 'grapheme', maxLength: 12 }),
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.constantFrom('#', ':', '{', '}', '{tag}', '\n', '\r', '\uFFFD', '😀', 'é', 'e\u0301', 'default:'),
  LONE_SURROGATE,
  fc.string({ unit: BASE64URL, minLength: 43, maxLength: 43 }).map((digest) => `#${digest}`),
  fc.integer({ min: 1, max: 700 }).map((length) => 'a'.repeat(length)),
);
const KEY = fc.array(KEY_PIECE, { minLength: 1, maxLength: 6 }).map((parts) => parts.join('') || 'k');
const NAMESPACE = fc.constantFrom('default', 'a', 'a.b', 'a-b', 'b', 'carts');
const MAX_KEY_LENGTH = fc.constantFrom(128, 200, 512);

describe('entry keys cannot be forged', () => {
  it('a key spelled like another key’s shortened form is a different Redis key', () => {
    fc.assert(
      fc.property(MAX_KEY_LENGTH, NAMESPACE, KEY, (max, namespace, key) => {
        const keys = new KeyBuilder('shop', max);
        const full = keys.entry(key, namespace);
        const head = `shop:${namespace}:`;
        expect(full.startsWith(head)).toBe(true);
        const forged = full.slice(head.length);
        if (forged !== key) expect(bytes(keys.entry(forged, namespace))).not.toBe(bytes(full));
      }),
      { numRuns: 400 },
    );
  });

  it('distinct (namespace, key) pairs give distinct Redis keys, byte for byte', () => {
    fc.assert(
      fc.property(
        MAX_KEY_LENGTH,
        fc.uniqueArray(fc.tuple(NAMESPACE, KEY), {
          minLength: 2,
          maxLength: 30,
          selector: ([namespace, key]) => `${namespace}\u0000${key}`,
        }),
        (max, pairs) => {
          const keys = new KeyBuilder('shop', max);
          const built = pairs.map(([namespace, key]) => bytes(keys.entry(key, namespace)));
          expect(new Set(built).size).toBe(pairs.length);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('keeps the documented bounds: at most maxKeyLength characters unless a hash tag is longer, no newline', () => {
    fc.assert(
      fc.property(MAX_KEY_LENGTH, KEY, (max, key) => {
        const full = new KeyBuilder('shop', max).entry(key);
        if (!key.includes('{')) expect(full.length).toBeLessThanOrEqual(max);
        expect(full).not.toContain('\n');
        // Every key Strata sends is well-formed, so its UTF-8 is the key itself.
        expect(Buffer.from(full, 'utf8').toString('utf8')).toBe(full);
      }),
      { numRuns: 300 },
    );
  });

  it('a shortened key keeps the Redis Cluster hash tag of the key it stands for', () => {
    fc.assert(
      fc.property(MAX_KEY_LENGTH, KEY, KEY, (max, before, after) => {
        const key = `{${before.replace(/[{}\n]/g, '') || 'p'}}${after}`;
        const keys = new KeyBuilder('shop', max);
        // Redis hashes the UTF-8 bytes, where each lone surrogate is already U+FFFD.
        const slotOf = (full: string): string | undefined =>
          hashTag(Buffer.from(full, 'utf8').toString('utf8'));
        expect(slotOf(keys.entry(key))).toBe(slotOf(`shop:default:${key}`));
      }),
      { numRuns: 300 },
    );
  });

  it('the documented forgery: a 494-character key equal to the shortened form of a 607-character key', () => {
    const keys = new KeyBuilder('shop', 512);
    const long = `search:${'q'.repeat(600)}`;
    expect(long).toHaveLength(607);
    const forged = keys.entry(long).slice('shop:default:'.length);
    expect(forged).toHaveLength(499);
    expect(keys.entry(forged)).not.toBe(keys.entry(long));
    // Still shortened to the same length and readable head.
    expect(keys.entry(forged)).toHaveLength(512);
  });

  it('tells lone surrogates apart (UTF-8 would turn each into the same U+FFFD)', () => {
    const keys = new KeyBuilder('shop', 512);
    const variants = ['a\uD800', 'a\uDBFF', 'a\uDC00', 'a\uFFFD', 'a\uD800\uDC00', '\uDC00\uD800'];
    const built = variants.map((key) => bytes(keys.entry(key)));
    expect(new Set(built).size).toBe(variants.length);
    // A well-formed pair stays readable and unshortened.
    expect(keys.entry('a\uD83D\uDE00')).toBe('shop:default:a😀');
  });

  it('does not split a surrogate pair when it shortens a key', () => {
    const keys = new KeyBuilder('p', 128);
    for (let pad = 0; pad < 4; pad++) {
      const full = keys.entry('x'.repeat(pad) + '😀'.repeat(100));
      expect(/\p{Cs}/u.test(full)).toBe(false);
    }
  });

  it('namespaces and separators cannot be shifted: ns "a:b" is refused, ("a", "b:c") ≠ ("a.b", "c")', () => {
    const keys = new KeyBuilder('shop', 512);
    expect(() => keys.entry('c', 'a:b')).toThrow(InvalidKeyError);
    expect(() => keys.entry('c', 'a{b}')).toThrow(InvalidKeyError);
    expect(keys.entry('b:c', 'a')).not.toBe(keys.entry('c', 'a.b'));
    expect(keys.entry('b:c', 'a')).not.toBe(keys.entry('c', 'a-b'));
  });
});

describe('tag and namespace keys cannot be forged', () => {
  it('distinct tags give distinct tag keys, or are refused', () => {
    fc.assert(
      fc.property(fc.uniqueArray(KEY, { minLength: 2, maxLength: 20 }), (tags) => {
        const keys = new KeyBuilder('shop', 512);
        const built: string[] = [];
        for (const tag of tags) {
          try {
            built.push(bytes(keys.tag(tag)));
          } catch (error) {
            expect(error).toBeInstanceOf(InvalidKeyError);
            expect((error as InvalidKeyError).code).toBe('E_INVALID_TAG');
          }
        }
        expect(new Set(built).size).toBe(built.length);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses tags that Redis could not tell apart or that would break an entry’s tag lines', () => {
    const keys = new KeyBuilder('shop', 512);
    for (const tag of ['a\uD800', 'a\uDBFF', 'line\nbreak', '']) {
      expect(() => keys.tag(tag)).toThrow(InvalidKeyError);
    }
    expect(keys.tag('a😀')).toBe('shop:{shop:tags}:t:a😀');
  });

  it('keeps tag, namespace, key-dependency and entry keys apart', () => {
    fc.assert(
      fc.property(KEY, NAMESPACE, (text, namespace) => {
        const keys = new KeyBuilder('shop', 512);
        const entry = keys.entry(text, namespace);
        const others = [keys.namespace(namespace), keys.keyDependency(entry)];
        if (!/[\p{Cs}\n]/u.test(text)) others.push(keys.tag(text));
        expect(new Set([entry, ...others]).size).toBe(others.length + 1);
        expect(keys.isKeyDependency(entry)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});

const redis = useRedisStacks();

describe.each([
  ['memory only', (): CacheStackOptions => ({})],
  ['Redis only (L1 off)', (url: string): CacheStackOptions => ({ l1: false, redis: { url } })],
  ['L1 + Redis', (url: string): CacheStackOptions => ({ l1: {}, redis: { url } })],
])('a forged key on a stack: %s', (_name, shape) => {
  async function open(): Promise<CacheStack> {
    const stack = new CacheStack({ prefix: uniquePrefix(), ...shape(redis.url) });
    redis.open.push(stack);
    expect(await stack.connect()).toBe(true);
    return stack;
  }

  it('neither reads nor overwrites the entry of the long key whose shortened form it spells', async () => {
    const stack = await open();
    const long = `search:${'q'.repeat(600)}`;
    const forged = engineOf(stack)
      .keys.entry(long)
      .slice(`${engineOf(stack).keys.prefix}:default:`.length);
    await stack.set(long, 'the real results');
    expect(await stack.get(forged)).toBeUndefined();
    await stack.set(forged, 'poisoned');
    expect(await stack.get(long)).toBe('the real results');
    expect(await stack.get(forged)).toBe('poisoned');
  });

  it('a key holding a newline and a tag line cannot break the entries that depend on it', async () => {
    const stack = await open();
    const hostile = `q\n${engineOf(stack).keys.tag('other')}`;
    await stack.set(hostile, 'hostile value');
    const { value, dependencies } = await stack.trackDependencies(() => stack.get<string>(hostile));
    expect(value).toBe('hostile value');
    await stack.set('page', { shown: value }, { dependsOn: dependencies });
    expect(await stack.get('page')).toStrictEqual({ shown: 'hostile value' });
    // The forged tag line is not a tag of the page: invalidating it leaves the page alone.
    await stack.invalidateTags(['other']);
    expect(await stack.get('page')).toStrictEqual({ shown: 'hostile value' });
    // The key it does depend on still drops it.
    await stack.delete(hostile);
    expect(await stack.get('page')).toBeUndefined();
  });
});
