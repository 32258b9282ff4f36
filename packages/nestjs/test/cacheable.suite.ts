import 'reflect-metadata';
import { Readable } from 'node:stream';
import { Injectable, SetMetadata } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { InvalidKeyError, UncacheableValueError } from '@strata/core';
import { Cacheable, CacheService } from '@strata/nestjs';
import { CACHEABLE_METADATA } from '../src/decorators/cache-metadata.constants.js';
import type { StrataModuleOptions } from '../src/module/strata-module.options.js';
import { of, type Observable } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { closeApps, createApp, type Backend } from './support/app.js';
import { deferred, settle, waitFor, type Deferred } from './support/deferred.js';

interface Profile {
  name: string;
  roles: string[];
  address: { city: string };
}

interface Typed {
  at: Date;
  map: Map<string, number>;
  set: Set<string>;
  big: bigint;
  nested: { when: Date; ids: Set<number> };
}

/** A dependency, to show that `this` inside a wrapped method is the instance with its injections. */
@Injectable()
class PriceRepository {
  calls = 0;

  async price(sku: string): Promise<number> {
    this.calls++;
    return sku.length * 100;
  }
}

const receivers: unknown[] = [];

@Injectable()
class CatalogService {
  readonly calls = {
    find: 0,
    lookup: 0,
    falsy: 0,
    nothing: 0,
    product: 0,
    conditional: 0,
    list: 0,
    typed: 0,
    gated: 0,
    profile: 0,
    callback: 0,
    stream: 0,
  };
  gate: Deferred<void> | undefined;
  failure: Error | undefined;

  constructor(private readonly prices: PriceRepository) {}

  @Cacheable()
  async find(id: string): Promise<{ id: string; run: number }> {
    return { id, run: ++this.calls.find };
  }

  @Cacheable()
  async lookup(query: unknown): Promise<number> {
    void query;
    return ++this.calls.lookup;
  }

  @Cacheable({ key: (kind: string) => `falsy:${kind}` })
  async falsy(kind: 'zero' | 'empty' | 'false' | 'null'): Promise<0 | '' | false | null> {
    this.calls.falsy++;
    return { zero: 0 as const, empty: '' as const, false: false as const, null: null }[kind];
  }

  @Cacheable()
  async nothing(): Promise<undefined> {
    this.calls.nothing++;
    return undefined;
  }

  @Cacheable({
    key: (id: string) => `product:${id}`,
    tags: (id: string) => [`product:${id}`, 'products'],
  })
  async product(id: string): Promise<{ id: string; run: number }> {
    return { id, run: ++this.calls.product };
  }

  @Cacheable({ key: 'conditional', condition: (useCache: boolean) => useCache })
  async conditional(useCache: boolean): Promise<number> {
    void useCache;
    return ++this.calls.conditional;
  }

  @Cacheable({ unless: (result: number[]) => result.length === 0 })
  async list(filter: string): Promise<number[]> {
    this.calls.list++;
    return filter === 'none' ? [] : [1, 2, 3];
  }

  @Cacheable({ key: 'typed' })
  async typed(): Promise<Typed> {
    this.calls.typed++;
    return {
      at: new Date('2024-02-29T12:34:56.789Z'),
      map: new Map([
        ['a', 1],
        ['b', 2],
      ]),
      set: new Set(['x', 'y']),
      big: 12345678901234567890n,
      nested: { when: new Date(0), ids: new Set([1, 2]) },
    };
  }

  @Cacheable({ key: 'gated' })
  async gated(): Promise<{ run: number }> {
    const run = ++this.calls.gated;
    await this.gate?.promise;
    if (this.failure) throw this.failure;
    return { run };
  }

  @Cacheable({ key: 'profile' })
  async profile(): Promise<Profile> {
    this.calls.profile++;
    return { name: 'ada', roles: ['admin'], address: { city: 'London' } };
  }

  @Cacheable()
  async priced(sku: string, quantity: number): Promise<number> {
    receivers.push(this);
    return (await this.prices.price(sku)) * quantity;
  }

  /** Calls a cached method of its own class through `this`. */
  async findTwice(id: string): Promise<number> {
    const first = await this.find(id);
    const second = await this.find(id);
    return first.run + second.run;
  }

  @SetMetadata('audit', 'catalog-read')
  @Cacheable({ key: 'audited' })
  async audited(): Promise<string> {
    return 'ok';
  }

  @Cacheable({ key: (id: string) => (id === 'blank' ? '' : `keyed:${id}`) })
  async keyed(id: string): Promise<string> {
    return id;
  }

