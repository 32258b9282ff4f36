import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { StrataConfigError } from '../errors/strata-config.error.js';
import type { CacheStackOptions } from './cache-stack.options.js';
import { resolveStackOptions } from './resolve-options.js';

function configError(options: unknown): StrataConfigError {
  try {
    resolveStackOptions(options as CacheStackOptions);
  } catch (error) {
    expect(error).toBeInstanceOf(StrataConfigError);
    return error as StrataConfigError;
  }
  throw new Error(`expected ${JSON.stringify(options)} to be rejected`);
}

describe('resolveStackOptions', () => {
  it('applies the documented defaults (memory only)', () => {
    expect(resolveStackOptions()).toStrictEqual({
      prefix: 'strata',
      ttlMs: 300_000,
      nullTtlMs: 60_000,
      jitter: 0.1,
      maxKeyLength: 512,
      maxValueBytes: 4 * 1024 * 1024,
      shareReferences: false,
      atRest: {
        compressionThreshold: 8192,
        keyring: undefined,
        compressSensitive: false,
        sensitiveNamespaces: new Set(),
      },
      l1: { maxEntries: 10_000, maxBytes: 64 * 1024 * 1024, ttlMs: Number.POSITIVE_INFINITY },
      redis: undefined,
      breaker: { failureThreshold: 3, breakDurationMs: 5_000 },
      tombstoneTtlMs: 60_000,
      dependencies: true,
      dependencyTtlMs: 600_000,
      migrateFrom: undefined,
      bus: undefined,
      lease: undefined,
      // Stale reads: see resolve-stale-read-options.spec.ts.
      reads: {
        graceMs: 0,
        swrMs: 0,
        staleMs: 0,
        softTimeoutMs: undefined,
        hardTimeoutMs: undefined,
        early: undefined,
        earlyRefresh: false,
        retry: { delayMs: 1_000, maxAttempts: 5 },
      },
    });
  });

  it('puts L1 in front of Redis by default with the bus (bounded by 1m), and applies Redis defaults', () => {
    const o = resolveStackOptions({ redis: { url: 'redis://127.0.0.1:1' } });
    expect(o.l1).toStrictEqual({ maxEntries: 10_000, maxBytes: 64 * 1024 * 1024, ttlMs: 60_000 });
    expect(o.bus).toStrictEqual({ channel: 'strata:bus', outageTtlMs: 1_000 });
    expect(o.lease).toStrictEqual({ ttlMs: 5_000 });
    expect(
      resolveStackOptions({ redis: { url: 'redis://127.0.0.1:1' }, lease: { ttl: '2s' } }).lease,
    ).toStrictEqual({ ttlMs: 2_000 });
    expect(
      resolveStackOptions({ redis: { url: 'redis://127.0.0.1:1' }, lease: false }).lease,
    ).toBeUndefined();
    expect(o.redis).toStrictEqual({
      url: 'redis://127.0.0.1:1',
      client: undefined,
      sentinel: undefined,
      cluster: undefined,
      commandTimeoutMs: 250,
      connectTimeoutMs: 2_000,
      failOnUnavailable: false,
    });
  });

  it('without the bus, turns L1 off by default with Redis; puts it in front when given, bounded by l1.ttl (10s by default)', () => {
    expect(resolveStackOptions({ redis: { url: 'redis://127.0.0.1:1' }, bus: false }).l1).toBeUndefined();
    expect(resolveStackOptions({ redis: { url: 'redis://127.0.0.1:1' }, bus: false }).bus).toBeUndefined();
    expect(
      resolveStackOptions({ redis: { url: 'redis://127.0.0.1:1' }, l1: {}, bus: false }).l1,
    ).toStrictEqual({
      maxEntries: 10_000,
      maxBytes: 64 * 1024 * 1024,
      ttlMs: 10_000,
    });
    expect(
      resolveStackOptions({ redis: { url: 'redis://127.0.0.1:1' }, l1: { ttl: '2s', maxEntries: 5 } }).l1,
    ).toMatchObject({
      maxEntries: 5,
      ttlMs: 2_000,
    });
  });

  it('applies bus options: channel, outageTtl (0 allowed), none without Redis', () => {
    expect(resolveStackOptions({ prefix: 'shop', redis: { url: 'redis://127.0.0.1:1' } }).bus?.channel).toBe(
      'shop:bus',
    );
    expect(
      resolveStackOptions({
        redis: { url: 'redis://127.0.0.1:1' },
        bus: { channel: 'c', outageTtl: '250ms' },
      }).bus,
    ).toStrictEqual({
      channel: 'c',
      outageTtlMs: 250,
    });
    expect(
      resolveStackOptions({ redis: { url: 'redis://127.0.0.1:1' }, bus: { outageTtl: 0 } }).bus?.outageTtlMs,
    ).toBe(0);
    expect(resolveStackOptions({ bus: {} }).bus).toBeUndefined();
  });

  it('keeps the memory store when l1 is false without Redis', () => {
    expect(resolveStackOptions({ l1: false }).l1?.maxEntries).toBe(10_000);
    expect(resolveStackOptions({ l1: false, redis: { url: 'redis://127.0.0.1:1' } }).l1).toBeUndefined();
  });

  it('converts durations and caps nullTtl at ttl', () => {
    const o = resolveStackOptions({
      ttl: '30s',
      nullTtl: '5m',
      tombstoneTtl: 1500,
      breaker: { breakDuration: '500ms', failureThreshold: 1 },
      redis: {
        url: 'redis://127.0.0.1:1',
        commandTimeout: '200ms',
        connectTimeout: 300,
        failOnUnavailable: true,
      },
    });
    expect(o.ttlMs).toBe(30_000);
    expect(o.nullTtlMs).toBe(30_000);
    expect(o.tombstoneTtlMs).toBe(1500);
    expect(o.breaker).toStrictEqual({ failureThreshold: 1, breakDurationMs: 500 });
    expect(o.redis).toMatchObject({ commandTimeoutMs: 200, connectTimeoutMs: 300, failOnUnavailable: true });
  });

  it('accepts Sentinel and Cluster settings', () => {
    const sentinel = { sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'strata' };
    const cluster = { nodes: [{ host: '127.0.0.1', port: 7000 }] };
    expect(resolveStackOptions({ redis: { sentinel } }).redis?.sentinel).toStrictEqual(sentinel);
    expect(resolveStackOptions({ redis: { cluster } }).redis?.cluster).toStrictEqual(cluster);
  });

  it('accepts an ioredis client', () => {
    const client = new Redis({ lazyConnect: true });
    try {
      expect(resolveStackOptions({ redis: { client } }).redis?.client).toBe(client);
    } finally {
      client.disconnect();
    }
  });

  it.each([
    [{ ttl: 'abc' }, 'ttl', '"abc"'],
    [{ ttl: 0 }, 'ttl', '0'],
    [{ ttl: -5 }, 'ttl', '-5'],
    [{ nullTtl: 'soon' }, 'nullTtl', '"soon"'],
    [{ l1: { maxEntries: -1 } }, 'l1.maxEntries', '-1'],
    [{ l1: { maxEntries: 1.5 } }, 'l1.maxEntries', '1.5'],
    [{ l1: { maxBytes: 0 } }, 'l1.maxBytes', '0'],
    [{ l1: { ttl: 'never' } }, 'l1.ttl', '"never"'],
    [{ l1: 'yes' }, 'l1', '"yes"'],
    [{ bus: { outageTtl: -1 } }, 'bus.outageTtl', '-1'],
    [{ bus: { channel: '' } }, 'bus.channel', '""'],
    [{ lease: { ttl: 0 } }, 'lease.ttl', '0'],
    [{ redis: { url: 'http://x' } }, 'redis.url', '"http://x"'],
    [{ redis: { url: 'not a url' } }, 'redis.url', '"not a url"'],
    [{ redis: { url: 'redis://' } }, 'redis.url', '"redis://"'],
    [{ redis: { url: 'redis://h:1', commandTimeout: '0ms' } }, 'redis.commandTimeout', '"0ms"'],
    [{ redis: {} }, 'redis.url', 'undefined'],
    [{ redis: { url: undefined } }, 'redis.url', 'undefined'],
    [{ redis: { url: '' } }, 'redis.url', '""'],
    [{ redis: { commandTimeout: '200ms', failOnUnavailable: true } }, 'redis.url', 'undefined'],
    [{ redis: { client: {} } }, 'redis.client', '{}'],
    [{ redis: { sentinel: { sentinels: [], name: 'm' } } }, 'redis.sentinel.sentinels', '[]'],
    [{ redis: { sentinel: { sentinels: [{ host: 'h', port: 1 }], name: '' } } }, 'redis.sentinel.name', '""'],
    [{ redis: { cluster: { nodes: [{ host: 'h', port: 0 }] } } }, 'redis.cluster.nodes.0.port', '0'],
    [
      { redis: { url: 'redis://h:1', cluster: { nodes: [{ host: 'h', port: 1 }] } } },
      'redis.cluster',
      '{"nodes":[{"host":"h","port":1}]}',
    ],
    [{ breaker: { breakDuration: 'x' } }, 'breaker.breakDuration', '"x"'],
    [{ breaker: { failureThreshold: 0 } }, 'breaker.failureThreshold', '0'],
    [{ jitter: 2 }, 'jitter', '2'],
    [{ jitter: -0.1 }, 'jitter', '-0.1'],
    [{ maxKeyLength: 10 }, 'maxKeyLength', '10'],
    [{ prefix: 'a b' }, 'prefix', '"a b"'],
    [{ prefix: 'a{b}' }, 'prefix', '"a{b}"'],
    [{ shareReferences: 'yes' }, 'shareReferences', '"yes"'],
  ])('rejects %j, naming %s and the value', (options, option, shown) => {
    const error = configError(options);
    expect(error.code).toBe('E_CONFIG');
    expect(error.option).toBe(option);
    expect(error.message).toContain(`"${option}"`);
    expect(error.message).toContain(`= ${shown}`);
  });

  it.each([
    [{ foo: 1 }, 'foo', 1],
    [{ redis: { host: 'x' } }, 'redis.host', 'x'],
    [{ l1: { bogus: true } }, 'l1.bogus', true],
    [{ breaker: { threshold: 3 } }, 'breaker.threshold', 3],
  ])('rejects the unknown option %j by its path', (options, option, value) => {
    const error = configError(options);
    expect(error.option).toBe(option);
    expect(error.value).toBe(value);
    expect(error.message).toContain(`"${option}"`);
    expect(error.message).toContain('unknown option');
  });

  it('keeps the rejected value on the error', () => {
    expect(configError({ ttl: 'abc' }).value).toBe('abc');
    expect(configError({ l1: { maxEntries: -1 } }).value).toBe(-1);
  });
});
