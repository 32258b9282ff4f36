import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { InvalidKeyError } from '@strata/core';
import { Cacheable } from '@strata/nestjs';
import { afterEach, describe, expect, it } from 'vitest';
import { closeApps, createApp, uniquePrefix } from './support/app.js';

@Injectable()
class Lookup {
  @Cacheable()
  async find(filter: unknown): Promise<string> {
    return typeof filter;
  }
}

describe('default keys', () => {
  afterEach(closeApps);

  it('names the method when its arguments cannot form a default key', async () => {
    const app = await createApp({ prefix: uniquePrefix() }, [Lookup]);
    const lookup = app.get(Lookup);
    expect(await lookup.find({ a: 1 })).toBe('object');
    const error: unknown = await lookup.find(() => 1).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidKeyError);
    expect((error as Error).message).toContain('Lookup.find');
  });
});
