import { parseCookie } from 'cookie';
import fc from 'fast-check';
import { StrataConfigError } from '@strata/core';
import { describe, expect, it } from 'vitest';
import { cookieHeader, nonPublicCookie, readCookieNames, resolvePublicCookies } from './request-cookies.js';

const PUBLIC = new Set(['_ga', 'theme']);

describe('readCookieNames', () => {
  it('lists names as the cookie package reads them: ";" pairs, blanks trimmed, case kept', () => {
    expect(readCookieNames('_ga=GA1.2.3; theme=dark;jwt=x; \t Sid = 1 ')).toEqual({
      ok: true,
      names: ['_ga', 'theme', 'jwt', 'Sid'],
    });
    expect(readCookieNames('a=1; a=2')).toEqual({ ok: true, names: ['a', 'a'] });
  });

  it('finds no cookie in an absent or empty header, or in empty pieces', () => {
    for (const header of [undefined, '', ';', ' ; ;\t', ';;;']) {
      expect(readCookieNames(header)).toEqual({ ok: true, names: [] });
    }
  });

  it('reports a piece without "=" or with an empty name as unreadable', () => {
    expect(readCookieNames('_ga=1; jwt')).toEqual({ ok: false, malformed: 'jwt' });
    expect(readCookieNames('=abc')).toEqual({ ok: false, malformed: '=abc' });
    expect(readCookieNames(' = ; _ga=1')).toMatchObject({ ok: false });
  });

  it('counts a "name=" after a comma as a cookie, and other text after a comma as the value', () => {
    expect(readCookieNames('_ga=1, jwt=abc')).toEqual({ ok: true, names: ['_ga', 'jwt'] });
    expect(readCookieNames('consent=a:yes,b:no')).toEqual({ ok: true, names: ['consent'] });
  });

  it('never misses a name the cookie package would give the app (property)', () => {
    const piece = fc.constantFrom(
      '_ga',
      'theme',
      'jwt',
      'THEME',
      '=',
      ';',
      ',',
      ' ',
      '\t',
      '1',
      '"',
      '\u00a0',
    );
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 24 }), (pieces) => {
        const header = pieces.join('');
        if (nonPublicCookie({ cookie: header }, PUBLIC) !== undefined) return;
        // Judged shareable: the app must then see public cookies only.
        for (const name of Object.keys(parseCookie(header))) expect(PUBLIC.has(name), header).toBe(true);
      }),
      { numRuns: 2_000 },
    );
  });

  it('accepts any well-formed header made of public cookies (property)', () => {
    const pair = fc.tuple(fc.constantFrom('_ga', 'theme'), fc.stringMatching(/^[\w.%-]{0,12}$/));
    fc.assert(
      fc.property(fc.array(pair, { maxLength: 8 }), fc.constantFrom(';', '; ', ' ;\t'), (pairs, sep) => {
        const header = pairs.map(([name, value]) => `${name}=${value}`).join(sep);
        expect(nonPublicCookie({ cookie: header }, PUBLIC)).toBeUndefined();
      }),
    );
  });
});

describe('cookieHeader', () => {
  it('joins repeated lines with "; " as Node does', () => {
    expect(cookieHeader({ cookie: ['_ga=1', 'jwt=2'] })).toBe('_ga=1; jwt=2');
    expect(cookieHeader({ cookie: [] })).toBeUndefined();
    expect(cookieHeader((name) => (name === 'cookie' ? 'a=1' : undefined))).toBe('a=1');
  });
});

describe('nonPublicCookie', () => {
  it('names the first cookie outside the list, compared case-sensitively', () => {
    expect(nonPublicCookie({ cookie: '_ga=1; _GA=2' }, PUBLIC)).toMatch(/"_GA"/);
    expect(nonPublicCookie({ cookie: '_ga=1; theme=x' }, PUBLIC)).toBeUndefined();
    expect(nonPublicCookie({ cookie: '_ga=1; token' }, PUBLIC)).toMatch(/unreadable/);
    expect(nonPublicCookie({}, PUBLIC)).toBeUndefined();
  });
});

describe('resolvePublicCookies', () => {
  it('defaults to no public cookie', () => {
    expect(resolvePublicCookies({}).size).toBe(0);
    expect([...resolvePublicCookies({ publicCookies: ['_ga', '_gid', 'CookieConsent'] })]).toEqual([
      '_ga',
      '_gid',
      'CookieConsent',
    ]);
  });

  it('refuses the removed sessionCookieNames, pointing to publicCookies', () => {
    const resolve = () => resolvePublicCookies({ sessionCookieNames: ['sid'] });
    expect(resolve).toThrow(StrataConfigError);
    expect(resolve).toThrow(/"sessionCookieNames".*publicCookies/);
  });

  it.each([['_ga'], [['_ga', 'a b']], [['x;y']], [['']], [[42]], [['a=b']]])(
    'refuses publicCookies %j naming the option',
    (value) => {
      try {
        resolvePublicCookies({ publicCookies: value as readonly string[] });
        expect.unreachable();
      } catch (error) {
        expect(error).toBeInstanceOf(StrataConfigError);
        expect((error as StrataConfigError).option).toBe('publicCookies');
      }
    },
  );
});
