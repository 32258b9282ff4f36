import { describe, expect, it } from 'vitest';
import { clientRequestsRevalidation } from './client-revalidation.js';

describe('clientRequestsRevalidation', () => {
  it.each([
    [{ 'cache-control': 'no-cache' }],
    [{ 'cache-control': 'No-Cache' }],
    [{ 'cache-control': 'max-age=0' }],
    [{ 'cache-control': 'max-age="0"' }],
    [{ 'cache-control': 'max-stale, no-cache' }],
    [{ pragma: 'no-cache' }],
    [{ pragma: 'foo, No-Cache' }],
    [{ 'cache-control': 'no-cache', pragma: 'no-cache' }],
  ])('asks to revalidate: %j', (headers) => {
    expect(clientRequestsRevalidation(headers)).toBe(true);
  });

  it.each([
    [{}],
    [{ 'cache-control': 'max-age=5' }],
    [{ 'cache-control': 'no-store' }],
    [{ 'cache-control': 'only-if-cached' }],
    [{ 'cache-control': 'max-age=0abc' }],
    [{ 'cache-control': 'max-age=60', pragma: 'no-cache' }],
    [{ pragma: 'nocache' }],
  ])('does not: %j', (headers) => {
    expect(clientRequestsRevalidation(headers)).toBe(false);
  });
});
