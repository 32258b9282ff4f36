import { describe, expect, it } from 'vitest';
import { strongEtag } from './etag.js';
import { isNotModified, notModifiedHeaders } from './not-modified.js';
import { toStoredResponse } from './stored-response.js';

describe('notModifiedHeaders', () => {
  it('keeps exactly Cache-Control, Content-Location, Date, ETag, Expires and Vary', () => {
    const stored = {
      'cache-control': 'public, max-age=60',
      'content-location': '/products/42',
      date: 'Tue, 01 Jul 2025 10:00:00 GMT',
      etag: '"abc"',
      expires: 'Tue, 01 Jul 2025 10:01:00 GMT',
      vary: 'Accept-Language',
      'content-type': 'application/json',
      'content-encoding': 'gzip',
      'content-language': 'fr',
      'content-range': 'bytes 0-1/2',
      'last-modified': 'Tue, 01 Jul 2025 09:00:00 GMT',
      'surrogate-key': 'product:42',
      'x-powered-by': 'Express',
    };
    expect(notModifiedHeaders(stored)).toEqual({
      'cache-control': 'public, max-age=60',
      'content-location': '/products/42',
      date: 'Tue, 01 Jul 2025 10:00:00 GMT',
      etag: '"abc"',
      expires: 'Tue, 01 Jul 2025 10:01:00 GMT',
      vary: 'Accept-Language',
    });
  });

  it('omits the ones the stored response did not have', () => {
    expect(notModifiedHeaders({ etag: '"a"', 'content-type': 'text/plain' })).toEqual({ etag: '"a"' });
  });

  it('copies repeated lines', () => {
    const vary = ['Accept', 'Accept-Language'];
    const headers = notModifiedHeaders({ vary });
    expect(headers).toEqual({ vary });
    expect(headers.vary).not.toBe(vary);
  });

  it('works on a stored response (never a content length or cookie)', () => {
    const body = Buffer.from('{"id":42}');
    const stored = toStoredResponse({
      status: 200,
      headers: {
        'Content-Type': 'application/json',
        'Content-Length': body.length,
        'Set-Cookie': 'a=1',
        Vary: 'Accept',
      },
      body,
      etag: strongEtag(body),
      storedAt: 0,
    });
    expect(notModifiedHeaders(stored.headers)).toEqual({ vary: 'Accept', etag: strongEtag(body) });
  });
});

describe('isNotModified', () => {
  const base = { method: 'GET', status: 200, etag: '"x"' };

  it('answers 304 to GET and HEAD whose If-None-Match matches weakly', () => {
    expect(isNotModified({ ...base, ifNoneMatch: '"x"' })).toBe(true);
    expect(isNotModified({ ...base, ifNoneMatch: 'W/"x"' })).toBe(true);
    expect(isNotModified({ ...base, etag: 'W/"x"', ifNoneMatch: '"x"' })).toBe(true);
    expect(isNotModified({ ...base, method: 'head', ifNoneMatch: '"a", "x"' })).toBe(true);
    expect(isNotModified({ ...base, ifNoneMatch: '*' })).toBe(true);
  });

  it('does not without a matching condition', () => {
    expect(isNotModified({ ...base, ifNoneMatch: undefined })).toBe(false);
    expect(isNotModified({ ...base, ifNoneMatch: '"y"' })).toBe(false);
  });

  it('does not for other methods', () => {
    expect(isNotModified({ ...base, method: 'POST', ifNoneMatch: '"x"' })).toBe(false);
  });

  it('does not for a stored status outside 2xx (the precondition is ignored)', () => {
    for (const status of [301, 308, 404, 410]) {
      expect(isNotModified({ ...base, status, ifNoneMatch: '"x"' })).toBe(false);
      expect(isNotModified({ ...base, status, ifNoneMatch: '*' })).toBe(false);
    }
    expect(isNotModified({ ...base, status: 204, ifNoneMatch: '"x"' })).toBe(true);
  });
});
