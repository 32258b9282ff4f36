import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { StrataConfigError } from '@strata/core';
import { Cacheable } from '@strata/nestjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { backends, closeApps, createApp } from './support/app.js';
import { deferred, sleep, waitFor } from './support/deferred.js';
import { useRedisServer } from './support/redis.js';

const redis = useRedisServer();

@Injectable()
class QuoteService {
  calls = 0;
  hold: Promise<void> = Promise.resolve();

  @Cacheable({ key: 'quote', ttl: 100, staleWhileRevalidate: '5s' })
  async quote(): Promise<string> {
    const call = ++this.calls;
    await this.hold;
    return `q${call}`;
  }

  @Cacheable({ key: 'hot', ttl: '1m', earlyRefresh: { random: () => 0 } })
  async hot(): Promise<number> {
    // A load time above zero: entries loaded in no time are never refreshed early.
    await sleep(2);
    return ++this.calls;
  }
}

afterEach(async () => {
  vi.useRealTimers();
  await closeApps();
});

describe.each(backends(redis))('@Cacheable stale reads ($name)', (backend) => {
  it('staleWhileRevalidate: an expired entry is returned at once while one refresh runs', async () => {
    // The entry ages on a faked Date (sockets and timers stay real).
    vi.useFakeTimers({ toFake: ['Date'] });
    const moduleRef = await createApp(backend.options(), [QuoteService]);
    const service = moduleRef.get(QuoteService);
    expect(await service.quote()).toBe('q1');
    vi.advanceTimersByTime(150);

    const release = deferred();
    service.hold = release.promise;
    const values = await Promise.all(Array.from({ length: 10 }, () => service.quote()));
    expect(values).toStrictEqual(Array.from({ length: 10 }, () => 'q1'));
    // The refresh (with Redis, after one more read there) is the only call.
    await waitFor(() => service.calls === 2);
    // A second refresh would start within a few ms: give it the chance before counting.
    await sleep(20);
    expect(service.calls).toBe(2);

    release.resolve();
    await waitFor(async () => (await service.quote()) === 'q2');
    expect(service.calls).toBe(2);
  });

  it('earlyRefresh: a hit may start a background refresh (the decorator skips its L1 peek)', async () => {
    const moduleRef = await createApp(backend.options(), [QuoteService]);
    const service = moduleRef.get(QuoteService);
    expect(await service.hot()).toBe(1);
    // random() = 0: every hit draws a refresh; the hit itself is served from the cache.
    expect(await service.hot()).toBe(1);
    await waitFor(() => service.calls === 2);
    await waitFor(async () => (await service.hot()) >= 2);
  });
});

describe('@Cacheable stale-read options', () => {
  it('are checked at boot, naming the decorator', async () => {
    @Injectable()
    class Broken {
      @Cacheable({ key: 'x', grace: -1 })
      async x(): Promise<number> {
        return 1;
      }
    }
    const failure = await createApp({}, [Broken]).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(StrataConfigError);
    expect((failure as StrataConfigError).option).toBe('@Cacheable({ grace }) on Broken.x');
  });
});
