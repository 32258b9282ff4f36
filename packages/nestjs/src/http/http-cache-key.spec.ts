import { describe, expect, it } from 'vitest';
import {
  DEFAULT_UNKEYED_HEADERS,
  checkUnkeyedHeaders,
  normalizeHost,
  normalizeQuery,
  parseVary,
  primaryKey,
  variantKey,
} from './http-cache-key.js';

const key = (host: string | undefined, url: string, scheme?: 'http' | 'https'): string => {
  const result = primaryKey({ host, url, scheme });
  if (!result.ok) throw new Error(`no key: ${result.reason}`);
  return result.key;
};

describe('normalizeHost', () => {
  it('lowercases and drops the default port', () => {
    expect(normalizeHost('Shop.Example.COM')).toBe('shop.example.com');
    expect(normalizeHost('shop.example:80')).toBe('shop.example');
    expect(normalizeHost('shop.example:443')).toBe('shop.example');
    expect(normalizeHost('shop.example:')).toBe('shop.example');
    expect(normalizeHost('shop.example:8080')).toBe('shop.example:8080');
  });

  it('drops only the default port of a known scheme', () => {
    expect(normalizeHost('a.test:80', 'http')).toBe('a.test');
    expect(normalizeHost('a.test:443', 'http')).toBe('a.test:443');
    expect(normalizeHost('a.test:443', 'https')).toBe('a.test');
    expect(normalizeHost('a.test:80', 'https')).toBe('a.test:80');
  });

  it('handles IPv6 literals and IPv4', () => {
    expect(normalizeHost('[::1]:80')).toBe('[::1]');
    expect(normalizeHost('[2001:DB8::1]:3000')).toBe('[2001:db8::1]:3000');
    expect(normalizeHost('127.0.0.1:3000')).toBe('127.0.0.1:3000');
  });

  it('gives an empty host when there is none (HTTP/1.0)', () => {
    expect(normalizeHost(undefined)).toBe('');
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
    ]) {
      expect(normalizeHost(bad)).toBeNull();
    }
    expect(primaryKey({ host: 'a.test/admin', url: '/x' })).toEqual({ ok: false, reason: 'invalid-host' });
  });
});

describe('normalizeQuery', () => {
  it('sorts parameters by name, keeping repeated ones in their order', () => {
    expect(normalizeQuery('b=2&a=1')).toBe('a=1&b=2');
    expect(normalizeQuery('tag=z&b=1&tag=a')).toBe('b=1&tag=z&tag=a');
    expect(normalizeQuery('tag=a&tag=z')).not.toBe(normalizeQuery('tag=z&tag=a'));
  });

  it('compares names by code unit, not by locale', () => {
    expect(normalizeQuery('b=1&B=1&a=1&_=1')).toBe('B=1&_=1&a=1&b=1');
  });

  it('keeps encoded characters as received', () => {
    expect(normalizeQuery('q=caf%C3%A9&a=%2F+x')).toBe('a=%2F+x&q=caf%C3%A9');
    expect(normalizeQuery('q=a%20b')).not.toBe(normalizeQuery('q=a+b'));
  });

  it('drops empty pieces, keeps a bare name distinct from name=', () => {
    expect(normalizeQuery('a=1&&b=2&')).toBe('a=1&b=2');
    expect(normalizeQuery('flag&a=1')).toBe('a=1&flag');
    expect(normalizeQuery('flag')).not.toBe(normalizeQuery('flag='));
  });
});

describe('primaryKey', () => {
  it('is host + path + sorted query', () => {
    expect(key('Shop.Example:80', '/products/42?b=2&a=1')).toBe('shop.example/products/42?a=1&b=2');
  });

  it('gives the same key whatever the parameter order', () => {
    expect(key('h', '/p?b=2&a=1')).toBe(key('h', '/p?a=1&b=2'));
  });

  it('treats an empty query as no query', () => {
    expect(key('h', '/p?')).toBe(key('h', '/p'));
    expect(key('h', '/p?&')).toBe('h/p');
  });

  it('keeps the path as received, not decoded', () => {
    expect(key('h', '/products/%34%32')).toBe('h/products/%34%32');
    expect(key('h', '/products/%34%32')).not.toBe(key('h', '/products/42'));
    expect(key('h', '/a%2Fb')).not.toBe(key('h', '/a/b'));
  });

  it('separates hosts and paths', () => {
    expect(key('a.test', '/x')).not.toBe(key('b.test', '/x'));
    expect(key('a.test', '/x')).not.toBe(key('a.test', '/X'));
    expect(key('a.test:8080', '/x')).not.toBe(key('a.test', '/x'));
  });

  it('ignores a fragment', () => {
    expect(key('h', '/p?a=1#frag')).toBe('h/p?a=1');
  });

  it('splits at the first ?, so a ? in the query stays in the query', () => {
    expect(key('h', '/p?b=?&a=1')).toBe('h/p?a=1&b=?');
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

  it('covers the headers the brief lists', () => {
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
