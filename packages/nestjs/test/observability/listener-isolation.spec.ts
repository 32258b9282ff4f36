import { ConsoleLogger, type INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import type { CacheStack } from '@strata/core';
import { STRATA_CACHE_STACK, StrataModule } from '@strata/nestjs';
import { afterEach, describe, expect, it } from 'vitest';
import { uniquePrefix } from '../support/app.js';
import { ProductService } from './observability.fixture.js';

/** Keeps what the app logs as errors. */
class RecordingLogger extends ConsoleLogger {
  readonly errors: string[] = [];
  override error(message: unknown): void {
    this.errors.push(String(message));
  }
  override log(): void {
    // quiet
  }
}

describe('a throwing event listener in a Nest app', () => {
  let app: INestApplication | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('never fails a cached method, and is logged once through the Nest logger', async () => {
    const logger = new RecordingLogger();
    const moduleRef = await Test.createTestingModule({
      imports: [StrataModule.forRoot({ prefix: uniquePrefix() })],
      providers: [ProductService],
    }).compile();
    app = moduleRef.createNestApplication({ logger });
    await app.init();
    const stack = app.get<CacheStack>(STRATA_CACHE_STACK);
    stack.events.on('hit', () => {
      throw new Error('dashboard bug');
    });
    stack.events.on('miss', () => {
      throw new Error('metrics bug');
    });
    const products = app.get(ProductService);

    for (let i = 0; i < 3; i++) await expect(products.find('1')).resolves.toEqual({ id: '1' });
    await expect(products.find('2')).resolves.toEqual({ id: '2' });

    expect(products.loads).toBe(2);
    expect(logger.errors).toHaveLength(2);
    expect(logger.errors[0]).toContain('A listener of the "miss" event threw');
    expect(logger.errors[0]).toContain('metrics bug');
    expect(logger.errors[1]).toContain('A listener of the "hit" event threw');
    expect(stack.events.listenerErrors).toBe(4);
  });
});
