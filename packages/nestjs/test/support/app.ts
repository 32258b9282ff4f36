import { randomUUID } from 'node:crypto';
import type { DynamicModule, Provider, Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { StrataModule, type StrataModuleOptions } from '@strata/nestjs';
import type { RedisHandle } from './redis.js';

/** A key prefix no other test uses, so tests never see each other's entries in a shared Redis. */
export function uniquePrefix(): string {
  return 't' + randomUUID().slice(0, 8);
}

const open = new Set<TestingModule>();

/**
 * Compiles and initialises a testing module importing `StrataModule.forRoot(options)` (the
 * explorer wraps decorated methods at init). Call {@link closeApps} in `afterEach`.
 */
export async function createApp(
  options: StrataModuleOptions,
  providers: Provider[],
  controllers: Type[] = [],
  imports: (Type | DynamicModule)[] = [],
): Promise<TestingModule> {
  const moduleRef = await Test.createTestingModule({
    imports: [StrataModule.forRoot(options), ...imports],
    providers,
    controllers,
  }).compile();
  open.add(moduleRef);
  await moduleRef.init();
  return moduleRef;
}

/** Closes one app created by {@link createApp}. */
export async function closeApp(moduleRef: TestingModule): Promise<void> {
  open.delete(moduleRef);
  await moduleRef.close();
}

/** Closes every app still open (for `afterEach`). */
export async function closeApps(): Promise<void> {
  const apps = [...open];
  open.clear();
  await Promise.all(apps.map((app) => app.close()));
}

/** A storage backend the behaviour suites run against. */
export interface Backend {
  readonly name: string;
  /** Module options for a fresh app: a unique prefix, no TTL jitter, and Redis when needed. */
  options(extra?: StrataModuleOptions): StrataModuleOptions;
}

/**
 * Memory only; Redis alone (the default with `redis`: every hit goes through Redis and its
 * codec); and an L1 in front of Redis.
 */
export function backends(redis: RedisHandle): Backend[] {
  return [
    {
      name: 'memory',
      options: (extra = {}) => ({ prefix: uniquePrefix(), jitter: 0, ...extra }),
    },
    {
      name: 'redis',
      options: (extra = {}) => ({ prefix: uniquePrefix(), jitter: 0, redis: { url: redis.url }, ...extra }),
    },
    {
      name: 'redis + l1',
      options: (extra = {}) => ({
        prefix: uniquePrefix(),
        jitter: 0,
        redis: { url: redis.url },
        l1: { maxEntries: 1_000 },
        ...extra,
      }),
    },
  ];
}