  @Cacheable()
  async withCallback(id: string, onDone: () => void): Promise<string> {
    onDone();
    return id;
  }

  @Cacheable()
  async nested(): Promise<Observable<number>> {
    return of(1);
  }

  @Cacheable()
  async callback(): Promise<() => number> {
    this.calls.callback++;
    return () => 1;
  }

  @Cacheable()
  async stream(): Promise<Readable> {
    this.calls.stream++;
    return Readable.from(['a', 'b']);
  }
}

/** Same method name as CatalogService.find: the default key must keep the two apart. */
@Injectable()
class ArchiveService {
  calls = 0;

  @Cacheable()
  async find(id: string): Promise<{ id: string; archived: true }> {
    this.calls++;
    return { id, archived: true };
  }
}

async function catalogApp(
  backend: Backend,
  extra: StrataModuleOptions = {},
): Promise<{ moduleRef: TestingModule; catalog: CatalogService }> {
  const moduleRef = await createApp(backend.options(extra), [
    CatalogService,
    PriceRepository,
    ArchiveService,
  ]);
  return { moduleRef, catalog: moduleRef.get(CatalogService) };
}

const gates: Deferred<void>[] = [];

/**
 * Registers the `@Cacheable` tests once per backend, with the clean-up after each test. The spec
 * file starts the servers the backends need.
 */
export function describeCacheable(backends: readonly Backend[]): void {
  afterEach(async () => {
    receivers.length = 0;
    // A failed test must not leave a call hanging: close() waits for loads in flight.
    for (const gate of gates.splice(0)) gate.resolve();
    await closeApps();
  });
  describe.each(backends)('@Cacheable on $name', cacheableTests);
}

