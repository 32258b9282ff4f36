import { randomUUID } from 'node:crypto';
import type { DynamicModule, LoggerService, Provider, Type } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { StrataModule } from '@strata/nestjs';
import type { StrataModuleOptions } from '../../src/module/strata-module.options.js';
import type { RedisClusterHandle, RedisHandle } from './redis.js';

/** A key prefix no other test uses, so tests never see each other's entries in a shared Redis. */
export function uniquePrefix(): string {
  return 't' + randomUUID().slice(0, 8);
}

const open = new Set<TestingModule>();

/** What else a test app holds besides Strata and the providers under test. */
export interface AppExtras {
  readonly controllers?: Type[];
  readonly imports?: (Type | DynamicModule)[];
  /** Receives Nest's (and Strata's) log lines instead of the silent testing logger. */
  readonly logger?: LoggerService;
}

/** A logger that keeps what it is given, by level. */
export class RecordingLogger implements LoggerService {
  readonly lines: { level: 'log' | 'warn' | 'error'; message: string; context?: string }[] = [];

  log(message: unknown, context?: string): void {
    this.lines.push({ level: 'log', message: String(message), context });
  }

  warn(message: unknown, context?: string): void {
    this.lines.push({ level: 'warn', message: String(message), context });
  }

  error(message: unknown, ...rest: unknown[]): void {
    this.lines.push({ level: 'error', message: String(message), context: rest.at(-1) as string | undefined });
  }

  /** Lines logged with the given context (Strata logs as `Strata`). */
  from(context: string): { level: string; message: string }[] {
    return this.lines.filter((line) => line.context === context);
  }
}

/**
 * Compiles and initialises a testing module importing `StrataModule.forRoot(options)` (the
 * explorer wraps decorated methods at init). Call {@link closeApps} in `afterEach`.
 */
export async function createApp(
  options: StrataModuleOptions,
  providers: Provider[],
  extras: AppExtras = {},
): Promise<TestingModule> {
  const builder = Test.createTestingModule({
    imports: [StrataModule.forRoot(options), ...(extras.imports ?? [])],
    providers,
    controllers: extras.controllers ?? [],
  });
  if (extras.logger) builder.setLogger(extras.logger);
  const moduleRef = await builder.compile();
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

/**
 * Redis Cluster alone (every hit goes through the cluster), and an L1 in front of it: apps share
 * the handle's `Cluster` client (`redis: { client }`), which Strata never closes.
 */
export function clusterBackends(redis: RedisClusterHandle): Backend[] {
  return [
    {
      name: 'redis cluster',
      options: (extra = {}) => ({
        prefix: uniquePrefix(),
        jitter: 0,
        l1: false,
        redis: { client: redis.client },
        ...extra,
      }),
    },
    {
      name: 'redis cluster + l1',
      options: (extra = {}) => ({
        prefix: uniquePrefix(),
        jitter: 0,
        redis: { client: redis.client },
        l1: { maxEntries: 1_000 },
        ...extra,
      }),
    },
  ];
}
