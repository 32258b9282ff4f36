import 'reflect-metadata';
import { createServer, type Server, type Socket } from 'node:net';
import {
  Controller,
  Get,
  Inject,
  Injectable,
  Module,
  Scope,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
  type OnModuleInit,
  type Provider,
  type Type,
} from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { InvalidKeyError, StrataConfigError } from '@strata/core';
import { RedisUnavailableError } from '@strata/core/internal';
import { Cacheable, CachePut, CacheService, StrataModule } from '@strata/nestjs';
import { DecoratorMisuseError } from '../src/errors/decorator-misuse.error.js';
import type { StrataModuleOptions } from '../src/module/strata-module.options.js';
import { findFreePort } from '@strata/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { closeApp, closeApps, createApp, RecordingLogger, uniquePrefix } from './support/app.js';
import { sleep, waitFor } from './support/deferred.js';
import { engineOf } from '@strata/core/internal';

@Injectable()
class HealthyService {
  calls = 0;

  @Cacheable({ key: 'healthy' })
  async value(): Promise<number> {
    return ++this.calls;
  }
}

@Injectable()
class BadTtlService {
  @Cacheable({ ttl: 'soon' })
  async load(): Promise<number> {
    return 1;
  }
}

@Controller('products')
class ProductController {
  @Get()
  @Cacheable({ key: 'products' })
  async list(): Promise<string[]> {
    return ['a'];
  }
}

@Injectable({ scope: Scope.REQUEST })
class RequestScopedService {
  @Cacheable({ key: 'per-request' })
  async load(): Promise<number> {
    return 1;
  }
}

@Injectable({ scope: Scope.TRANSIENT })
class TransientService {
  @Cacheable({ key: 'transient' })
  async load(): Promise<number> {
    return 1;
  }
}

@Injectable({ scope: Scope.REQUEST })
class RequestContext {
  readonly startedAt = Date.now();
}

/** A singleton that depends on a request-scoped provider becomes request-scoped itself. */
@Injectable()
class ImplicitlyRequestScopedService {
  constructor(@Inject(RequestContext) readonly context: RequestContext) {}

  @Cacheable({ key: 'implicit' })
  async load(): Promise<number> {
    return 1;
  }
}

@Injectable()
class SyncService {
  @Cacheable({ key: 'sync' })
  total(): number {
    return 1;
  }
}

@Injectable()
class ConflictingService {
  @Cacheable({ key: 'both' })
  @CachePut({ key: 'both' })
  async load(): Promise<number> {
    return 1;
  }
}

@Injectable()
class BadNullTtlService {
  @Cacheable({ nullTtl: 'x' })
  async load(): Promise<number> {
    return 1;
  }
}

@Injectable()
class BadNamespaceService {
  @Cacheable({ namespace: 'has space' })
  async load(): Promise<number> {
    return 1;
  }
}

@Injectable()
class KeylessPutService {
  @CachePut({} as { key: string })
  async save(): Promise<number> {
    return 1;
  }
}

/** Boots an app and returns what it failed with (fails the test if it booted). */
async function bootError(
  options: StrataModuleOptions,
  providers: Provider[] = [],
  controllers: Type[] = [],
): Promise<Error> {
  try {
    await createApp(options, providers, { controllers });
  } catch (error) {
    expect(error).toBeInstanceOf(Error);
    return error as Error;
  }
  throw new Error('expected the app to fail at boot');
}

afterEach(closeApps);

