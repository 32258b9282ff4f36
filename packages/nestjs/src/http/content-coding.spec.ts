import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import {
  codedEtag,
  compressBody,
  isCompressibleType,
  MIN_COMPRESSED_BYTES,
  resolveCompression,
  shouldCompress,
  varyWithAcceptEncoding,
} from './content-coding.js';

const page = (headers: Record<string, string | string[]>, bodyLength = 4096, status = 200) => ({
  status,
  headers,
  bodyLength,
});

describe('isCompressibleType', () => {
  it.each([
    'application/json; charset=utf-8',
    'text/html',
    'TEXT/CSS; charset=utf-8',
    'application/javascript',
    'application/vnd.api+json',
    'application/atom+xml',
    'image/svg+xml',
    'application/xml',
  ])('%s: yes', (type) => expect(isCompressibleType(type)).toBe(true));

  it.each([
    'image/png',
    'application/zip',
    'application/octet-stream',
    'video/mp4',
    'font/woff2',
    'application/jsonx',
  ])('%s: no', (type) => expect(isCompressibleType(type)).toBe(false));

  it('no type: no', () => expect(isCompressibleType(undefined)).toBe(false));
});

describe('shouldCompress', () => {
  const json = { 'content-type': 'application/json; charset=utf-8' };

  it('compresses a compressible body of at least MIN_COMPRESSED_BYTES', () => {
    expect(shouldCompress(page(json, MIN_COMPRESSED_BYTES))).toBe(true);
    expect(shouldCompress(page(json, MIN_COMPRESSED_BYTES - 1))).toBe(false);
  });

  it('leaves coded, no-transform and Accept-Encoding-varying responses as they are', () => {
    expect(shouldCompress(page({ ...json, 'content-encoding': 'gzip' }))).toBe(false);
    expect(shouldCompress(page({ ...json, 'content-encoding': 'identity' }))).toBe(true);
    expect(shouldCompress(page({ ...json, 'cache-control': 'max-age=60, No-Transform' }))).toBe(false);
    expect(shouldCompress(page({ ...json, vary: 'Accept-Language, accept-encoding' }))).toBe(false);
    expect(shouldCompress(page({ ...json, vary: ['Accept-Language'] }))).toBe(true);
  });

  it('leaves images and untyped bodies as they are', () => {
    expect(shouldCompress(page({ 'content-type': 'image/png' }))).toBe(false);
    expect(shouldCompress(page({}))).toBe(false);
  });
});

describe('compressBody', () => {
  it('gives br and gzip forms that decode to the body', async () => {
    const body = Buffer.from(JSON.stringify(Array.from({ length: 200 }, (_, i) => ({ i, s: `v${i * 37}` }))));
    const coded = await compressBody(body);
    expect(coded.br && brotliDecompressSync(coded.br).equals(body)).toBe(true);
    expect(coded.gzip && gunzipSync(coded.gzip).equals(body)).toBe(true);
  });

  it('keeps no form that is not smaller than the body', async () => {
    const random = Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 7919 + ((i * i) % 251)) % 256));
    const coded = await compressBody(random);
    for (const bytes of Object.values(coded)) expect(bytes.length).toBeLessThan(random.length);
  });
});

describe('codedEtag', () => {
  it('adds the coding inside the quotes, keeping W/', () => {
    expect(codedEtag('"abc"', 'br')).toBe('"abc-br"');
    expect(codedEtag('W/"abc"', 'gzip')).toBe('W/"abc-gzip"');
    expect(codedEtag('""', 'br')).toBe('"-br"');
  });
});

describe('varyWithAcceptEncoding', () => {
  it('adds Accept-Encoding once', () => {
    expect(varyWithAcceptEncoding(undefined)).toBe('Accept-Encoding');
    expect(varyWithAcceptEncoding('Accept-Language')).toBe('Accept-Language, Accept-Encoding');
    expect(varyWithAcceptEncoding(['Accept-Language', 'X-Tenant'])).toBe(
      'Accept-Language, X-Tenant, Accept-Encoding',
    );
    expect(varyWithAcceptEncoding('accept-encoding, Accept-Language')).toBe(
      'accept-encoding, Accept-Language',
    );
    expect(varyWithAcceptEncoding('*')).toBe('*');
  });
});

describe('resolveCompression', () => {
  it('defaults to true and rejects a non-boolean', () => {
    expect(resolveCompression(undefined)).toBe(true);
    expect(resolveCompression(false)).toBe(false);
    expect(() => resolveCompression('yes')).toThrow(/compression/);
  });
});
