import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { Cacheable, CacheEvict, CacheService } from '@strata/nestjs';
import { afterEach, describe, expect, it } from 'vitest';
import { backends, closeApp, closeApps, createApp, uniquePrefix } from './support/app.js';
import { waitFor } from './support/deferred.js';
import { useRedisServer } from './support/redis.js';

const redis = useRedisServer();

/** One class, provided by both apps. */
@Injectable()
class AccountService {
  loads = 0;

  @Cacheable({ key: (id: string) => `account:${id}`, tags: ['accounts'] })
  async find(id: string): Promise<{ id: string; run: number }> {
    return { id, run: ++this.loads };
  }

  @CacheEvict({ keys: (id: string) => `account:${id}` })
  async forget(id: string): Promise<void> {
    void id;
  }

  @CacheEvict({ tags: ['accounts'] })
  async forgetAll(): Promise<void> {}
}

interface App {
  moduleRef: TestingModule;
  accounts: AccountService;
  cache: CacheService;
}

async function app(options: Parameters<typeof createApp>[0]): Promise<App> {
  const moduleRef = await createApp(options, [AccountService]);
  return { moduleRef, accounts: moduleRef.get(AccountService), cache: moduleRef.get(CacheService) };
}

afterEach(closeApps);

describe.each(backends(redis))('two apps in one process on $name', (backend) => {
  it('wraps each instance with its own stack and leaves the shared prototype alone', async () => {
    const a = await app(backend.options());
    const b = await app(backend.options());

    expect(a.accounts).not.toBe(b.accounts);
    expect(a.cache.stack).not.toBe(b.cache.stack);
    expect(a.accounts.find).not.toBe(b.accounts.find);
    expect(Object.hasOwn(a.accounts, 'find')).toBe(true);
    expect(Object.hasOwn(b.accounts, 'find')).toBe(true);
    // The prototype method still runs uncached.
    const plain = AccountService.prototype.find;
    const raw = Object.create(AccountService.prototype) as AccountService;
    raw.loads = 0;
    await plain.call(raw, 'x');
    await plain.call(raw, 'x');
    expect(raw.loads).toBe(2);
  });

  it('does not show a value cached in one app to the other', async () => {
    const a = await app(backend.options());
    const b = await app(backend.options());

    expect(await a.accounts.find('1')).toEqual({ id: '1', run: 1 });
    expect(await a.cache.get('account:1')).toEqual({ id: '1', run: 1 });
    expect(await b.cache.get('account:1')).toBeUndefined();

    expect(await b.accounts.find('1')).toEqual({ id: '1', run: 1 });
    expect(await a.accounts.find('1')).toEqual({ id: '1', run: 1 });
    expect(await b.accounts.find('1')).toEqual({ id: '1', run: 1 });
    expect(a.accounts.loads).toBe(1);
    expect(b.accounts.loads).toBe(1);
  });

  it('does not evict in one app what the other cached', async () => {
    const a = await app(backend.options());
    const b = await app(backend.options());
    await a.accounts.find('1');
    await b.accounts.find('1');
    await a.accounts.find('2');
    await b.accounts.find('2');

    await a.accounts.forget('1');
    await a.accounts.forgetAll();
    await a.cache.invalidateNamespace('default');

    expect(await b.accounts.find('1')).toEqual({ id: '1', run: 1 });
    expect(await b.accounts.find('2')).toEqual({ id: '2', run: 2 });
    expect(b.accounts.loads).toBe(2);
    expect(await a.accounts.find('1')).toEqual({ id: '1', run: 3 });
    expect(a.accounts.loads).toBe(3);
  });

  it('keeps the other app working after one is closed', async () => {
    const a = await app(backend.options());
    const b = await app(backend.options());
    await b.accounts.find('1');

    await closeApp(a.moduleRef);

    expect(await b.accounts.find('1')).toEqual({ id: '1', run: 1 });
    expect(await b.accounts.find('2')).toEqual({ id: '2', run: 2 });
    expect(await b.accounts.find('2')).toEqual({ id: '2', run: 2 });
    expect(b.accounts.loads).toBe(2);
  });
});

describe('two apps sharing one Redis and one prefix (two instances of a service)', () => {
  it('share entries and evictions', async () => {
    const prefix = uniquePrefix();
    const a = await app({ prefix, jitter: 0, redis: { url: redis.url } });
    const b = await app({ prefix, jitter: 0, redis: { url: redis.url } });

    expect(await a.accounts.find('1')).toEqual({ id: '1', run: 1 });
    expect(await b.accounts.find('1')).toEqual({ id: '1', run: 1 });
    expect(b.accounts.loads).toBe(0);

    await b.accounts.forget('1');
    // A's L1 copy goes when the bus delivers B's eviction (asynchronously, within milliseconds).
    await waitFor(async () => (await a.accounts.find('1')).run !== 1, 2_000, "B's eviction to reach A");
    expect(await a.accounts.find('1')).toEqual({ id: '1', run: 2 });

    await a.accounts.forgetAll();
    expect(await b.accounts.find('1')).toEqual({ id: '1', run: 1 });
    expect(b.accounts.loads).toBe(1);
  });
});
