import { deepFreeze } from '@strata/core/internal';
import { describe, expect, it } from 'vitest';
import { strongEtag } from './etag.js';
import { captureResponse, missResponse, replayResponse } from './http-cache-response.js';
import { JSON_CONTENT_TYPE } from './http-response-body.js';
import { toStoredResponse } from './stored-response.js';

const value = { name: 'Grüße 🙂', quote: '"q"' };
const json = JSON.stringify(value);

const capture = () =>
  captureResponse({
    value,
    status: 200,
    handlerHeaders: { 'X-Powered-By': 'Express', link: ['</a>', '</b>'] },
    scope: 'shared-default',
    ttlMs: 60_000,
  });

const get = { method: 'GET', headers: {} };

describe('captureResponse / missResponse', () => {
  it('serializes the value once as JSON text, with a strong ETag over its UTF-8 bytes', () => {
    const captured = capture();
    expect(captured.body).toBe(json);
    expect(captured.etag).toBe(strongEtag(Buffer.from(json, 'utf8')));
    expect(captured.added).toMatchObject({ 'content-type': JSON_CONTENT_TYPE, etag: captured.etag });
    const miss = missResponse(get, captured);
    expect(miss).toMatchObject({ status: 200, body: json });
    expect(miss.headers['x-cache']).toBe('MISS');
  });
});

describe('replayResponse', () => {
  const stored = (storedAt: number) =>
    toStoredResponse({ ...capture(), storedAt, tags: ['http:path:/p'], freshUntil: storedAt + 60_000 });

  it('sends the stored text as it is, with the stored headers, Age and X-Cache', () => {
    const entry = stored(Date.now() - 2_500);
    const hit = replayResponse(get, entry);
    expect(hit.status).toBe(200);
    expect(hit.body).toBe(entry.body);
    expect(Buffer.from(hit.body as string, 'utf8').equals(Buffer.from(json, 'utf8'))).toBe(true);
    expect(hit.headers).toMatchObject({
      etag: entry.etag,
      link: ['</a>', '</b>'],
      age: '2',
      'x-cache': 'HIT',
    });
    expect(replayResponse(get, entry, 'STALE').headers['x-cache']).toBe('STALE');
  });

  it('never changes the stored entry, so a shared (frozen) one can be replayed', () => {
    const entry = deepFreeze(stored(Date.now()));
    const before = JSON.stringify(entry);
    const hit = replayResponse(get, entry);
    const again = replayResponse({ method: 'GET', headers: { 'if-none-match': entry.etag } }, entry);
    expect(hit.headers).not.toBe(entry.headers);
    expect(again.status).toBe(304);
    expect(JSON.stringify(entry)).toBe(before);
  });
});
