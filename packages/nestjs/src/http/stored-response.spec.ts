import { decodeValue, encodeValue } from '@strata/core/internal';
import { describe, expect, it } from 'vitest';
import {
  STORED_RESPONSE_VERSION,
  type StoredResponse,
  ageSeconds,
  isStoredResponse,
  storableHeaders,
  storedBody,
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

/** The bytes a stored body sends (a string: its UTF-8 encoding). */
const sentBytes = (stored: StoredResponse): Buffer => {
  const body = storedBody(stored);
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
};

describe('toStoredResponse / storedBody', () => {
  it('stores binary bytes as base64 and the etag in the headers too', () => {
    const stored = store({ body: Buffer.from([0xff, 0x68, 0x69]) });
    expect(stored).toEqual({
      v: STORED_RESPONSE_VERSION,
      status: 200,
      headers: { 'content-type': 'application/octet-stream', etag: '"e1"' },
      body: '/2hp',
      bodyEncoding: 'base64',
      etag: '"e1"',
      storedAt: 1_700_000_000_000,
      varyNames: ['accept-language'],
      tags: ['product:42'],
    });
  });

  it('stores a string body as its text, and gives that same string back', () => {
    const json = '{"name":"Grüße","emoji":"🙂"}';
    const stored = store({ body: json });
    expect(stored).toMatchObject({ body: json, bodyEncoding: 'utf8' });
    expect(storedBody(stored)).toBe(json);
  });

  it('stores UTF-8 bytes as text, byte for byte (a BOM included)', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('héllo 🙂', 'utf8')]);
    const stored = store({ body: bytes });
    expect(stored.bodyEncoding).toBe('utf8');
    expect(sentBytes(stored).equals(bytes)).toBe(true);
  });

  it('gives back a byte-identical binary body, bytes >= 0x80 included', () => {
    const body = allBytes();
    const stored = store({ body });
    expect(stored.bodyEncoding).toBe('base64');
    const replay = storedBody(stored);
    expect(Buffer.isBuffer(replay)).toBe(true);
    expect(sentBytes(stored).equals(Buffer.from(body))).toBe(true);
  });

  it('stores only the bytes of a view, not its whole buffer', () => {
    const backing = Buffer.from('xx\xffHELLOxx', 'latin1');
    expect(sentBytes(store({ body: backing.subarray(2, 8) })).toString('latin1')).toBe('\xffHELLO');
    expect(storedBody(store({ body: Buffer.from('xxHELLOxx').subarray(2, 7) }))).toBe('HELLO');
  });

  it('round-trips an empty body (204)', () => {
    const stored = store({ status: 204, body: new Uint8Array() });
    expect(stored.status).toBe(204);
    expect(sentBytes(stored).length).toBe(0);
  });

  it('never stores Set-Cookie', () => {
    const stored = store({
      headers: { 'set-cookie': 'sid=abc', 'Set-Cookie': ['x=1'], 'content-type': 'text/plain' },
    });
    expect(Object.keys(stored.headers)).not.toContain('set-cookie');
    expect(JSON.stringify(stored)).not.toContain('sid=abc');
  });

  it("round-trips through @strata/core's value codec and plain JSON, text and binary bodies alike", () => {
    for (const body of [allBytes(), '{"a":"\\"quoted\\"","b":"\u2028"}']) {
      const stored = store({ body, headers: { link: ['</a>', '</b>'], 'content-type': 'image/png' } });
      const viaCodec = decodeValue(encodeValue(stored));
      expect(viaCodec).toStrictEqual(stored);
      expect(encodeValue(stored)[0]).toBe('j'); // plain JSON, no typed revival needed
      expect(JSON.parse(JSON.stringify(stored))).toStrictEqual(stored);
      expect(isStoredResponse(viaCodec)).toBe(true);
      expect(sentBytes(viaCodec as StoredResponse).equals(sentBytes(stored))).toBe(true);
    }
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
      // A version 1 entry (base64 body, no bodyEncoding), left by an older release.
      { ...valid, v: 1, bodyEncoding: undefined },
      { ...valid, bodyEncoding: undefined },
      { ...valid, bodyEncoding: 'hex' },
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

describe('isStoredResponse with codings', () => {
  const coded = (): Record<string, unknown> =>
    JSON.parse(
      JSON.stringify(
        toStoredResponse({
          status: 200,
          headers: { 'content-type': 'text/plain; charset=utf-8' },
          body: 'x'.repeat(2000),
          etag: '"c"',
          storedAt: 1,
          codings: { br: Buffer.from([1, 2, 3]), gzip: Buffer.from([4, 5]) },
        }),
      ),
    ) as Record<string, unknown>;

  it('accepts a coded page, through the value codec too', () => {
    expect(isStoredResponse(coded())).toBe(true);
    expect(isStoredResponse(decodeValue(encodeValue(coded())))).toBe(true);
  });

  it('rejects codings that do not agree with the body', () => {
    const valid = coded();
    const broken: unknown[] = [
      // A version 2 entry (no codings), left by an older release.
      { ...valid, v: 2 },
      { ...valid, body: 'x' },
      { ...valid, codings: undefined },
      { ...valid, codings: {} },
      { ...valid, codings: null },
      { ...valid, codings: ['br'] },
      { ...valid, codings: { br: '' } },
      { ...valid, codings: { br: 1 } },
      { ...valid, codings: { deflate: 'AAAA' } },
      { ...valid, bodyEncoding: 'utf8' },
      { ...store(), codings: { br: 'AAAA' } },
    ];
    for (const value of broken) expect(isStoredResponse(value)).toBe(false);
  });
});
