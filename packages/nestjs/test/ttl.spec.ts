import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Cacheable, CachePut } from '@strata/nestjs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { backends, closeApps, createApp, uniquePrefix } from './support/app.js';
import { waitFor } from './support/deferred.js';
import { useRedisServer } from './support/redis.js';

const redis = useRedisServer();

@Injectable()
class RateService {
  readonly calls = { rate: 0, lookup: 0, fallback: 0 };
  missing = false;

  @Cacheable({ key: 'rate', ttl: '10s' })
  async rate(): Promise<number> {
    return ++this.calls.rate;
  }

  @Cacheable({ key: (id: string) => `lookup:${id}`, ttl: '1m', nullTtl: '2s' })
  async lookup(id: string): Promise<{ id: string; run: number } | null> {
    this.calls.lookup++;
    return this.missing ? null : { id, run: this.calls.lookup };
  }

  /** No TTL of its own: the module's `ttl` and `nullTtl` apply. */
  @Cacheable({ key: (id: string) => `fallback:${id}` })
  async fallback(id: string): Promise<string | null> {
    this.calls.fallback++;
    return this.missing ? null : `${id}-${this.calls.fallback}`;
  }

  @CachePut({ key: 'rate', ttl: 3000 })
  async setRate(value: number): Promise<number> {
    return value;
  }
}

afterEach(async () => {
  vi.useRealTimers();
  await closeApps();
});

async function rates(options: { ttl?: string; nullTtl?: string } = {}): Promise<RateService> {
  const moduleRef = await createApp({ prefix: uniquePrefix(), jitter: 0, ...options }, [RateService]);
  return moduleRef.get(RateService);
}

describe('TTL (memory, fake Date)', () => {
  // Only Date is faked: the memory layer reads Date.now(); Nest and promises keep real timers.
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
  });

  it('expires an entry after the ttl of its decorator', async () => {
    const service = await rates();

    expect(await service.rate()).toBe(1);
    vi.advanceTimersByTime(9_999);
    expect(await service.rate()).toBe(1);
    vi.advanceTimersByTime(1);
    expect(await service.rate()).toBe(2);
    vi.advanceTimersByTime(9_999);
    expect(await service.rate()).toBe(2);
    expect(service.calls.rate).toBe(2);
  });

  it('keeps a null result only for nullTtl, and other results for ttl', async () => {
    const service = await rates();

    service.missing = true;
    expect(await service.lookup('a')).toBeNull();
    service.missing = false;
    expect(await service.lookup('b')).toEqual({ id: 'b', run: 2 });

    vi.advanceTimersByTime(1_999);
    expect(await service.lookup('a')).toBeNull();
    vi.advanceTimersByTime(1);
    expect(await service.lookup('a')).toEqual({ id: 'a', run: 3 });
    expect(await service.lookup('b')).toEqual({ id: 'b', run: 2 });

    vi.advanceTimersByTime(60_000);
    expect(await service.lookup('b')).toEqual({ id: 'b', run: 4 });
    expect(service.calls.lookup).toBe(4);
  });

  it("uses the module's ttl and nullTtl when the decorator sets none", async () => {
    const service = await rates({ ttl: '30s', nullTtl: '5s' });

    service.missing = true;
    expect(await service.fallback('a')).toBeNull();
    service.missing = false;
    expect(await service.fallback('b')).toBe('b-2');

    vi.advanceTimersByTime(4_999);
    expect(await service.fallback('a')).toBeNull();
    expect(await service.fallback('b')).toBe('b-2');
    vi.advanceTimersByTime(1);
    expect(await service.fallback('a')).toBe('a-3');

    vi.advanceTimersByTime(24_999);
    expect(await service.fallback('b')).toBe('b-2');
    vi.advanceTimersByTime(1);
    expect(await service.fallback('b')).toBe('b-4');
  });

  it('applies the ttl of @CachePut to the entry it writes', async () => {
    const service = await rates();

    expect(await service.setRate(42)).toBe(42);
    vi.advanceTimersByTime(2_999);
    expect(await service.rate()).toBe(42);
    vi.advanceTimersByTime(1);
    expect(await service.rate()).toBe(1);
    expect(service.calls.rate).toBe(1);
  });
});

@Injectable()
class ShortLivedService {
  calls = 0;

  @Cacheable({ key: 'short', ttl: '300ms' })
  async value(): Promise<number> {
    return ++this.calls;
  }
}

describe.each(backends(redis).filter((backend) => backend.name !== 'memory'))(
  'TTL on $name (real time)',
  (backend) => {
    it('expires an entry after its ttl', async () => {
      const moduleRef = await createApp(backend.options(), [ShortLivedService]);
      const service = moduleRef.get(ShortLivedService);

      const started = performance.now(); // before the write: the entry lives at least 300 ms from here
      expect(await service.value()).toBe(1);
      expect(await service.value()).toBe(1);
      // Redis drops the key on its own clock: poll for the reload, and check it came no sooner
      // than the ttl (a lower bound holds however loaded the machine is).
      await waitFor(async () => (await service.value()) === 2, 3_000, 'the entry to expire');
      expect(performance.now() - started).toBeGreaterThanOrEqual(280);
      expect(await service.value()).toBe(2);
      expect(service.calls).toBe(2);
    });
  },
);
