import { describe, expect, it } from 'vitest';
import {
  DEFAULT_UNKEYED_HEADERS,
  checkUnkeyedHeaders,
  MAX_READABLE_KEY_LENGTH,
  parseHost,
  parseVary,
  primaryKey,
  type PrimaryKeyInput,
  unsafeRequestResource,
  variantKey,
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

describe('parseVary', () => {
  it('lowercases, trims, dedupes and sorts names', () => {
    expect(parseVary(' Accept-Language ,accept-ENCODING,  ACCEPT-language')).toEqual({
      names: ['accept-encoding', 'accept-language'],
      any: false,
    });
  });

  it('reads repeated lines joined with a comma', () => {
    expect(parseVary('Accept, Origin').names).toEqual(['accept', 'origin']);
  });

  it('flags Vary: *', () => {
    expect(parseVary('*').any).toBe(true);
    expect(parseVary('Accept, *').any).toBe(true);
  });

  it('is empty without a header', () => {
    expect(parseVary(undefined)).toEqual({ names: [], any: false });
    expect(parseVary(' , ')).toEqual({ names: [], any: false });
  });
});

describe('variantKey', () => {
  it('is empty when nothing varies', () => {
    expect(variantKey([], { 'accept-language': 'fr' })).toBe('');
  });

  it('differs by the values of the varied headers only', () => {
    const names = ['accept-language'];
    expect(variantKey(names, { 'accept-language': 'fr' })).not.toBe(
      variantKey(names, { 'accept-language': 'en' }),
    );
    expect(variantKey(names, { 'accept-language': 'fr', 'user-agent': 'a' })).toBe(
      variantKey(names, { 'accept-language': 'fr', 'user-agent': 'b' }),
    );
  });

  it('normalizes whitespace: trimmed, runs collapsed', () => {
    const names = ['accept-language'];
    expect(variantKey(names, { 'accept-language': '  en-GB,\t en;q=0.8  ' })).toBe(
      variantKey(names, { 'accept-language': 'en-GB, en;q=0.8' }),
    );
  });

  it('keeps an absent header distinct from an empty one', () => {
    const names = ['accept-language'];
    expect(variantKey(names, {})).not.toBe(variantKey(names, { 'accept-language': '' }));
    expect(variantKey(names, {})).not.toBe(variantKey(names, { 'accept-language': 'null' }));
  });

  it('is stable whatever the order and case of the recorded names', () => {
    const headers = { accept: 'application/json', 'accept-language': 'fr' };
    expect(variantKey(['Accept-Language', 'accept'], headers)).toBe(
      variantKey(['accept', 'accept-language'], headers),
    );
  });

  it('joins repeated header lines', () => {
    expect(variantKey(['x-a'], { 'x-a': ['1', '2'] })).toBe(variantKey(['x-a'], { 'x-a': '1, 2' }));
  });

  it('cannot be forged by a value that looks like another header', () => {
    const names = ['x-a', 'x-b'];
    expect(variantKey(names, { 'x-a': '1","x-b","2' })).not.toBe(
      variantKey(names, { 'x-a': '1', 'x-b': '2' }),
    );
  });

  it('reads headers through a lookup function too', () => {
    const headers: Record<string, string> = { 'accept-language': 'fr' };
    expect(variantKey(['accept-language'], (name) => headers[name])).toBe(
      variantKey(['accept-language'], headers),
    );
  });
});

describe('checkUnkeyedHeaders', () => {
  it('passes a request without any of them', () => {
    expect(checkUnkeyedHeaders({ host: 'a.test', accept: '*/*' })).toEqual({ ok: true, keyPart: '' });
  });

  it('bypasses by default when one is present, even empty', () => {
    for (const header of Object.keys(DEFAULT_UNKEYED_HEADERS)) {
      expect(checkUnkeyedHeaders({ [header]: 'evil.test' })).toEqual({
        ok: false,
        reason: 'unkeyed-header',
        header,
      });
    }
    expect(checkUnkeyedHeaders({ 'x-forwarded-host': '' }).ok).toBe(false);
  });

  it('bypasses the cache for the routing and forwarding headers that poison keys', () => {
    for (const header of [
      'x-forwarded-host',
      'x-forwarded-proto',
      'x-forwarded-prefix',
      'x-original-url',
      'x-rewrite-url',
      'x-http-method-override',
      'forwarded',
    ]) {
      expect(DEFAULT_UNKEYED_HEADERS[header]).toBe('bypass');
    }
  });

  it('keys on the headers marked "key", so a poisoned value only reaches its sender', () => {
    const policy = { ...DEFAULT_UNKEYED_HEADERS, 'X-Forwarded-Host': 'key' as const };
    const clean = checkUnkeyedHeaders({}, policy);
    const poisoned = checkUnkeyedHeaders({ 'x-forwarded-host': 'evil.test' }, policy);
    const proxied = checkUnkeyedHeaders({ 'x-forwarded-host': ' shop.test ' }, policy);
    expect(clean).toEqual({ ok: true, keyPart: '' });
    expect(poisoned.ok && proxied.ok).toBe(true);
    if (!poisoned.ok || !proxied.ok) return;
    expect(poisoned.keyPart).not.toBe('');
    expect(poisoned.keyPart).not.toBe(proxied.keyPart);
    expect(checkUnkeyedHeaders({ 'x-forwarded-host': 'shop.test' }, policy)).toEqual(proxied);
  });

  it('still bypasses on another default header when one is keyed', () => {
    const policy = { ...DEFAULT_UNKEYED_HEADERS, 'x-forwarded-host': 'key' as const };
    expect(checkUnkeyedHeaders({ 'x-forwarded-host': 'a', 'x-original-url': '/admin' }, policy)).toEqual({
      ok: false,
      reason: 'unkeyed-header',
      header: 'x-original-url',
    });
  });

  it('takes a custom list', () => {
    expect(checkUnkeyedHeaders({ 'x-forwarded-host': 'a' }, { 'x-tenant': 'bypass' })).toEqual({
      ok: true,
      keyPart: '',
    });
    expect(checkUnkeyedHeaders({ 'x-tenant': 'a' }, { 'X-Tenant': 'bypass' }).ok).toBe(false);
  });

  it('gives a key part independent of the policy order', () => {
    const headers = { 'x-a': '1', 'x-b': '2' };
    const one = checkUnkeyedHeaders(headers, { 'x-a': 'key', 'x-b': 'key' });
    const two = checkUnkeyedHeaders(headers, { 'x-b': 'key', 'x-a': 'key' });
    expect(one).toEqual(two);
  });
});
