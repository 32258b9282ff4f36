import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { InvalidTtlError, ValueTooLargeError } from '@strata/core';
import { Cacheable, CachePut, CacheService } from '@strata/nestjs';
import { afterEach, describe, expect, it } from 'vitest';
import { backends, closeApps, createApp, RecordingLogger } from '../support/app.js';
import { useRedisServer } from '../support/redis.js';

const redis = useRedisServer();

@Injectable()
class ReportService {
  calls = 0;
  size = 5_000;

  @Cacheable({ key: (id: string) => `report:${id}` })
  async report(id: string): Promise<{ id: string; body: string; run: number }> {
    this.calls++;
    return { id, body: 'b'.repeat(this.size), run: this.calls };
  }

  @CachePut({ key: (id: string) => `report:${id}` })
  async rewrite(id: string, body: string): Promise<{ id: string; body: string; run: number }> {
    return { id, body, run: 0 };
  }
}

afterEach(async () => {
  await closeApps();
});

describe.each(backends(redis))('values over maxValueBytes through the decorators: $name', (backend) => {
  async function boot(): Promise<{ service: ReportService; cache: CacheService; logger: RecordingLogger }> {
    const logger = new RecordingLogger();
    const app = await createApp(backend.options({ maxValueBytes: 1_000 }), [ReportService], { logger });
    return { service: app.get(ReportService), cache: app.get(CacheService), logger };
  }

  it('@Cacheable returns the value, caches nothing, and warns once per key', async () => {
    const { service, logger } = await boot();
    expect((await service.report('a')).run).toBe(1);
    expect((await service.report('a')).run).toBe(2);
    expect(service.calls).toBe(2);
    const warnings = logger.from('Strata').filter((line) => line.message.includes('maxValueBytes'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain('returned to its callers without caching it');
    // A small result of the same method is cached as usual.
    service.size = 10;
    expect((await service.report('b')).run).toBe(3);
    expect((await service.report('b')).run).toBe(3);
  });

  it('@CachePut of a value over the limit throws ValueTooLargeError and leaves no older value behind', async () => {
    const { service, cache } = await boot();
    service.size = 10;
    expect((await service.report('c')).run).toBe(1);
    await expect(service.rewrite('c', 'x'.repeat(5_000))).rejects.toBeInstanceOf(ValueTooLargeError);
    expect(await cache.get('report:c')).toBeUndefined();
  });

  it('CacheService takes the same per-call TTL bounds', async () => {
    const { cache } = await boot();
    await expect(cache.set('k', 1, { ttl: '10y' })).rejects.toBeInstanceOf(InvalidTtlError);
    await expect(cache.set('k', 1, { ttl: Number.POSITIVE_INFINITY })).rejects.toBeInstanceOf(
      InvalidTtlError,
    );
    await cache.set('k', 1, { ttl: '365d' });
    expect(await cache.get('k')).toBe(1);
  });
});
