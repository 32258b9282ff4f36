import type { AbstractHttpAdapter } from '@nestjs/core';
import { brotliCompressSync, gunzipSync, gzipSync } from 'node:zlib';
import { StreamableFile } from '@nestjs/common';
import { deepFreeze } from '@strata/core/internal';
import { describe, expect, it } from 'vitest';
import { replayResponse } from './http-cache-response.js';
import { sendBytes } from './http-response-body.js';
import { hitRepresentation, sendStoredHit, storedHit } from './stored-hit.js';
import { type StoredResponse, toStoredResponse } from './stored-response.js';

/** A Fastify-like adapter and reply that record every header set. */
function recorder(): { adapter: AbstractHttpAdapter; reply: { lines: [string, unknown][] } } {
  const reply = { lines: [] as [string, unknown][] };
  const headers = new Map<string, unknown>();
  const adapter = {
    getType: () => 'fastify',
    setHeader: (res: typeof reply, name: string, value: unknown) => {
      res.lines.push([name, value]);
      headers.set(name, value);
    },
    appendHeader: (res: typeof reply, name: string, value: unknown) => res.lines.push([`+${name}`, value]),
  } as unknown as AbstractHttpAdapter;
  Object.assign(reply, { getHeader: (name: string) => headers.get(name) });
  return { adapter, reply };
}

const stored = (headers: Record<string, string | readonly string[]>, body = '{"a":1}'): StoredResponse =>
  Object.freeze({
    v: 1,
    status: 200,
    headers: Object.freeze(headers),
    body,
    bodyEncoding: 'utf8',
    etag: '"e"',
    storedAt: 1_000,
    varyNames: Object.freeze([]),
    tags: Object.freeze([]),
  }) as unknown as StoredResponse;

describe('sendStoredHit', () => {
  it('sets the headers replayResponse and sendBytes set, in their order, and returns the same body', () => {
    const page = stored({
      'x-first': 'a',
      'content-type': 'application/json; charset=utf-8',
      age: '99',
      'set-cookie': ['s=1'],
      'content-length': '7',
      etag: '"e"',
      '1': 'numeric',
      link: ['<a>', '<b>'],
    });
    const now = 6_500;
    const general = recorder();
    const sent = sendBytes(
      general.adapter,
      general.reply,
      200,
      replayResponse({ method: 'GET', headers: {} }, page, 'HIT', now),
    );
    const hit = storedHit(page);
    expect(hit).toBeDefined();
    const prepared = recorder();
    const body = sendStoredHit(prepared.adapter, false, prepared.reply, hit!, '5', 'HIT');
    expect(body).toBe(sent);
    expect(prepared.reply.lines).toEqual(general.reply.lines);
    expect(prepared.reply.lines.find(([name]) => name === 'age')).toEqual(['age', '5']);
  });

  it('is not prepared for a page that may change, a binary or empty body, or a type an adapter rewrites', () => {
    const json = { 'content-type': 'application/json; charset=utf-8' };
    expect(storedHit({ ...stored(json) })).toBeUndefined();
    expect(storedHit(stored(json, ''))).toBeUndefined();
    expect(storedHit(stored({ 'content-type': 'application/json' }))).toBeUndefined();
    expect(storedHit(stored({}))).toBeUndefined();
    const binary = Object.freeze({ ...stored(json), bodyEncoding: 'base64' }) as StoredResponse;
    expect(storedHit(binary)).toBeUndefined();
  });

  it('sends a coded representation as replayResponse and sendBytes do: its bytes, ETag, Content-Encoding and length', () => {
    const text = JSON.stringify({ items: Array.from({ length: 100 }, (_, i) => `item ${i}`) });
    const page = deepFreeze(
      toStoredResponse({
        status: 200,
        headers: { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'max-age=60' },
        body: text,
        etag: '"t"',
        storedAt: 1_000,
        codings: { br: brotliCompressSync(text), gzip: gzipSync(text) },
      }),
    );
    const request = { method: 'GET', headers: { 'accept-encoding': 'gzip;q=0.9, br;q=0.5' } };
    const coding = hitRepresentation(page, request.headers);
    expect(coding).toBe('gzip');
    const general = recorder();
    const sent = sendBytes(general.adapter, general.reply, 200, replayResponse(request, page, 'HIT', 6_500));
    const hit = storedHit(page, coding);
    expect(hit).toBeDefined();
    expect(storedHit(page, coding)).toBe(hit);
    const prepared = recorder();
    const body = sendStoredHit(prepared.adapter, false, prepared.reply, hit!, '5', 'HIT');
    expect(Buffer.isBuffer(body) && gunzipSync(body).toString()).toBe(text);
    expect(body).toEqual(sent);
    expect(prepared.reply.lines).toEqual(general.reply.lines);
    expect(Object.fromEntries(prepared.reply.lines)).toMatchObject({
      etag: '"t-gzip"',
      'content-encoding': 'gzip',
      vary: 'Accept-Encoding',
      'content-length': String((body as Buffer).length),
    });
    // On Express, the bytes go in a StreamableFile (Nest's Express reply would JSON-encode a Buffer).
    const express = sendStoredHit(recorder().adapter, true, recorder().reply, hit!, '5', 'HIT');
    expect(express).toBeInstanceOf(StreamableFile);
  });
});
