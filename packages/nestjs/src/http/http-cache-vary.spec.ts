import { describe, expect, it } from 'vitest';
import { parseVary, variantKey } from './http-cache-key.js';
import { DEFAULT_UNKEYED_HEADERS, checkUnkeyedHeaders } from './unkeyed-headers.js';

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