describe('boot failures', () => {
  it.each([
    [{ ttl: 'abc' }, 'ttl', 'abc'],
    [{ ttl: -5 }, 'ttl', '-5'],
    [{ l1: { maxEntries: -1 } }, 'l1.maxEntries', '-1'],
    [{ redis: { url: 'http://nope' } }, 'redis.url', 'http://nope'],
    [{ redis: { url: 'redis://127.0.0.1:1', commandTimeout: 'fast' } }, 'redis.commandTimeout', 'fast'],
    [{ prefix: 'has space' }, 'prefix', 'has space'],
  ] as const)('forRoot(%j) fails with StrataConfigError naming %s', async (options, option, value) => {
    const error = await bootError(options as StrataModuleOptions);

    expect(error).toBeInstanceOf(StrataConfigError);
    expect((error as StrataConfigError).option).toBe(option);
    expect(error.message).toContain(option);
    expect(error.message).toContain(value);
  });

  it('forRootAsync fails with StrataConfigError when the factory returns a bad option', async () => {
    const error = await Test.createTestingModule({
      imports: [StrataModule.forRootAsync({ useFactory: () => ({ ttl: -5 }) })],
    })
      .compile()
      .then(
        (moduleRef) => moduleRef.close().then(() => new Error('expected boot to fail')),
        (reason: unknown) => reason as Error,
      );

    expect(error).toBeInstanceOf(StrataConfigError);
    expect(error.message).toContain('ttl');
    expect(error.message).toContain('-5');
  });

  it('@Cacheable({ ttl: "soon" }) fails with StrataConfigError naming the method', async () => {
    const error = await bootError({ prefix: uniquePrefix() }, [BadTtlService]);

    expect(error).toBeInstanceOf(StrataConfigError);
    expect(error.message).toContain('BadTtlService.load');
    expect(error.message).toContain('soon');
  });

  it('@Cacheable({ nullTtl: "x" }) fails with StrataConfigError naming the method', async () => {
    const error = await bootError({ prefix: uniquePrefix() }, [BadNullTtlService]);

    expect(error).toBeInstanceOf(StrataConfigError);
    expect(error.message).toContain('BadNullTtlService.load');
    expect(error.message).toContain('nullTtl');
  });

  it('@CachePut without a key fails with StrataConfigError naming the method', async () => {
    const error = await bootError({ prefix: uniquePrefix() }, [KeylessPutService]);

    expect(error).toBeInstanceOf(StrataConfigError);
    expect(error.message).toContain('KeylessPutService.save');
    expect(error.message).toContain('key');
  });

  it('a bad namespace in a decorator fails with InvalidKeyError', async () => {
    const error = await bootError({ prefix: uniquePrefix() }, [BadNamespaceService]);

    expect(error).toBeInstanceOf(InvalidKeyError);
    expect(error.message).toContain('has space');
  });

  it('a decorated controller method fails with DecoratorMisuseError pointing to HttpCacheInterceptor', async () => {
    const error = await bootError({ prefix: uniquePrefix() }, [], [ProductController]);

    expect(error).toBeInstanceOf(DecoratorMisuseError);
    expect(error.message).toContain('ProductController.list');
    expect(error.message).toContain('HttpCacheInterceptor');
  });

  it.each([
    ['request-scoped', [RequestScopedService], 'RequestScopedService.load'],
    ['transient', [TransientService], 'TransientService.load'],
    [
      'implicitly request-scoped',
      [RequestContext, ImplicitlyRequestScopedService],
      'ImplicitlyRequestScopedService.load',
    ],
  ] as const)(
    'a decorated method on a %s provider fails with DecoratorMisuseError',
    async (_kind, providers, target) => {
      const error = await bootError({ prefix: uniquePrefix() }, [...providers]);

      expect(error).toBeInstanceOf(DecoratorMisuseError);
      expect(error.message).toContain(target);
      expect(error.message).toMatch(/scope/i);
    },
  );

  it('a method declared to return a number fails with DecoratorMisuseError', async () => {
    const error = await bootError({ prefix: uniquePrefix() }, [SyncService]);

    expect(error).toBeInstanceOf(DecoratorMisuseError);
    expect(error.message).toContain('SyncService.total');
    expect(error.message).toContain('Number');
  });

  it('@Cacheable with @CachePut on one method fails with DecoratorMisuseError', async () => {
    const error = await bootError({ prefix: uniquePrefix() }, [ConflictingService]);

    expect(error).toBeInstanceOf(DecoratorMisuseError);
    expect(error.message).toContain('ConflictingService.load');
  });
});

