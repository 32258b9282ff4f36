import { describe, expect, it } from 'vitest';
import { parseDuration } from './duration.js';

describe('parseDuration', () => {
  it.each([
    [0, 0],
    [250, 250],
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1500', 1500],
  ])('parses %j as %d ms', (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it.each([
    ['abc'],
    [''],
    ['  '],
    [-1],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    ['-5s'],
    [null],
    [{}],
    [true],
  ])('rejects %j', (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });
});
