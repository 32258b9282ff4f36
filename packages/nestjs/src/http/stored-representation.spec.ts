import { deepFreeze } from '@strata/core/internal';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { rememberRepresentations, representationFor, storedRepresentation } from './stored-representation.js';
import { type StoredResponse, toStoredResponse } from './stored-response.js';

const TEXT = JSON.stringify({ items: Array.from({ length: 100 }, (_, i) => `héllo ${i}`) });
const br = brotliCompressSync(TEXT);
const gzip = gzipSync(TEXT);

const page = (vary?: string): StoredResponse =>
  toStoredResponse({
    status: 200,
    headers: { 'content-type': 'application/json; charset=utf-8', ...(vary === undefined ? {} : { vary }) },
    body: TEXT,
    etag: '"t"',
    storedAt: 1,
    varyNames: vary === undefined ? [] : ['accept-language'],
    codings: { br, gzip },
  });

describe('stored representations', () => {
  it('stores a coded page without its identity bytes, with Vary: Accept-Encoding', () => {
    const stored = page('Accept-Language');
    expect(stored.bodyEncoding).toBe('coded');
    expect(stored.body).toBe('');
    expect(stored.codings).toEqual({ br: br.toString('base64'), gzip: gzip.toString('base64') });
    expect(stored.headers.vary).toBe('Accept-Language, Accept-Encoding');
    expect(stored.varyNames).toEqual(['accept-language']);
  });

  it('gives each coding its bytes, ETag and Content-Encoding, and identity decoded as text', () => {
    const stored = page();
    const b = storedRepresentation(stored, 'br');
    expect(b.body).toEqual(br);
    expect(b.etag).toBe('"t-br"');
    expect(b.headers).toMatchObject({ etag: '"t-br"', 'content-encoding': 'br', vary: 'Accept-Encoding' });
    const g = representationFor(stored, 'gzip');
    expect(g.body).toEqual(gzip);
    expect(g.headers.etag).toBe('"t-gzip"');
    const identity = representationFor(stored, undefined);
    expect(identity.body).toBe(TEXT);
    expect(identity.etag).toBe('"t"');
    expect(identity.headers['content-encoding']).toBeUndefined();
  });

  it('works a frozen page out once: later hits get the same objects, no decoding', () => {
    const stored = deepFreeze(page());
    const first = storedRepresentation(stored, 'br');
    expect(storedRepresentation(stored, 'br')).toBe(first);
    expect(representationFor(stored, 'identity;q=0.1, br').body).toBe(first.body);
    const identity = storedRepresentation(stored, 'identity');
    expect(storedRepresentation(stored, 'identity')).toBe(identity);
  });

  it('works a page that may still change out each time', () => {
    const stored = page();
    expect(storedRepresentation(stored, 'br')).not.toBe(storedRepresentation(stored, 'br'));
  });

  it('keeps the bytes a frozen page was just stored with', () => {
    const stored = deepFreeze(page());
    rememberRepresentations(stored, TEXT, { br, gzip });
    expect(storedRepresentation(stored, 'br').body).toBe(br);
    expect(storedRepresentation(stored, 'gzip').body).toBe(gzip);
    expect(storedRepresentation(stored, 'identity').body).toBe(TEXT);
  });

  it('answers a page without codings in identity only', () => {
    const stored = toStoredResponse({ status: 200, headers: {}, body: TEXT, etag: '"p"', storedAt: 1 });
    expect(stored.bodyEncoding).toBe('utf8');
    expect(stored.headers.vary).toBeUndefined();
    const answer = representationFor(stored, 'br, gzip');
    expect(answer.coding).toBe('identity');
    expect(answer.body).toBe(TEXT);
    expect(answer.headers).toBe(stored.headers);
  });
});