const STRATA_CONFIG = Symbol('STRATA_CONFIG');

@Module({
  providers: [{ provide: STRATA_CONFIG, useValue: { prefix: uniquePrefix(), ttl: '1m' } }],
  exports: [STRATA_CONFIG],
})
class ConfigModule {}

@Injectable()
class StrataConfigFactory {
  create(): StrataModuleOptions {
    return { prefix: uniquePrefix(), ttl: '2m' };
  }
}

describe('forRootAsync', () => {
  it('takes the options from a class with useClass', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [StrataModule.forRootAsync({ useClass: StrataConfigFactory })],
      providers: [HealthyService],
    }).compile();
    try {
      await moduleRef.init();
      expect(engineOf(moduleRef.get(CacheService).stack).options.ttlMs).toBe(120_000);
      const service = moduleRef.get(HealthyService);
      expect(await service.value()).toBe(1);
      expect(await service.value()).toBe(1);
    } finally {
      await moduleRef.close();
    }
  });

  it('builds the module from injected configuration', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [
        StrataModule.forRootAsync({
          imports: [ConfigModule],
          inject: [STRATA_CONFIG],
          useFactory: (config: StrataModuleOptions) => config,
        }),
      ],
      providers: [HealthyService],
    }).compile();
    try {
      await moduleRef.init();
      const service = moduleRef.get(HealthyService);
      expect(await service.value()).toBe(1);
      expect(await service.value()).toBe(1);
      const cache = moduleRef.get(CacheService);
      expect(engineOf(cache.stack).options.ttlMs).toBe(60_000);
      expect(await cache.get('healthy')).toBe(1);
    } finally {
      await moduleRef.close();
    }
  });
});

describe('Redis unavailable at boot', () => {
  it('boots within about a second with the Redis layer skipped, and decorated methods still answer', async () => {
    const port = await findFreePort();
    const started = performance.now();
    const logger = new RecordingLogger();
    const moduleRef: TestingModule = await createApp(
      // L1 off: each call shows the method ran (with L1, outage entries live `bus.outageTtl`).
      {
        prefix: uniquePrefix(),
        l1: false,
        redis: { url: `redis://127.0.0.1:${port}`, connectTimeout: '300ms' },
      },
      [HealthyService],
      { logger },
    );
    const bootMs = performance.now() - started;
    const service = moduleRef.get(HealthyService);

    expect(bootMs).toBeLessThan(1_000);
    const warnings = logger.from('Strata').filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(1);
    expect(warnings[0]?.message).toContain('300 ms');
    expect(moduleRef.get(CacheService).stack.l2Available).toBe(false);
    // The calls do not wait on Redis: three waits of the 300 ms connect timeout would pass 750 ms.
    const callsStarted = performance.now();
    for (let i = 1; i <= 3; i++) expect(await service.value()).toBe(i);
    expect(performance.now() - callsStarted).toBeLessThan(750);
  });

  it('fails boot with RedisUnavailableError when failOnUnavailable is set', async () => {
    const port = await findFreePort();
    const url = `redis://127.0.0.1:${port}`;
    const started = performance.now();

    const error = await bootError(
      { prefix: uniquePrefix(), redis: { url, connectTimeout: '300ms', failOnUnavailable: true } },
      [HealthyService],
    );

    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect(error.message).toContain(`127.0.0.1:${port}`);
    expect(performance.now() - started).toBeLessThan(2_000);
  });
});

/** Calls its cached method from lifecycle hooks. */
@Injectable()
class WarmUpService implements OnModuleInit, OnApplicationBootstrap {
  runs = 0;
  readonly seen: number[] = [];

  @Cacheable({ key: 'warm' })
  async warm(): Promise<number> {
    return ++this.runs;
  }

  async onModuleInit(): Promise<void> {
    this.seen.push(await this.warm());
  }

