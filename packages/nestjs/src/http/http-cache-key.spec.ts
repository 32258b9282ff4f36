import { describe, expect, it } from 'vitest';
import {
  MAX_READABLE_KEY_LENGTH,
  parseHost,
  primaryKey,
  type PrimaryKeyInput,
  unsafeRequestResource,
} from './http-cache-key.js';

const base: PrimaryKeyInput = {
  scheme: 'http',
  host: 'a.test',
  target: '/p',
  query: {},
  route: 'C.m',
  scope: 'shared-default',
  personal: '',
};

const key = (input: Partial<PrimaryKeyInput>): string => {
  const result = primaryKey({ ...base, ...input });
  if (!result.ok) throw new Error(`no key: ${result.reason}`);
  return result.key;
};

describe('parseHost', () => {
  it('lowercases and gives the effective port', () => {
    expect(parseHost('Shop.Example.COM', 'http')).toEqual({ name: 'shop.example.com', port: 80 });
    expect(parseHost('shop.example:80', 'http')).toEqual({ name: 'shop.example', port: 80 });
    expect(parseHost('shop.example:', 'https')).toEqual({ name: 'shop.example', port: 443 });
    expect(parseHost('shop.example:443', 'http')).toEqual({ name: 'shop.example', port: 443 });
  });

  it('handles IPv6 literals and IPv4', () => {
    expect(parseHost('[::1]:80', 'http')).toEqual({ name: '[::1]', port: 80 });
    expect(parseHost('[2001:DB8::1]:3000', 'http')).toEqual({ name: '[2001:db8::1]', port: 3000 });
    expect(parseHost('127.0.0.1:3000', 'http')).toEqual({ name: '127.0.0.1', port: 3000 });
  });

  it('gives an empty name when there is no Host (HTTP/1.0)', () => {
    expect(parseHost(undefined, 'https')).toEqual({ name: '', port: 443 });
  });

  it('rejects values that are not hosts, so they cannot forge another key', () => {
    for (const bad of [
      'a.test/admin',
      'a.test?x',
      'user@a.test',
      'a test',
      'a.test:80:80',
      'a.test#x',
      'a.test:abc',
      'a.test|x',
      'a.test:65536',
      'a.test:0080',
      'a.test:000000080',
    ]) {
      expect(parseHost(bad, 'http')).toBeNull();
    }
    expect(primaryKey({ ...base, host: 'a.test/admin' })).toEqual({ ok: false, reason: 'invalid-host' });
  });
});

