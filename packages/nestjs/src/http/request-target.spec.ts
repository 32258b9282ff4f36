import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalPath, targetPath } from './request-target.js';

describe('targetPath', () => {
  it('splits at the first ?, keeping the path as received', () => {
    expect(targetPath('/a/%2F/b?x=1?y')).toEqual({ ok: true, path: '/a/%2F/b', query: 'x=1?y' });
    expect(targetPath('/')).toEqual({ ok: true, path: '/', query: '' });
  });

  it('accepts every pchar a client may send as it is, and a ; or # in the query only as part of it', () => {
    expect(targetPath("/a-._~!$&'()*+,=:@/%41").ok).toBe(true);
    expect(targetPath('/a?q=;x').ok).toBe(true);
    expect(targetPath('/a?q=#x')).toEqual({ ok: false, reason: 'fragment' });
  });
});

describe('canonicalPath', () => {
  it('joins the spellings a router may treat alike', () => {
    for (const spelling of ['/Products/%34%32', '/products//42/', '/products/42;v=1', '/PRODUCTS/42?x#y']) {
      expect(canonicalPath(spelling), spelling).toBe('/products/42');
    }
    expect(canonicalPath('/a%2Fb')).toBe('/a%2fb');
    // The routers hand a handler the same parameter for a sub-delim, `:` or `@` raw or encoded.
    expect(canonicalPath('/u/A%2Cb%40x%3Ay%21%24%26%27%28%29%2A%2B%3D')).toBe("/u/a,b@x:y!$&'()*+=");
    for (const kept of ['%2f', '%3f', '%23', '%25', '%3b', '%20']) {
      expect(canonicalPath(`/a${kept}b`), kept).toBe(`/a${kept}b`);
    }
    expect(canonicalPath('/%2%41')).toBe(canonicalPath(canonicalPath('/%2%41')));
    expect(canonicalPath('')).toBe('/');
    expect(canonicalPath('//')).toBe('/');
  });

  it('is idempotent, so the tag of a GET and of a write to any of its spellings agree', () => {
    const chars = ['a', 'B', '/', '%', '4', '1', '2', 'F', ';', '.', '~', '?', '#', '=', ','];
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...chars), { maxLength: 12 }), (list) => {
        const once = canonicalPath(`/${list.join('')}`);
        expect(canonicalPath(once)).toBe(once);
      }),
    );
  });
});
