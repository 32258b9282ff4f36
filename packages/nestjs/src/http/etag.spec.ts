import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  ifNoneMatchMatches,
  parseEntityTag,
  parseIfNoneMatch,
  responseEtag,
  strongEtag,
  strongMatch,
  weakMatch,
} from './etag.js';

describe('parseEntityTag', () => {
  it('reads strong and weak tags', () => {
    expect(parseEntityTag('"abc"')).toEqual({ weak: false, opaque: '"abc"' });
    expect(parseEntityTag('W/"abc"')).toEqual({ weak: true, opaque: '"abc"' });
    expect(parseEntityTag('""')).toEqual({ weak: false, opaque: '""' });
    expect(parseEntityTag('"a,b"')).toEqual({ weak: false, opaque: '"a,b"' });
  });

  it('rejects what is not an entity tag', () => {
    for (const bad of ['abc', '"abc', 'w/"abc"', 'W/abc', '"a"b"', '"a b"', '*', '']) {
      expect(parseEntityTag(bad)).toBeUndefined();
    }
  });
});

describe('strongEtag', () => {
  it('is the quoted base64url SHA-256 of the bytes', () => {
    const body = Buffer.from('{"id":42}');
    const digest = createHash('sha256').update(body).digest('base64url');
    expect(strongEtag(body)).toBe(`"${digest}"`);
    expect(parseEntityTag(strongEtag(body))).toEqual({ weak: false, opaque: `"${digest}"` });
  });

  it('depends on every byte, and equal bytes give equal tags', () => {
    const a = new Uint8Array([0, 1, 2, 0xff]);
    expect(strongEtag(a)).toBe(strongEtag(Uint8Array.from(a)));
    expect(strongEtag(a)).not.toBe(strongEtag(new Uint8Array([0, 1, 2, 0xfe])));
  });

  it('tags a string body as its UTF-8 bytes', () => {
    const text = '{"name":"Grüße 🙂"}';
    expect(strongEtag(text)).toBe(strongEtag(Buffer.from(text, 'utf8')));
  });

  it('hashes only the view of a Uint8Array, not its whole buffer', () => {
    const buffer = new Uint8Array([9, 9, 1, 2, 3, 9]);
    expect(strongEtag(buffer.subarray(2, 5))).toBe(strongEtag(new Uint8Array([1, 2, 3])));
  });

  it('tags an empty body', () => {
    expect(parseEntityTag(strongEtag(new Uint8Array()))).toBeDefined();
  });
});

describe('responseEtag', () => {
  const body = Buffer.from('hello');

  it('keeps a valid handler ETag, weak or strong', () => {
    expect(responseEtag('"v7"', body)).toBe('"v7"');
    expect(responseEtag(' W/"v7" ', body)).toBe('W/"v7"');
  });

  it('computes a strong one when the handler set none or an invalid one', () => {
    expect(responseEtag(undefined, body)).toBe(strongEtag(body));
    expect(responseEtag('v7', body)).toBe(strongEtag(body));
  });
});

describe('parseIfNoneMatch', () => {
  it('reads *', () => {
    expect(parseIfNoneMatch('*')).toBe('*');
    expect(parseIfNoneMatch(' * ')).toBe('*');
  });

  it('reads a list of strong and weak tags', () => {
    expect(parseIfNoneMatch('"a", W/"b",W/"c"')).toEqual([
      { weak: false, opaque: '"a"' },
      { weak: true, opaque: '"b"' },
      { weak: true, opaque: '"c"' },
    ]);
  });

  it('keeps commas inside an opaque tag', () => {
    expect(parseIfNoneMatch('"a,b", "c"')).toEqual([
      { weak: false, opaque: '"a,b"' },
      { weak: false, opaque: '"c"' },
    ]);
  });

  it('skips malformed members', () => {
    expect(parseIfNoneMatch('abc, "ok", "x"y, W/z, "unterminated')).toEqual([
      { weak: false, opaque: '"ok"' },
    ]);
    expect(parseIfNoneMatch('*, "a"')).toEqual([{ weak: false, opaque: '"a"' }]);
  });

  it('is empty when absent or blank', () => {
    expect(parseIfNoneMatch(undefined)).toEqual([]);
    expect(parseIfNoneMatch('')).toEqual([]);
  });
});

describe('weak and strong comparison (RFC 9110 §8.8.3.2)', () => {
  const tag = (value: string) => parseEntityTag(value)!;
  it.each([
    ['W/"1"', 'W/"1"', false, true],
    ['W/"1"', 'W/"2"', false, false],
    ['W/"1"', '"1"', false, true],
    ['"1"', '"1"', true, true],
  ])('%s vs %s: strong %s, weak %s', (a, b, strong, weak) => {
    expect(strongMatch(tag(a), tag(b))).toBe(strong);
    expect(weakMatch(tag(a), tag(b))).toBe(weak);
  });
});

describe('ifNoneMatchMatches', () => {
  it('matches W/"x" against "x" and the reverse (weak comparison)', () => {
    expect(ifNoneMatchMatches('W/"x"', '"x"')).toBe(true);
    expect(ifNoneMatchMatches('"x"', 'W/"x"')).toBe(true);
  });

  it('matches any member of a list', () => {
    expect(ifNoneMatchMatches('"a", "b", W/"x"', '"x"')).toBe(true);
    expect(ifNoneMatchMatches('"a", "b"', '"x"')).toBe(false);
  });

  it('matches * for any stored representation', () => {
    expect(ifNoneMatchMatches('*', '"x"')).toBe(true);
  });

  it('does not match when absent, or on a different or case-changed tag', () => {
    expect(ifNoneMatchMatches(undefined, '"x"')).toBe(false);
    expect(ifNoneMatchMatches('"X"', '"x"')).toBe(false);
    expect(ifNoneMatchMatches('x', '"x"')).toBe(false);
  });

  it('does not match when the current ETag is not an entity tag', () => {
    expect(ifNoneMatchMatches('"x"', 'x')).toBe(false);
  });

  it('matches a computed body ETag sent back by the client', () => {
    const etag = strongEtag(Buffer.from('{"id":1}'));
    expect(ifNoneMatchMatches(etag, etag)).toBe(true);
    expect(ifNoneMatchMatches(`W/${etag}`, etag)).toBe(true);
  });
});
