import { decodeValue, encodeValue } from '@strata/core';
import { describe, expect, it } from 'vitest';
import {
  STORED_RESPONSE_VERSION,
  type StoredResponse,
  ageSeconds,
  fromStored,
  isStoredResponse,
  storableHeaders,
  toStoredResponse,
} from './stored-response.js';

const allBytes = (): Uint8Array => Uint8Array.from({ length: 256 }, (_, i) => i);

const store = (overrides: Partial<Parameters<typeof toStoredResponse>[0]> = {}): StoredResponse =>
  toStoredResponse({
    status: 200,
    headers: { 'content-type': 'application/octet-stream' },
    body: allBytes(),
    etag: '"e1"',
    storedAt: 1_700_000_000_000,
    varyNames: ['accept-language'],
    tags: ['product:42'],
    ...overrides,
  });

describe('storableHeaders', () => {
  it('drops hop-by-hop headers, Set-Cookie, Content-Length and Age', () => {
    expect(
      storableHeaders({
        'content-type': 'text/plain',
        connection: 'keep-alive',
        'keep-alive': 'timeout=5',
        'proxy-connection': 'keep-alive',
        'proxy-authenticate': 'Basic',
        'proxy-authentication-info': 'x',
        'proxy-authorization': 'Basic x',
        te: 'trailers',
        trailer: 'x-checksum',
        'transfer-encoding': 'chunked',
        upgrade: 'h2c',
        'set-cookie': ['sid=1; HttpOnly', 'theme=dark'],
        'content-length': 12,
        age: '3',
      }),
    ).toEqual({ 'content-type': 'text/plain' });
  });

  it('drops the headers named in Connection, in any case and on repeated lines', () => {
    expect(
      storableHeaders({
        connection: 'X-Internal, close',
        'x-internal': 'secret',
        'x-debug': '1',
        'x-kept': 'yes',
      }),
    ).toEqual({ 'x-debug': '1', 'x-kept': 'yes' });
    expect(storableHeaders({ Connection: ['x-a', 'X-B'], 'x-a': '1', 'X-B': '2', 'x-c': '3' })).toEqual({
      'x-c': '3',
    });
  });

  it('lowercases names, stringifies numbers, copies arrays, skips undefined', () => {
    const link = ['</a>; rel=preload', '</b>; rel=preload'];
    const kept = storableHeaders({ 'Content-Type': 'text/html', 'X-Count': 3, link, 'x-none': undefined });
    expect(kept).toEqual({ 'content-type': 'text/html', 'x-count': '3', link });
    expect(kept.link).not.toBe(link);
  });

  it('keeps a header named __proto__ as a plain header', () => {
    const kept = storableHeaders(JSON.parse('{"__proto__": ["x"], "a": "1"}') as Record<string, string[]>);
    expect(Object.getPrototypeOf(kept)).toBe(Object.prototype);
    expect(Object.keys(kept).sort()).toEqual(['__proto__', 'a']);
  });
});

describe('toStoredResponse / fromStored', () => {
  it('stores the body as base64 and the etag in the headers too', () => {
    const stored = store({ body: Buffer.from('hi') });
    expect(stored).toEqual({
      v: STORED_RESPONSE_VERSION,
      status: 200,
      headers: { 'content-type': 'application/octet-stream', etag: '"e1"' },
      body: 'aGk=',
      etag: '"e1"',
      storedAt: 1_700_000_000_000,
      varyNames: ['accept-language'],
      tags: ['product:42'],
    });
  });

  it('gives back a byte-identical binary body, bytes >= 0x80 included', () => {
    const body = allBytes();
    const replay = fromStored(store({ body }));
    expect(Buffer.isBuffer(replay.body)).toBe(true);
    expect(replay.body.equals(Buffer.from(body))).toBe(true);
  });

  it('stores only the bytes of a view, not its whole buffer', () => {
    const backing = Buffer.from('xxHELLOxx');
    expect(fromStored(store({ body: backing.subarray(2, 7) })).body.toString()).toBe('HELLO');
  });

  it('round-trips an empty body (204)', () => {
    const replay = fromStored(store({ status: 204, body: new Uint8Array() }));
    expect(replay.status).toBe(204);
    expect(replay.body.length).toBe(0);
  });

  it('never stores Set-Cookie', () => {
    const stored = store({
      headers: { 'set-cookie': 'sid=abc', 'Set-Cookie': ['x=1'], 'content-type': 'text/plain' },
    });
    expect(Object.keys(stored.headers)).not.toContain('set-cookie');
    expect(JSON.stringify(stored)).not.toContain('sid=abc');
  });

  it("round-trips through @strata/core's value codec and plain JSON", () => {
    const stored = store({ headers: { link: ['</a>', '</b>'], 'content-type': 'image/png' } });
    const viaCodec = decodeValue(encodeValue(stored));
    expect(viaCodec).toStrictEqual(stored);
    expect(encodeValue(stored)[0]).toBe('j'); // plain JSON, no typed revival needed
    expect(JSON.parse(JSON.stringify(stored))).toStrictEqual(stored);
    expect(isStoredResponse(viaCodec)).toBe(true);
    expect(fromStored(viaCodec as StoredResponse).body.equals(Buffer.from(allBytes()))).toBe(true);
  });

  it('gives headers the caller may change without touching the stored entry', () => {
    const stored = store({ headers: { link: ['</a>'] } });
    const replay = fromStored(stored);
    replay.headers['x-cache'] = 'HIT';
    (replay.headers.link as string[]).push('</b>');
    expect(stored.headers).toEqual({ link: ['</a>'], etag: '"e1"' });
  });

  it('copies varyNames and tags on the way in', () => {
    const tags = ['a'];
    const stored = store({ tags });
    tags.push('b');
    expect(stored.tags).toEqual(['a']);
    expect(store({ varyNames: undefined, tags: undefined })).toMatchObject({ varyNames: [], tags: [] });
  });
});

describe('ageSeconds', () => {
  const stored = { storedAt: 10_000 };
  it('is whole seconds since storing, rounded down', () => {
    expect(ageSeconds(stored, 10_000)).toBe(0);
    expect(ageSeconds(stored, 10_999)).toBe(0);
    expect(ageSeconds(stored, 11_000)).toBe(1);
    expect(ageSeconds(stored, 75_500)).toBe(65);
  });

  it('is never negative (another instance with a clock ahead stored it)', () => {
    expect(ageSeconds(stored, 5_000)).toBe(0);
  });
});

describe('isStoredResponse', () => {
  it('accepts the current shape', () => {
    expect(isStoredResponse(store())).toBe(true);
    const stale = store({ freshUntil: 1_700_000_030_000 });
    expect(stale.freshUntil).toBe(1_700_000_030_000);
    expect(isStoredResponse(JSON.parse(JSON.stringify(stale)))).toBe(true);
  });

  it('rejects other shapes and versions', () => {
    const valid = store() as unknown as Record<string, unknown>;
    const broken: unknown[] = [
      null,
      'text',
      [],
      { ...valid, v: 0 },
      { ...valid, status: '200' },
      { ...valid, body: Buffer.from('x') },
      { ...valid, etag: undefined },
      { ...valid, storedAt: '1' },
      { ...valid, varyNames: 'accept' },
      { ...valid, tags: [1] },
      { ...valid, freshUntil: '1' },
      { ...valid, headers: null },
      { ...valid, headers: ['a'] },
      { ...valid, headers: { a: 1 } },
    ];
    for (const value of broken) expect(isStoredResponse(value)).toBe(false);
  });
});
