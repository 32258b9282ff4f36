import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Cacheable } from '@strata/nestjs';
import {
  EMPTY,
  firstValueFrom,
  isObservable,
  lastValueFrom,
  Observable,
  of,
  retry,
  timer,
  map,
  toArray,
} from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { backends, closeApps, createApp } from './support/app.js';
import { useRedisServer } from './support/redis.js';
import { TypeOnlyObservableService } from './fixtures/type-only-observable.service.js';

const redis = useRedisServer();

/** Declares `Observable` through a value import, so `design:returntype` is `Observable`. */
@Injectable()
class QuoteService {
  readonly calls = { quotes: 0, silent: 0, slow: 0 };

  @Cacheable({ key: 'quotes' })
  quotes(): Observable<{ price: number; run: number }> {
    this.calls.quotes++;
    return of({ price: 1, run: 0 }, { price: 2, run: 0 }, { price: 3, run: this.calls.quotes });
  }

  @Cacheable({ key: 'silent' })
  silent(): Observable<number> {
    this.calls.silent++;
    return EMPTY;
  }

  failure: Error | undefined;
  failing = 0;

  @Cacheable({ key: 'flaky' })
  flaky(): Observable<string> {
    this.failing++;
    const failure = this.failure;
    return timer(10).pipe(
      map(() => {
        if (failure) throw failure;
        return `ok-${this.failing}`;
      }),
    );
  }

  @Cacheable({ key: 'slow' })
  slow(): Observable<string> {
    this.calls.slow++;
    return timer(20).pipe(map(() => `tick-${this.calls.slow}`));
  }
}

afterEach(closeApps);

describe.each(backends(redis))('Observable-returning methods on $name', (backend) => {
  it('caches the last value and keeps the declared Observable type (value import)', async () => {
    const moduleRef = await createApp(backend.options(), [QuoteService]);
    const quotes = moduleRef.get(QuoteService);

    const first = quotes.quotes();
    expect(isObservable(first)).toBe(true);
    expect(first).toBeInstanceOf(Observable);
    expect('then' in first).toBe(false);
    expect(await lastValueFrom(first.pipe(toArray()))).toEqual([{ price: 3, run: 1 }]);

    const second = quotes.quotes();
    expect(second).toBeInstanceOf(Observable);
    expect(await lastValueFrom(second.pipe(toArray()))).toEqual([{ price: 3, run: 1 }]);
    expect(quotes.calls.quotes).toBe(1);
  });

  it('is lazy like an Observable: nothing runs until subscribed', async () => {
    const moduleRef = await createApp(backend.options(), [QuoteService]);
    const quotes = moduleRef.get(QuoteService);

    const pending = quotes.slow();
    expect(quotes.calls.slow).toBe(0);
    expect(await firstValueFrom(pending)).toBe('tick-1');
    expect(await firstValueFrom(quotes.slow())).toBe('tick-1');
    expect(quotes.calls.slow).toBe(1);
  });

  it('does not cache an Observable that completes without a value, and emits nothing', async () => {
    const moduleRef = await createApp(backend.options(), [QuoteService]);
    const quotes = moduleRef.get(QuoteService);

    expect(await lastValueFrom(quotes.silent().pipe(toArray()))).toEqual([]);
    expect(await lastValueFrom(quotes.silent().pipe(toArray()))).toEqual([]);
    expect(quotes.calls.silent).toBe(2);
  });

  it('returns an awaitable Observable when the type was imported with `import type`', async () => {
    const moduleRef = await createApp(backend.options(), [TypeOnlyObservableService]);
    const service = moduleRef.get(TypeOnlyObservableService);

    const first = service.rates();
    expect(isObservable(first)).toBe(true);
    expect(await first).toEqual({ eur: 0.92, run: 1 });

    // Subscribing works too, and is served from the cache.
    expect(await lastValueFrom(service.rates().pipe(toArray()))).toEqual([{ eur: 0.92, run: 1 }]);
    expect(await service.rates()).toEqual({ eur: 0.92, run: 1 });
    expect(service.calls).toBe(1);
  });

  it('runs the method once for concurrent subscribers, and passes its error to each of them uncached', async () => {
    const moduleRef = await createApp(backend.options(), [QuoteService]);
    const quotes = moduleRef.get(QuoteService);
    const failure = new Error('feed down');
    quotes.failure = failure;

    const failed = await Promise.allSettled(Array.from({ length: 20 }, () => lastValueFrom(quotes.flaky())));
    expect(quotes.failing).toBe(1);
    for (const outcome of failed) expect(outcome).toEqual({ status: 'rejected', reason: failure });

    quotes.failure = undefined;
    const values = await Promise.all(Array.from({ length: 20 }, () => lastValueFrom(quotes.flaky())));
    expect(values).toEqual(Array.from({ length: 20 }, () => 'ok-2'));
    expect(await lastValueFrom(quotes.flaky())).toBe('ok-2');
    expect(quotes.failing).toBe(2);
  });

  it('runs the method again for a new subscription of an `import type` Observable (retry works)', async () => {
    const moduleRef = await createApp(backend.options(), [TypeOnlyObservableService]);
    const service = moduleRef.get(TypeOnlyObservableService);

    expect(await lastValueFrom(service.flaky().pipe(retry(1)))).toBe('run-2');
    expect(await service.flaky()).toBe('run-2');
    expect(service.flakyRuns).toBe(2);
  });
});
