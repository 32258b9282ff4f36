import { StrataConfigError } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { cdnTagHeaders, resolveCdnTagHeaders } from './cdn-tags.js';

describe('CDN tag headers', () => {
  it('lists the tags space-separated in Surrogate-Key and comma-separated in Cache-Tag', () => {
    expect(cdnTagHeaders(['Surrogate-Key', 'Cache-Tag'], ['product:42', 'product-list'])).toStrictEqual({
      'surrogate-key': 'product:42 product-list',
      'cache-tag': 'product:42,product-list',
    });
  });

  it('leaves out tags that would split or break the list, and sends nothing without a usable tag', () => {
    expect(cdnTagHeaders(['Cache-Tag'], ['a b', 'c,d', 'e\nf', '', 'ok'])).toStrictEqual({
      'cache-tag': 'ok',
    });
    expect(cdnTagHeaders(['Surrogate-Key'], ['a b'])).toStrictEqual({});
    expect(cdnTagHeaders([], ['product:42'])).toStrictEqual({});
  });

  it('rejects an unknown header name at boot, naming the option', () => {
    expect(resolveCdnTagHeaders(undefined)).toStrictEqual([]);
    expect(() => resolveCdnTagHeaders(['Surrogate-Key', 'X-Tags'])).toThrow(StrataConfigError);
    expect(() => resolveCdnTagHeaders('Cache-Tag')).toThrow(/cdnTagHeaders/);
  });
});
