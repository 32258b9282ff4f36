import { NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { resolveRoutePolicy } from './http-cache.options.js';
import {
  failedStatus,
  freshness,
  isServerError,
  StaleRefreshes,
  staleOnError,
  storedLifetimeMs,
} from './stale-responses.js';
import { toStoredResponse } from './stored-response.js';

const stored = (freshUntil?: number) =>
  toStoredResponse({
    status: 200,
    headers: {},
    body: Buffer.from('x'),
    etag: '"e"',
    storedAt: 0,
    freshUntil,
  });

describe('freshness', () => {
  const policy = resolveRoutePolicy({ ttl: 1_000, staleWhileRevalidate: 2_000, staleIfError: 5_000 });

  it('walks from fresh to revalidate, if-error and expired', () => {
    expect(freshness(stored(1_000), policy, 999)).toBe('fresh');
    expect(freshness(stored(1_000), policy, 1_000)).toBe('revalidate');
    expect(freshness(stored(1_000), policy, 2_999)).toBe('revalidate');
    expect(freshness(stored(1_000), policy, 3_000)).toBe('if-error');
    expect(freshness(stored(1_000), policy, 5_999)).toBe('if-error');
    expect(freshness(stored(1_000), policy, 6_000)).toBe('expired');
  });

  it('treats an entry without freshUntil as fresh, and a route without windows as expired', () => {
    expect(freshness(stored(), policy, 1e12)).toBe('fresh');
    expect(freshness(stored(1_000), resolveRoutePolicy({ ttl: 1_000 }), 1_000)).toBe('expired');
  });

  it('keeps an entry for its freshness and the longer window', () => {
    expect(storedLifetimeMs(policy, 1_000)).toBe(6_000);
    expect(storedLifetimeMs(resolveRoutePolicy({ ttl: 1_000 }), 1_000)).toBe(1_000);
  });
});

describe('isServerError', () => {
  it('covers 5xx and plain errors, not the 4xx answers', () => {
    expect(isServerError(new Error('down'))).toBe(true);
    expect(isServerError(new ServiceUnavailableException())).toBe(true);
    expect(isServerError(new NotFoundException())).toBe(false);
  });
});

describe('StaleRefreshes', () => {
  it('runs one refresh per key, reports failures, and drains', async () => {
    const errors: unknown[] = [];
    const refreshes = new StaleRefreshes((error) => errors.push(error));
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    let runs = 0;
    expect(refreshes.start('a', () => ((runs += 1), held))).toBe(true);
    expect(refreshes.start('a', () => ((runs += 1), held))).toBe(false);
    expect(
      refreshes.start('b', () => {
        throw new Error('boom');
      }),
    ).toBe(true);
    expect(refreshes.size).toBe(2);
    const drained = refreshes.drain();
    expect(refreshes.start('c', () => Promise.resolve())).toBe(false);
    release();
    await drained;
    expect(refreshes.size).toBe(0);
    expect(runs).toBe(1);
    expect(errors).toEqual([new Error('boom')]);
  });
});

describe('staleOnError', () => {
  const stale = () => 'stale';
  const failed = (result: string) => result === '5xx';

  it('answers stale on a server error or a failed result, else the result', async () => {
    expect(await staleOnError(() => Promise.reject(new Error('down')), failed, stale)).toBe('stale');
    expect(await staleOnError(() => Promise.resolve('5xx'), failed, stale)).toBe('stale');
    expect(await staleOnError(() => Promise.resolve('ok'), failed, stale)).toBe('ok');
    await expect(staleOnError(() => Promise.reject(new NotFoundException()), failed, stale)).rejects.toThrow(
      NotFoundException,
    );
  });

  it('reads 5xx statuses of answers and web responses', () => {
    expect(failedStatus({ status: 503 })).toBe(true);
    expect(failedStatus(new Response(null, { status: 500 }))).toBe(true);
    expect(failedStatus({ status: 200 })).toBe(false);
    expect(failedStatus(false)).toBe(false);
  });
});
