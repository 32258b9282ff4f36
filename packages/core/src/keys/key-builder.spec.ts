import { describe, expect, it } from 'vitest';
import { InvalidKeyError } from '../errors/invalid-key.error.js';
import { DEFAULT_NAMESPACE, KeyBuilder } from './key-builder.js';

/** The Redis Cluster hash tag of a key: what lies between the first `{` and the next `}`. */
function hashTag(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  if (close <= open + 1) return undefined;
  return key.slice(open + 1, close);
}

function catchError(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('KeyBuilder', () => {
  const keys = new KeyBuilder('shop', 512);

  it('lays entry keys out as prefix:namespace:key, with the default namespace when none is given', () => {
    expect(DEFAULT_NAMESPACE).toBe('default');
    expect(keys.entry('product:42')).toBe('shop:default:product:42');
    expect(keys.entry('product:42', 'catalog')).toBe('shop:catalog:product:42');
    expect(new KeyBuilder('other', 512).entry('product:42')).toBe('other:default:product:42');
  });

  it('gives entry keys no hash tag, so entries spread over cluster slots', () => {
    expect(hashTag(keys.entry('product:42'))).toBeUndefined();
    expect(hashTag(keys.entry('x', 'catalog'))).toBeUndefined();
  });

  it('puts every tag and namespace key in the one {prefix:tags} slot', () => {
    const tagKeys = [
      keys.tag('product:1'),
      keys.tag('product-list'),
      keys.tag('a'.repeat(2000)),
      keys.tag('with {braces} inside'),
      keys.namespace('default'),
      keys.namespace('catalog'),
    ];
    for (const key of tagKeys) expect(hashTag(key)).toBe('shop:tags');
    expect(keys.tag('product:1')).toBe('shop:{shop:tags}:t:product:1');
    expect(keys.namespace('catalog')).toBe('shop:{shop:tags}:n:catalog');
    // A tag and a namespace of the same name are different keys.
    expect(keys.tag('catalog')).not.toBe(keys.namespace('catalog'));
    expect(hashTag(new KeyBuilder('blog', 512).tag('x'))).toBe('blog:tags');
  });

  it('keeps keys up to maxKeyLength as they are', () => {
    const small = new KeyBuilder('p', 128);
    const key = 'k'.repeat(128 - 'p:default:'.length);
    expect(small.entry(key)).toBe(`p:default:${key}`);
    expect(small.entry(key)).toHaveLength(128);
  });

  it('hashes longer keys: bounded length, readable head, and unique per key', () => {
    const small = new KeyBuilder('p', 128);
    const base = 'x'.repeat(300);
    const a = small.entry(base + 'a');
    const b = small.entry(base + 'b');
    const c = small.entry('k'.repeat(128 - 'p:default:'.length + 1));
    for (const key of [a, b, c]) {
      expect(key.length).toBeLessThanOrEqual(128);
      expect(key.startsWith('p:default:')).toBe(true);
      expect(key).toMatch(/#[A-Za-z0-9_-]{43}$/);
    }
    expect(a).not.toBe(b);
    expect(small.entry(base + 'a')).toBe(a);
    expect(small.entry(base + 'a', 'other')).not.toBe(a);
    // A hash tag is kept whole, so the short key stays in the long key's cluster slot.
    const tagged = small.entry(`{p:wb:cache:3}:${base}`);
    expect(tagged.length).toBeLessThanOrEqual(128);
    expect(hashTag(tagged)).toBe('p:wb:cache:3');
    const longTag = `{${'t'.repeat(100)}}`;
    expect(hashTag(small.entry(`${longTag}:${base}`))).toBe('t'.repeat(100));
    expect(small.entry(`${longTag}:${base}`)).not.toBe(small.entry(`${longTag}:${base}!`));
    // 1000 long keys sharing a long head: all distinct.
    const many = new Set(Array.from({ length: 1000 }, (_, i) => small.entry(`${base}:${i}`)));
    expect(many.size).toBe(1000);
  });

  it('rejects an empty key with InvalidKeyError (E_INVALID_KEY)', () => {
    const error = catchError(() => keys.entry(''));
    expect(error).toBeInstanceOf(InvalidKeyError);
    expect((error as InvalidKeyError).code).toBe('E_INVALID_KEY');
  });

  it.each([[''], ['line\nbreak']])('rejects the tag %j with InvalidKeyError (E_INVALID_TAG)', (tag) => {
    const error = catchError(() => keys.tag(tag));
    expect(error).toBeInstanceOf(InvalidKeyError);
    expect((error as InvalidKeyError).code).toBe('E_INVALID_TAG');
    expect((error as InvalidKeyError).key).toBe(tag);
  });

  it.each([[''], ['has space'], ['a:b'], ['{slot}'], ['new\nline'], ['ünï']])(
    'rejects the namespace %j with InvalidKeyError',
    (namespace) => {
      const error = catchError(() => KeyBuilder.assertNamespace(namespace));
      expect(error).toBeInstanceOf(InvalidKeyError);
      expect((error as InvalidKeyError).code).toBe('E_INVALID_KEY');
      expect((error as Error).message).toContain('namespace');
    },
  );

  it.each([['default'], ['catalog_v2'], ['a.b-c'], ['X9']])('accepts the namespace %j', (namespace) => {
    expect(() => KeyBuilder.assertNamespace(namespace)).not.toThrow();
  });
});
