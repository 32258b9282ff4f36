import { StrataConfigError } from '@strata/core';
import { describe, expect, it } from 'vitest';
import {
  buildCacheControl,
  cacheControlBlocker,
  directiveFieldNames,
  directiveSeconds,
  isStorableResponse,
  parseCacheControl,
} from './cache-control.js';

const parse = (value: string): Record<string, string | true> => Object.fromEntries(parseCacheControl(value));

describe('parseCacheControl', () => {
  it('reads bare and valued directives, names lowercased', () => {
    expect(parse('Public, MAX-AGE=60, s-maxage=120')).toEqual({
      public: true,
      'max-age': '60',
      's-maxage': '120',
    });
  });

  it('is empty for an absent or blank header', () => {
    expect(parseCacheControl(undefined).size).toBe(0);
    expect(parseCacheControl(' ,, ').size).toBe(0);
  });

  it('reads quoted values with commas and escapes', () => {
    expect(parse('private="Set-Cookie, X-User", max-age=5')).toEqual({
      private: 'Set-Cookie, X-User',
      'max-age': '5',
    });
    expect(parse('ext="a \\"b\\" c"')).toEqual({ ext: 'a "b" c' });
    expect(parse('no-cache="set-cookie"')).toEqual({ 'no-cache': 'set-cookie' });
  });

  it('tolerates spaces around = and missing spaces after commas', () => {
    expect(parse('max-age = 10,no-store')).toEqual({ 'max-age': '10', 'no-store': true });
  });

  it('keeps the first of repeated directives', () => {
    expect(parse('max-age=10, max-age=20')).toEqual({ 'max-age': '10' });
  });

  it('skips malformed pieces and keeps the rest', () => {
    expect(parse('=5, max-age=1 junk, no-store')).toEqual({ 'max-age': '1', 'no-store': true });
    expect(parse('private="unterminated')).toEqual({ private: 'unterminated' });
  });
});

describe('directiveSeconds', () => {
  it('reads delta-seconds, quoted or not', () => {
    const directives = parseCacheControl('max-age=60, s-maxage="30", stale-if-error=0');
    expect(directiveSeconds(directives, 'max-age')).toBe(60);
    expect(directiveSeconds(directives, 's-maxage')).toBe(30);
    expect(directiveSeconds(directives, 'stale-if-error')).toBe(0);
  });

  it('is undefined when absent, bare or not a non-negative integer', () => {
    const directives = parseCacheControl('max-age, s-maxage=-1, stale-while-revalidate=1.5, x=abc');
    for (const name of ['max-age', 's-maxage', 'stale-while-revalidate', 'x', 'absent']) {
      expect(directiveSeconds(directives, name)).toBeUndefined();
    }
  });

  it('caps huge values at 2^31', () => {
    expect(directiveSeconds(parseCacheControl('max-age=99999999999999999999'), 'max-age')).toBe(
      2_147_483_648,
    );
  });
});

describe('directiveFieldNames', () => {
  it('lists the fields of a qualified directive, lowercased', () => {
    const directives = parseCacheControl('private="Set-Cookie, X-User", no-cache');
    expect(directiveFieldNames(directives, 'private')).toEqual(['set-cookie', 'x-user']);
    expect(directiveFieldNames(directives, 'no-cache')).toBeUndefined();
    expect(directiveFieldNames(directives, 'no-store')).toBeUndefined();
  });
});

describe('buildCacheControl', () => {
  it('emits public with every optional directive', () => {
    expect(
      buildCacheControl({
        scope: 'public',
        ttlMs: 30_000,
        sMaxAgeMs: 120_000,
        staleWhileRevalidateMs: 60_000,
        staleIfErrorMs: 600_000,
      }),
    ).toBe('public, max-age=30, s-maxage=120, stale-while-revalidate=60, stale-if-error=600');
  });

  it('emits private without s-maxage', () => {
    expect(buildCacheControl({ scope: 'private', ttlMs: 60_000, sMaxAgeMs: 10_000 })).toBe(
      'private, max-age=60',
    );
  });

  it('emits no scope directive for shared-default', () => {
    expect(buildCacheControl({ scope: 'shared-default', ttlMs: 5_000 })).toBe('max-age=5');
  });

  it('rounds down to whole seconds', () => {
    expect(buildCacheControl({ scope: 'shared-default', ttlMs: 1_999, staleIfErrorMs: 999 })).toBe(
      'max-age=1, stale-if-error=0',
    );
  });

  it('round-trips through the parser', () => {
    const header = buildCacheControl({ scope: 'public', ttlMs: 30_000, staleWhileRevalidateMs: 60_000 });
    const directives = parseCacheControl(header);
    expect(directives.get('public')).toBe(true);
    expect(directiveSeconds(directives, 'max-age')).toBe(30);
    expect(directiveSeconds(directives, 'stale-while-revalidate')).toBe(60);
  });

  it('throws E_CONFIG naming the option for a negative or non-finite time', () => {
    for (const [policy, option] of [
      [{ scope: 'public', ttlMs: -1 }, 'ttl'],
      [{ scope: 'public', ttlMs: Number.NaN }, 'ttl'],
      [{ scope: 'public', ttlMs: 1000, sMaxAgeMs: Infinity }, 'sMaxAge'],
      [{ scope: 'public', ttlMs: 1000, staleWhileRevalidateMs: -5 }, 'staleWhileRevalidate'],
      [{ scope: 'public', ttlMs: 1000, staleIfErrorMs: -5 }, 'staleIfError'],
    ] as const) {
      let error: unknown;
      try {
        buildCacheControl(policy);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(StrataConfigError);
      expect((error as StrataConfigError).code).toBe('E_CONFIG');
      expect((error as StrataConfigError).option).toBe(option);
    }
  });
});

describe('cacheControlBlocker / isStorableResponse', () => {
  it('allows a response without blocking directives', () => {
    for (const value of [undefined, 'public, max-age=60', 'max-age=0, must-revalidate', 's-maxage=10']) {
      expect(isStorableResponse(parseCacheControl(value), 'shared-default')).toBe(true);
    }
  });

  it('never stores no-store, whatever the scope', () => {
    for (const scope of ['public', 'private', 'shared-default'] as const) {
      expect(cacheControlBlocker(parseCacheControl('No-Store'), scope)).toBe('no-store');
    }
  });

  it('stores private only on a private route, qualified or not', () => {
    expect(cacheControlBlocker(parseCacheControl('private'), 'shared-default')).toBe('private');
    expect(cacheControlBlocker(parseCacheControl('private'), 'public')).toBe('private');
    expect(cacheControlBlocker(parseCacheControl('private="set-cookie"'), 'public')).toBe('private');
    expect(cacheControlBlocker(parseCacheControl('private, max-age=60'), 'private')).toBeUndefined();
  });

  it('does not store no-cache (it could only be served after revalidation)', () => {
    expect(cacheControlBlocker(parseCacheControl('no-cache'), 'public')).toBe('no-cache');
    expect(cacheControlBlocker(parseCacheControl('no-cache="set-cookie"'), 'private')).toBe('no-cache');
  });

  it('reports no-store before private', () => {
    expect(cacheControlBlocker(parseCacheControl('private, no-store'), 'shared-default')).toBe('no-store');
  });
});