  async onApplicationBootstrap(): Promise<void> {
    this.seen.push(await this.warm());
    this.seen.push(await this.warm());
  }
}

/** Two modules below the root: its hooks run before those of non-global modules above it. */
@Injectable()
class DeepService implements OnModuleInit, OnApplicationShutdown {
  runs = 0;
  readonly seen: (number | string)[] = [];

  @Cacheable({ key: 'deep' })
  async value(): Promise<number> {
    return ++this.runs;
  }

  async onModuleInit(): Promise<void> {
    this.seen.push(await this.value(), await this.value());
  }

  async onApplicationShutdown(): Promise<void> {
    this.seen.push(await this.value().catch((error: unknown) => String(error)));
  }
}

@Module({ providers: [DeepService], exports: [DeepService] })
class DeepModule {}

@Module({ imports: [DeepModule], exports: [DeepModule] })
class MiddleModule {}

describe('lifecycle', () => {
  it('lets hooks of modules at any depth use the cache, from init to shutdown', async () => {
    const moduleRef = await createApp({ prefix: uniquePrefix() }, [], { imports: [MiddleModule] });
    const deep = moduleRef.get(DeepService);
    expect(deep.seen).toEqual([1, 1]);

    await closeApp(moduleRef);

    expect(deep.seen).toEqual([1, 1, 1]);
    expect(deep.runs).toBe(1);
  });

  it('caches calls made from onModuleInit of the root module and from onApplicationBootstrap', async () => {
    const moduleRef = await createApp({ prefix: uniquePrefix() }, [WarmUpService]);
    const service = moduleRef.get(WarmUpService);

    expect(service.seen).toEqual([1, 1, 1]);
    expect(await service.warm()).toBe(1);
    expect(service.runs).toBe(1);
  });
});

describe('Redis that accepts connections but never answers', () => {
  let server: Server;
  let port: number;
  const sockets = new Set<Socket>();
  let connections = 0;

  beforeEach(async () => {
    connections = 0;
    // Reads what it is sent (so it sees the client's FIN) but never answers.
    server = createServer((socket) => {
      socket.resume();
      connections++;
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });

  afterEach(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('boots within about a second, answers calls, and stops reconnecting once closed', async () => {
    const started = performance.now();
    const moduleRef = await createApp(
      // L1 off: each call shows the method ran (with L1, outage entries live `bus.outageTtl`).
      {
        prefix: uniquePrefix(),
        l1: false,
        redis: { url: `redis://127.0.0.1:${port}`, connectTimeout: '300ms' },
      },
      [HealthyService],
    );
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(connections).toBeGreaterThanOrEqual(1);

    const service = moduleRef.get(HealthyService);
    const callStarted = performance.now();
    expect(await service.value()).toBe(1);
    expect(await service.value()).toBe(2);
    expect(performance.now() - callStarted).toBeLessThan(500);

    await closeApp(moduleRef);
    await waitFor(() => sockets.size === 0, 2_500, 'the connection to close');
    const after = connections;
    // A reconnect that should not happen emits nothing to wait for; after boot's few attempts the
    // client's next retry would come within a second, so it would show in this window.
    await sleep(1_500);
    expect(connections).toBe(after);
  });

  it('with failOnUnavailable, fails boot and leaves no connection behind', async () => {
    const started = performance.now();
    const error = await bootError(
      {
        prefix: uniquePrefix(),
        redis: { url: `redis://127.0.0.1:${port}`, connectTimeout: '300ms', failOnUnavailable: true },
      },
      [HealthyService],
    );

    expect(error).toBeInstanceOf(RedisUnavailableError);
    expect(performance.now() - started).toBeLessThan(1_500);
    await waitFor(() => sockets.size === 0, 2_500, 'the connection to close');
    const after = connections;
    // A reconnect that should not happen emits nothing to wait for; after boot's few attempts the
    // client's next retry would come within a second, so it would show in this window.
    await sleep(1_500);
    expect(connections).toBe(after);
  });
});
