import { describe, expect, it } from 'vitest';
import { selectRepresentation } from './accept-encoding.js';

describe('selectRepresentation', () => {
  const both = ['br', 'gzip'] as const;

  it.each([
    ['br', 'br'],
    ['gzip', 'gzip'],
    ['gzip, br', 'br'],
    ['br, gzip', 'br'],
    ['gzip, deflate, br, zstd', 'br'],
    ['gzip;q=0.5, br;q=0.1', 'gzip'],
    ['gzip;q=1.0, br;q=0.9', 'gzip'],
    ['br;q=0, *', 'gzip'],
    ['br;q=0, gzip;q=0, *', 'identity'],
    ['*', 'br'],
    ['identity', 'identity'],
    ['identity;q=0', 'identity'],
    ['identity;q=0, gzip;q=0.1', 'gzip'],
    ['*;q=0', 'identity'],
    ['deflate', 'identity'],
    ['', 'identity'],
    [' ;;, garbage;q=x, =,', 'identity'],
    ['BR', 'br'],
    ['gzip;q=abc, br;q=0.2', 'br'],
  ] as const)('%j -> %s', (header, expected) => {
    expect(selectRepresentation(header, both)).toBe(expected);
  });

  it('is identity without the header, and for a page without codings', () => {
    expect(selectRepresentation(undefined, both)).toBe('identity');
    expect(selectRepresentation('br, gzip', [])).toBe('identity');
  });

  it('only offers the codings the page has', () => {
    expect(selectRepresentation('br, gzip', ['gzip'])).toBe('gzip');
    expect(selectRepresentation('br', ['gzip'])).toBe('identity');
  });

  it('gives the same answer from its memory as the first time', () => {
    expect(selectRepresentation('gzip;q=0.7, br;q=0.3', both)).toBe('gzip');
    expect(selectRepresentation('gzip;q=0.7, br;q=0.3', both)).toBe('gzip');
    expect(selectRepresentation('gzip;q=0.7, br;q=0.3', ['br'])).toBe('br');
  });
});
