import 'reflect-metadata';
import { Inject, Injectable, Module } from '@nestjs/common';
import {
  CacheTransactions,
  StrataConfigError,
  UncacheableValueError,
  type CacheLoader,
  type CacheWriter,
  type DeleteRecord,
  type StrategyCache,
  type WriteRecord,
} from '@strata/core';
import { InjectCache, StrataModule } from '@strata/nestjs';
import { afterEach, describe, expect, it } from 'vitest';
import { closeApps, createApp, uniquePrefix } from './support/app.js';

const CONNECTION = Symbol('CONNECTION');

/** A loader whose dependency comes from an async factory, registered in the app, not exported. */
@Injectable()
class SlowDepLoader implements CacheLoader<string> {
  constructor(@Inject(CONNECTION) private readonly connection: { name: string }) {}
  async load(key: string): Promise<string> {
    return `${this.connection.name}:${key}`;
  }
}

/** Registered nowhere: Strata creates it, injecting what the app provides. */
@Injectable()
class Unregistered implements CacheLoader<string> {
  constructor(@Inject(CONNECTION) private readonly connection: { name: string }) {}
  async load(key: string): Promise<string> {
    return `created:${this.connection.name}:${key}`;
  }
}

/** Depends on something nobody provides. */
@Injectable()
class Unresolvable implements CacheLoader<string> {
  constructor(@Inject('MISSING') private readonly missing: unknown) {}
  async load(): Promise<string> {
    return String(this.missing);
  }
}

@Injectable()
class CountingWriter implements CacheWriter<unknown> {
  static writes = 0;
  async writeMany(records: readonly WriteRecord<unknown>[]): Promise<void> {
    CountingWriter.writes += records.length;
  }
  async deleteMany(_records: readonly DeleteRecord[]): Promise<void> {}
}

@Module({
  providers: [
    {
      provide: CONNECTION,
      useFactory: async () => {
        // A connection that takes a moment: the provider resolves after the module graph is built.
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { name: 'db' };
      },
    },
  ],
  exports: [CONNECTION],
})
class ConnectionModule {}

@Injectable()
class Reader {
  constructor(@InjectCache('things') readonly things: StrategyCache<string>) {}
}

describe('StrataModule.forFeature resolution', () => {
  afterEach(closeApps);

  it('uses a loader registered elsewhere in the app once it is built, not a placeholder', async () => {
    const app = await createApp({ prefix: uniquePrefix() }, [SlowDepLoader, Reader], {
      imports: [
        ConnectionModule,
        StrataModule.forFeature({
          imports: [ConnectionModule],
          caches: [{ name: 'things', strategy: 'cache-aside', loader: SlowDepLoader }],
        }),
      ],
    });
    expect(await app.get(Reader).things.get('a')).toBe('db:a');
  });

  it('creates a loader nobody registered, with its dependencies injected', async () => {
    const app = await createApp({ prefix: uniquePrefix() }, [Reader], {
      imports: [
        StrataModule.forFeature({
          imports: [ConnectionModule],
          caches: [{ name: 'things', strategy: 'cache-aside', loader: Unregistered }],
        }),
      ],
    });
    expect(await app.get(Reader).things.get('a')).toBe('created:db:a');
  });

  it('fails at boot, naming the cache, when a loader cannot be resolved', async () => {
    const boot = createApp({ prefix: uniquePrefix() }, [], {
      imports: [
        StrataModule.forFeature({
          caches: [{ name: 'things', strategy: 'cache-aside', loader: Unresolvable }],
        }),
      ],
    });
    await expect(boot).rejects.toBeInstanceOf(StrataConfigError);
    await expect(boot).rejects.toThrow(/caches\[things\]\.loader/);
  });

  it('rejects one cache name declared by two forFeature calls', async () => {
    const feature = () => StrataModule.forFeature({ caches: [{ name: 'twice', strategy: 'cache-aside' }] });
    @Module({ imports: [feature()] })
    class A {}
    @Module({ imports: [feature()] })
    class B {}
    await expect(createApp({ prefix: uniquePrefix() }, [], { imports: [A, B] })).rejects.toThrow(
      /declared by two forFeature calls/,
    );
  });

  it('write-through refuses a value it could not cache before persisting it', async () => {
    CountingWriter.writes = 0;
    const app = await createApp({ prefix: uniquePrefix() }, [Reader], {
      imports: [
        StrataModule.forFeature({
          caches: [{ name: 'things', strategy: 'write-through', writer: CountingWriter }],
        }),
      ],
    });
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    await expect(app.get(Reader).things.set('k', cyclic as unknown as string)).rejects.toBeInstanceOf(
      UncacheableValueError,
    );
    expect(CountingWriter.writes).toBe(0);
  });

  it('applies every operation deferred in a committed transaction even if one fails', async () => {
    const app = await createApp({ prefix: uniquePrefix() }, [Reader], {
      imports: [StrataModule.forFeature({ caches: [{ name: 'things', strategy: 'cache-aside' }] })],
    });
    const transactions = app.get(CacheTransactions);
    const things = app.get(Reader).things;
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    const run = transactions.run(async () => {
      await things.set('bad', cyclic as unknown as string);
      await things.set('good', 'kept');
    });
    await expect(run).rejects.toBeInstanceOf(UncacheableValueError);
    expect(await things.get('good')).toBe('kept');
  });
});