describe('primaryKey', () => {
  it('length-prefixes every field', () => {
    expect(key({ host: 'Shop.Example:80', target: '/p/42?b=2&a=1', query: { b: '2', a: '1' } })).toBe(
      "h2|4:http|12:shop.example|2:80|3:C.m|14:shared-default|5:/p/42|17:(1'a:1'1,1'b:1'2)|0:",
    );
  });

  it('keeps a request without Host apart from one with an empty Host', () => {
    expect(key({ host: undefined })).not.toBe(key({ host: '' }));
    expect(key({ host: undefined })).toContain('|4:http|-|2:80|');
  });

  it('gives the same key whatever the parameter order, from the parsed query', () => {
    expect(key({ target: '/p?b=2&a=1', query: { b: '2', a: '1' } })).toBe(
      key({ target: '/p?a=1&b=2', query: { a: '1', b: '2' } }),
    );
  });

  it('keeps repeated parameters in their parsed order, whatever their spelling', () => {
    const first = key({ target: '/p?q=evil&%71=good', query: { q: ['evil', 'good'] } });
    const second = key({ target: '/p?%71=good&q=evil', query: { q: ['good', 'evil'] } });
    expect(first).not.toBe(second);
  });

  it('treats an empty query as no query', () => {
    expect(key({ target: '/p?', query: {} })).toBe(key({ target: '/p', query: undefined }));
  });

  it('bypasses a query the adapter did not parse, or parsed into values it cannot key', () => {
    expect(primaryKey({ ...base, target: '/p?a=1', query: undefined })).toEqual({
      ok: false,
      reason: 'unkeyable-query',
    });
    expect(primaryKey({ ...base, target: '/p?a=1', query: { a: new Date(0) } }).ok).toBe(false);
  });

  it('keeps the path as received, not decoded', () => {
    expect(key({ target: '/products/%34%32' })).not.toBe(key({ target: '/products/42' }));
    expect(key({ target: '/a%2Fb' })).not.toBe(key({ target: '/a/b' }));
    expect(key({ target: '/a/' })).not.toBe(key({ target: '/a' }));
  });

  it('separates schemes, hosts, ports, routes, scopes and users', () => {
    const one = key({});
    expect(key({ scheme: 'https' })).not.toBe(one);
    expect(key({ host: 'b.test' })).not.toBe(one);
    expect(key({ host: 'a.test:443' })).not.toBe(one);
    expect(key({ host: 'a.test:80' })).toBe(one);
    expect(key({ route: 'C.n' })).not.toBe(one);
    expect(key({ scope: 'public' })).not.toBe(one);
    expect(key({ personal: 'x' })).not.toBe(one);
  });

  it('bypasses targets the adapters could read differently', () => {
    const reasons = {
      '/p#q=evil': 'fragment',
      '/p?z=1#&q=evil': 'fragment',
      '/p;q=evil': 'path-parameters',
      '/p%zz': 'invalid-percent-encoding',
      '/p%4': 'invalid-percent-encoding',
      '/users/me|k:abc': 'unencoded-character',
      '/p{x}': 'unencoded-character',
      '/caf\u00e9': 'unencoded-character',
      '/a\\b': 'unencoded-character',
      '*': 'not-origin-form',
      'http://a.test/p': 'not-origin-form',
    };
    for (const [target, reason] of Object.entries(reasons)) {
      expect(primaryKey({ ...base, target }), target).toEqual({ ok: false, reason });
    }
  });

  it('keeps a reserved character in the query keyable through the parsed query', () => {
    expect(key({ target: '/p?q=a;b', query: { q: 'a;b' } })).toContain("3'a;b");
  });

  it('never contains a hash tag, even for braces in the query', () => {
    expect(key({ target: '/p?q=%7Bx%7D', query: { q: '{x}' } })).not.toMatch(/[{}]/);
  });

  it('replaces a long key by its digest, still one per request', () => {
    const long = `/${'a'.repeat(MAX_READABLE_KEY_LENGTH)}`;
    expect(key({ target: long })).toMatch(/^h2#[\w-]{43}$/);
    expect(key({ target: long })).not.toBe(key({ target: `${long}b` }));
  });

  it('names the resource for the path tag: canonical path, no query', () => {
    const result = primaryKey({
      ...base,
      host: 'A.test',
      target: '/Products/%34%32/?x=1',
      query: { x: '1' },
    });
    expect(result.ok && result.resource).toBe('http://a.test:80/products/42');
    expect(unsafeRequestResource('http', 'a.test:80', '/products/42?y=2')).toBe(
      'http://a.test:80/products/42',
    );
    expect(unsafeRequestResource('https', 'a.test', '/products//42;v=1#x')).toBe(
      'https://a.test:443/products/42',
    );
    expect(unsafeRequestResource('http', 'a.test/x', '/p')).toBeNull();
  });
});

describe('primaryKey of a target asked before', () => {
  it('is the key of its own inputs, whichever input differs from the last request to the target', () => {
    const target = '/remembered?a=1';
    const first = key({ target, query: { a: '1' } });
    const others: Partial<PrimaryKeyInput>[] = [
      { scheme: 'https' },
      { host: 'b.test' },
      { host: undefined },
      { query: { a: '2' } },
      { route: 'C.other' },
      { scope: 'public' },
      { personal: 'digest' },
    ];
    const keys = others.map((other) => key({ target, query: { a: '1' }, ...other }));
    expect(new Set([first, ...keys]).size).toBe(others.length + 1);
    expect(keys[1]).toContain('|6:b.test|');
    expect(keys[3]).toContain("|9:(1'a:1'2)|");
    // Asked again after each of them: the first request's key.
    expect(key({ target, query: { a: '1' } })).toBe(first);
    expect(first).toBe("h2|4:http|6:a.test|2:80|3:C.m|14:shared-default|11:/remembered|9:(1'a:1'1)|0:");
  });

  it('still refuses what it refused, and a query the adapter did not parse', () => {
    const target = '/remembered-too?a=1';
    key({ target, query: { a: '1' } });
    expect(primaryKey({ ...base, target, query: undefined })).toEqual({
      ok: false,
      reason: 'unkeyable-query',
    });
    expect(primaryKey({ ...base, target, query: { a: new Date(0) } })).toEqual({
      ok: false,
      reason: 'unkeyable-query',
    });
    expect(primaryKey({ ...base, target, query: { a: '1' }, host: 'a.test/x' })).toEqual({
      ok: false,
      reason: 'invalid-host',
    });
  });
});
