import { describe, expect, it } from 'vitest';
import { StrataConfigError } from '../errors/strata-config.error.js';
import { MAX_TIMER_MS, MAX_TTL_MS } from '../ttl/ttl-limits.js';
import { toPositiveMs } from './positive-ms.js';

function rejection(call: () => unknown): StrataConfigError {
  try {
    call();
  } catch (error) {
    if (error instanceof StrataConfigError) return error;
    throw error;
  }
  throw new Error('expected a StrataConfigError');
}

describe('toPositiveMs', () => {
  it.each([
    [250, 250],
    [1, 1],
    ['250ms', 250],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1500', 1_500],
    ['365d', MAX_TTL_MS],
    [MAX_TTL_MS, MAX_TTL_MS],
  ])('converts %j to %d ms', (value, expected) => {
    expect(toPositiveMs(value, 'ttl')).toBe(expected);
  });

  it('returns whole milliseconds, rounding a fraction up so a positive duration stays positive', () => {
    expect(toPositiveMs(1.2, 'ttl')).toBe(2);
    expect(toPositiveMs(0.3, 'ttl')).toBe(1);
    expect(toPositiveMs('1.5s', 'ttl')).toBe(1_500);
  });

  it('rejects zero unless allowed', () => {
    expect(rejection(() => toPositiveMs(0, 'ttl')).option).toBe('ttl');
    expect(rejection(() => toPositiveMs('0ms', 'ttl')).option).toBe('ttl');
    expect(toPositiveMs(0, 'grace', { allowZero: true })).toBe(0);
    expect(toPositiveMs('0s', 'grace', { allowZero: true })).toBe(0);
  });

  it.each([
    [-1],
    ['-5s'],
    [Number.NaN],
    [Number.POSITIVE_INFINITY],
    [Number.NEGATIVE_INFINITY],
    [MAX_TTL_MS + 1],
    ['366d'],
    ['10y'],
    ['soon'],
    [''],
    ['  '],
    [null],
    [true],
    [{}],
    [[]],
  ])('rejects %j with a StrataConfigError naming the option and the value', (value) => {
    const error = rejection(() => toPositiveMs(value, 'l1.ttl'));
    expect(error.code).toBe('E_CONFIG');
    expect(error.option).toBe('l1.ttl');
    expect(error.value).toBe(value);
    expect(error.message).toContain('"l1.ttl"');
    expect(error.message).toContain('expected a positive duration such as 30000 or "30s"');
    expect(error.message).toContain('at most 365 days ("365d")');
  });

  it('shows the value in the message as given', () => {
    expect(rejection(() => toPositiveMs('soon', 'ttl')).message).toBe(
      'Invalid Strata option "ttl" = "soon": expected a positive duration such as 30000 or "30s", at most 365 days ("365d")',
    );
    expect(rejection(() => toPositiveMs(-5, 'nullTtl')).message).toContain('= -5:');
  });

  it('bounds timers by maxMs and says so', () => {
    expect(toPositiveMs(MAX_TIMER_MS, 'hardTimeout', { maxMs: MAX_TIMER_MS })).toBe(MAX_TIMER_MS);
    const error = rejection(() => toPositiveMs('30d', 'hardTimeout', { maxMs: MAX_TIMER_MS }));
    expect(error.option).toBe('hardTimeout');
    expect(error.message).toContain(`at most ${MAX_TIMER_MS} ms`);
  });

  it('says when 0 is accepted', () => {
    const error = rejection(() => toPositiveMs(-1, 'grace', { allowZero: true }));
    expect(error.message).toContain('expected a duration (0: off)');
  });
});
