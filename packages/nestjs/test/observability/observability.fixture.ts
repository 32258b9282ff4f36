import { Injectable } from '@nestjs/common';
import type { CacheWriter, DeleteRecord, WriteRecord } from '@strata/core';
import { Cacheable, StrataModule } from '@strata/nestjs';
import type { DynamicModule } from '@nestjs/common';
import type { Registry } from 'prom-client';

/** A product service whose loads the tests count. */
@Injectable()
export class ProductService {
  loads = 0;

  @Cacheable({ key: (id: string) => `product:${id}`, namespace: 'products' })
  async find(id: string): Promise<{ id: string } | null> {
    this.loads++;
    if (id === 'broken') throw new Error('database down');
    return { id };
  }
}

/** Writes that reach "the database". */
@Injectable()
export class CartWriter implements CacheWriter<number> {
  readonly written: string[] = [];
  async writeMany(records: readonly WriteRecord<number>[]): Promise<void> {
    this.written.push(...records.map((r) => `${r.key}=${String(r.value)}`));
  }
  async deleteMany(records: readonly DeleteRecord[]): Promise<void> {
    this.written.push(...records.map((r) => `-${r.key}`));
  }
}

/** A writer whose database refuses everything. */
@Injectable()
export class FailingWriter implements CacheWriter<number> {
  async writeMany(): Promise<void> {
    throw new Error('constraint violated');
  }
  async deleteMany(): Promise<void> {
    throw new Error('constraint violated');
  }
}

/** The value of one sample of a metric (`0` when the labelled series does not exist). */
export async function sample(
  registry: Registry,
  name: string,
  labels: Record<string, string> = {},
  sampleName = name,
): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (metric === undefined) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  const found = values.find(
    (v) =>
      ((v as { metricName?: string }).metricName ?? name) === sampleName &&
      Object.entries(labels).every(([k, value]) => String(v.labels[k]) === value),
  );
  return found?.value ?? 0;
}

/**
 * Two write-behind caches that flush only when told: `carts` (a working writer) and `orders`
 * (a writer that always fails, dead-lettered after `ordersMaxAttempts`).
 */
export function writeBehindFeature(
  cartsJournal: 'memory' | 'redis',
  ordersMaxAttempts: number,
): DynamicModule {
  return StrataModule.forFeature({
    caches: [
      {
        name: 'carts',
        strategy: 'write-behind',
        writer: CartWriter,
        flushInterval: '1h',
        journal: cartsJournal,
      },
      {
        name: 'orders',
        strategy: 'write-behind',
        writer: FailingWriter,
        flushInterval: '1h',
        maxAttempts: ordersMaxAttempts,
        retryBase: '1ms',
        journal: 'memory',
      },
    ],
  });
}
