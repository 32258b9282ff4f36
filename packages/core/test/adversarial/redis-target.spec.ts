import { describe, expect, it } from 'vitest';
import { CacheStack, StrataConfigError, type CacheStackOptions } from '../../src/index.js';
import { RedisConnection } from '../../src/redis/redis-connection.js';

/**
 * A `redis` object that names no server is a deployment mistake (an unset environment variable),
 * never a request for a default one: a local Redis that happens to run must not receive the keys.
 */
describe('a redis option without a target', () => {
  const unset: string | undefined = process.env['STRATA_TEST_VARIABLE_THAT_IS_NEVER_SET'];

  it.each<[string, CacheStackOptions['redis']]>([
    ['an unset environment variable as url', { url: unset }],
    ['an empty url', { url: '' }],
    ['an empty object', {}],
    [
      'only timeouts and failOnUnavailable',
      { commandTimeout: '100ms', connectTimeout: '1s', failOnUnavailable: true },
    ],
    [
      'every target explicitly undefined',
      { url: undefined, client: undefined, sentinel: undefined, cluster: undefined },
    ],
  ])('fails when the stack is created, naming redis.url: %s', (_, redis) => {
    let thrown: unknown;
    try {
      new CacheStack({ prefix: 'no-target', redis });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(StrataConfigError);
    expect((thrown as StrataConfigError).option).toBe('redis.url');
    expect((thrown as StrataConfigError).message).toContain('"redis.url"');
  });

  it('keeps memory only when redis is left out, as the documented conditional form does', async () => {
    const stack = new CacheStack({ prefix: 'no-target', redis: unset ? { url: unset } : undefined });
    await stack.set('k', 1);
    expect(await stack.get('k')).toBe(1);
    await stack.close();
  });

  it('never builds a connection to a default server, even when validation is bypassed', () => {
    const build = () =>
      new RedisConnection({ commandTimeoutMs: 100, connectTimeoutMs: 100 }, () => undefined);
    expect(build).toThrow(StrataConfigError);
    expect(
      () => new RedisConnection({ url: '', commandTimeoutMs: 100, connectTimeoutMs: 100 }, () => undefined),
    ).toThrow(StrataConfigError);
  });
});