function cacheableTests(backend: Backend): void {
  it('returns the cached value on the second call without running the method', async () => {
    const { catalog } = await catalogApp(backend);

    const first = await catalog.find('42');
    const second = await catalog.find('42');

    expect(first).toEqual({ id: '42', run: 1 });
    expect(second).toEqual({ id: '42', run: 1 });
    expect(catalog.calls.find).toBe(1);
  });

  it.each(['zero', 'empty', 'false', 'null'] as const)(
    'caches the falsy result %s as a hit',
    async (kind) => {
      const { catalog } = await catalogApp(backend);
      const expected = { zero: 0, empty: '', false: false, null: null }[kind];

      expect(await catalog.falsy(kind)).toBe(expected);
      expect(await catalog.falsy(kind)).toBe(expected);
      expect(await catalog.falsy(kind)).toBe(expected);
      expect(catalog.calls.falsy).toBe(1);
    },
  );

  it('does not cache undefined', async () => {
    const { catalog } = await catalogApp(backend);

    expect(await catalog.nothing()).toBeUndefined();
    expect(await catalog.nothing()).toBeUndefined();
    expect(catalog.calls.nothing).toBe(2);
  });

  it('keys by default on the arguments: different arguments miss, reordered object keys hit', async () => {
    const { catalog, moduleRef } = await catalogApp(backend);

    expect(await catalog.lookup({ a: 1, b: 2 })).toBe(1);
    expect(await catalog.lookup({ b: 2, a: 1 })).toBe(1);
    expect(await catalog.lookup({ a: 1, b: 3 })).toBe(2);
    expect(await catalog.lookup(1)).toBe(3);
    expect(await catalog.lookup('1')).toBe(4);
    expect(await catalog.lookup([1, 2])).toBe(5);
    expect(await catalog.lookup([2, 1])).toBe(6);
    expect(await catalog.lookup({ a: 1, b: 2 })).toBe(1);
    expect(await catalog.lookup('1')).toBe(4);
    expect(catalog.calls.lookup).toBe(6);

    expect(await catalog.find('1')).toEqual({ id: '1', run: 1 });
    expect(await catalog.find('2')).toEqual({ id: '2', run: 2 });
    // Another class with a method of the same name gets keys of its own.
    const archive = moduleRef.get(ArchiveService);
    expect(await archive.find('1')).toEqual({ id: '1', archived: true });
    expect(archive.calls).toBe(1);
  });

  it('uses key and tags computed from the arguments', async () => {
    const { catalog, moduleRef } = await catalogApp(backend);
    const cache = moduleRef.get(CacheService);

    expect(await catalog.product('1')).toEqual({ id: '1', run: 1 });
    expect(await catalog.product('2')).toEqual({ id: '2', run: 2 });
    expect(await cache.get('product:1')).toEqual({ id: '1', run: 1 });
    expect(await cache.get('product:2')).toEqual({ id: '2', run: 2 });

    await cache.invalidateTags(['product:1']);

    expect(await cache.get('product:1')).toBeUndefined();
    expect(await catalog.product('1')).toEqual({ id: '1', run: 3 });
    expect(await catalog.product('2')).toEqual({ id: '2', run: 2 });

    await cache.invalidateTags(['products']);

    expect(await catalog.product('1')).toEqual({ id: '1', run: 4 });
    expect(await catalog.product('2')).toEqual({ id: '2', run: 5 });
    expect(catalog.calls.product).toBe(5);
  });

  it('runs the method uncached, neither reading nor storing, when condition returns false', async () => {
    const { catalog } = await catalogApp(backend);

    expect(await catalog.conditional(false)).toBe(1);
    expect(await catalog.conditional(false)).toBe(2);
    // Nothing was stored by the uncached calls.
    expect(await catalog.conditional(true)).toBe(3);
    expect(await catalog.conditional(true)).toBe(3);
    // And the cached value is not read either.
    expect(await catalog.conditional(false)).toBe(4);
    expect(catalog.calls.conditional).toBe(4);
  });

  it('does not store a result for which unless returns true', async () => {
    const { catalog } = await catalogApp(backend);

    expect(await catalog.list('none')).toEqual([]);
    expect(await catalog.list('none')).toEqual([]);
    expect(catalog.calls.list).toBe(2);

    expect(await catalog.list('some')).toEqual([1, 2, 3]);
    expect(await catalog.list('some')).toEqual([1, 2, 3]);
    expect(catalog.calls.list).toBe(3);
  });

  it('round-trips Date, Map, Set and BigInt values', async () => {
    const { catalog } = await catalogApp(backend);

    const original = await catalog.typed();
    const cached = await catalog.typed();

    expect(catalog.calls.typed).toBe(1);
    expect(cached).not.toBe(original);
    expect(cached.at).toBeInstanceOf(Date);
    expect(cached.at.toISOString()).toBe('2024-02-29T12:34:56.789Z');
    expect(cached.map).toBeInstanceOf(Map);
    expect([...cached.map]).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
    expect(cached.set).toBeInstanceOf(Set);
    expect([...cached.set]).toEqual(['x', 'y']);
    expect(typeof cached.big).toBe('bigint');
    expect(cached.big).toBe(12345678901234567890n);
    expect(cached.nested.when).toBeInstanceOf(Date);
    expect(cached.nested.when.getTime()).toBe(0);
    expect(cached.nested.ids).toEqual(new Set([1, 2]));
  });

  it('runs the method once for 200 concurrent cold calls, and gives each caller its own copy', async () => {
    const { catalog } = await catalogApp(backend);
    catalog.gate = deferred();
    gates.push(catalog.gate);

    const calls = Array.from({ length: 200 }, () => catalog.gated());
    await waitFor(() => catalog.calls.gated === 1, 2_000, 'the method to start');
    await settle();
    expect(catalog.calls.gated).toBe(1);
    catalog.gate.resolve();
    const results = await Promise.all(calls);

    expect(catalog.calls.gated).toBe(1);
    for (const result of results) expect(result).toEqual({ run: 1 });
    expect(new Set(results).size).toBe(200);
    expect(await catalog.gated()).toEqual({ run: 1 });
    expect(catalog.calls.gated).toBe(1);
  });

  it('rejects every concurrent caller with the error the method threw, and caches nothing', async () => {
    const { catalog } = await catalogApp(backend);
    const failure = new Error('database down');
    catalog.gate = deferred();
    gates.push(catalog.gate);
    catalog.failure = failure;

    const calls = Array.from({ length: 50 }, () => catalog.gated());
    await waitFor(() => catalog.calls.gated === 1, 2_000, 'the method to start');
    catalog.gate.resolve();
    const outcomes = await Promise.allSettled(calls);

    expect(catalog.calls.gated).toBe(1);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBe(failure);
    }

    catalog.failure = undefined;
    expect(await catalog.gated()).toEqual({ run: 2 });
    expect(await catalog.gated()).toEqual({ run: 2 });
    expect(catalog.calls.gated).toBe(2);
  });

  it('calls the method on its instance, and keeps its name and length', async () => {
    const { catalog, moduleRef } = await catalogApp(backend);
    const prices = moduleRef.get(PriceRepository);

    expect(await catalog.priced('abc', 2)).toBe(600);
    expect(await catalog.priced('abc', 2)).toBe(600);
    expect(await catalog.priced('abcd', 2)).toBe(800);

    expect(receivers).toHaveLength(2);
    expect(receivers[0]).toBe(catalog);
    expect(receivers[1]).toBe(catalog);
    expect(prices.calls).toBe(2);

    // The wrapper sits on the instance, and looks like the original.
    const original = CatalogService.prototype.priced;
    expect(Object.hasOwn(catalog, 'priced')).toBe(true);
    expect(catalog.priced).not.toBe(original);
    expect(catalog.priced.name).toBe('priced');
    expect(catalog.priced.length).toBe(2);
    expect(catalog.priced.length).toBe(original.length);
  });

  it('caches calls made through `this` inside the class', async () => {
    const { catalog } = await catalogApp(backend);

    expect(await catalog.findTwice('7')).toBe(2);
    expect(await catalog.findTwice('7')).toBe(2);
    expect(catalog.calls.find).toBe(1);
  });

  it('keeps the metadata other decorators put on the method', async () => {
    const { catalog } = await catalogApp(backend);

    expect(Object.hasOwn(catalog, 'audited')).toBe(true);
    expect(Reflect.getMetadata('audit', catalog.audited)).toBe('catalog-read');
    expect(Reflect.getMetadata(CACHEABLE_METADATA, catalog.audited)).toEqual({ key: 'audited' });
    expect(await catalog.audited()).toBe('ok');
  });

  it('rejects a call whose key function returns an empty key, naming the method', async () => {
    const { catalog } = await catalogApp(backend);

    expect(await catalog.keyed('a')).toBe('a');
    const error: unknown = await catalog.keyed('blank').catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(UncacheableValueError);
    expect((error as Error).message).toContain('CatalogService.keyed');
  });

  it('rejects a call whose arguments cannot form a default key with InvalidKeyError', async () => {
    const { catalog } = await catalogApp(backend);
    let done = 0;

    await expect(catalog.withCallback('a', () => done++)).rejects.toBeInstanceOf(InvalidKeyError);
    expect(done).toBe(0);
  });

  it('rejects an Observable inside a Promise with UncacheableValueError naming Class.method', async () => {
    const { catalog } = await catalogApp(backend);

    const error: unknown = await catalog.nested().catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(UncacheableValueError);
    expect((error as Error).message).toContain('CatalogService.nested');
  });

  it('rejects a function result with UncacheableValueError naming Class.method', async () => {
    const { catalog } = await catalogApp(backend);

    const error = await catalog.callback().then(
      () => undefined,
      (reason: unknown) => reason,
    );

    expect(error).toBeInstanceOf(UncacheableValueError);
    expect((error as Error).message).toContain('CatalogService.callback');
  });

  it('rejects a Readable stream result with UncacheableValueError naming Class.method', async () => {
    const { catalog } = await catalogApp(backend);

    const error = await catalog.stream().then(
      () => undefined,
      (reason: unknown) => reason,
    );

    expect(error).toBeInstanceOf(UncacheableValueError);
    expect((error as Error).message).toContain('CatalogService.stream');
    // Nothing was cached: the next call runs the method (and fails) again.
    await expect(catalog.stream()).rejects.toBeInstanceOf(UncacheableValueError);
    expect(catalog.calls.stream).toBe(2);
  });

  it('gives every caller its own copy: mutating a result does not change the cache', async () => {
    const { catalog } = await catalogApp(backend);
    const pristine: Profile = { name: 'ada', roles: ['admin'], address: { city: 'London' } };

    const first = await catalog.profile();
    first.name = 'eve';
    first.roles.push('root');
    first.address.city = 'Paris';

    const second = await catalog.profile();
    expect(second).toEqual(pristine);
    second.roles.length = 0;
    second.address.city = 'Rome';

    expect(await catalog.profile()).toEqual(pristine);
    expect(catalog.calls.profile).toBe(1);
  });

  it('returns deep-frozen shared objects with shareReferences: true', async () => {
    const { catalog } = await catalogApp(backend, { shareReferences: true });
    const pristine: Profile = { name: 'ada', roles: ['admin'], address: { city: 'London' } };

    const first = await catalog.profile();
    expect(Object.isFrozen(first)).toBe(true);
    expect(Object.isFrozen(first.roles)).toBe(true);
    expect(Object.isFrozen(first.address)).toBe(true);
    expect(() => {
      first.name = 'eve';
    }).toThrow(TypeError);
    expect(() => first.roles.push('root')).toThrow(TypeError);

    const second = await catalog.profile();
    expect(second).toEqual(pristine);
    expect(Object.isFrozen(second)).toBe(true);
    expect(Object.isFrozen(second.address)).toBe(true);
    expect(catalog.calls.profile).toBe(1);
  });
}
