import 'reflect-metadata';
import { Injectable } from '@nestjs/common';
import { Cacheable } from '@strata/nestjs';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeApp, closeApps, createApp, uniquePrefix } from './support/app.js';
import { deferred, settle, sleep, waitFor, type Deferred } from './support/deferred.js';
import { useRedisServer } from './support/redis.js';

const redis = useRedisServer();

@Injectable()
class ReportService {
  gate: Deferred<void> | undefined;
  runs = 0;

  @Cacheable({ key: 'report' })
  async build(): Promise<string> {
    this.runs++;
    await this.gate?.promise;
    return `report-${this.runs}`;
  }
}

/** A connection of the test's own, to look at the server's client list. */
let admin: Redis;
let adminId: number;

beforeAll(async () => {
  admin = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  await admin.connect();
  adminId = Number(await admin.client('ID'));
});

afterAll(() => {
  admin.disconnect();
});

afterEach(closeApps);

/** Ids of the connections to the server other than the test's own. */
async function otherClients(): Promise<number[]> {
  const list = String(await admin.client('LIST'));
  return list
    .split('\n')
    .map((line) => /(?:^|\s)id=(\d+)/.exec(line)?.[1])
    .filter((id): id is string => id !== undefined)
    .map(Number)
    .filter((id) => id !== adminId);
}

describe('shutdown', () => {
  it('moduleRef.close() closes the Redis connections Strata opened (commands and the bus)', async () => {
    expect(await otherClients()).toEqual([]);
    const moduleRef = await createApp({ prefix: uniquePrefix(), redis: { url: redis.url } }, [ReportService]);
    expect(await moduleRef.get(ReportService).build()).toBe('report-1');
    expect(await otherClients()).toHaveLength(2);

    await closeApp(moduleRef);

    expect(await otherClients()).toEqual([]);
  });

  it('waits for a decorated call in flight before closing', async () => {
    const moduleRef = await createApp({ prefix: uniquePrefix(), redis: { url: redis.url } }, [ReportService]);
    const reports = moduleRef.get(ReportService);
    reports.gate = deferred();
    const call = reports.build();
    await waitFor(() => reports.runs === 1, 2_000, 'the method to start');

    let closed = false;
    const closing = closeApp(moduleRef).then(() => {
      closed = true;
    });
    await settle(20);
    expect(closed).toBe(false);

    reports.gate.resolve();
    expect(await call).toBe('report-1');
    await closing;
    expect(await otherClients()).toEqual([]);
  });

  it('does not close a redis.client the app passed in', async () => {
    const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    await client.connect();
    try {
      const prefix = uniquePrefix();
      const moduleRef = await createApp({ prefix, redis: { client } }, [ReportService]);
      expect(await moduleRef.get(ReportService).build()).toBe('report-1');
      expect(await moduleRef.get(ReportService).build()).toBe('report-1');
      // The entry is in Redis, under the documented layout.
      expect(await admin.exists(`${prefix}:default:report`)).toBe(1);

      await closeApp(moduleRef);

      expect(client.status).toBe('ready');
      expect(await client.ping()).toBe('PONG');
    } finally {
      client.disconnect();
    }
  });

  it('closes promptly when Redis is gone', async () => {
    const moduleRef = await createApp({ prefix: uniquePrefix(), redis: { url: redis.url } }, [ReportService]);
    expect(await moduleRef.get(ReportService).build()).toBe('report-1');
    await redis.server.kill();

    const started = performance.now();
    await closeApp(moduleRef);
    expect(performance.now() - started).toBeLessThan(1_000);

    // Nothing reconnects once the app is closed.
    await redis.server.restart();
    await waitFor(() => admin.status === 'ready', 5_000, 'the admin connection to come back');
    // A reconnect that should not happen emits nothing to wait for: give it longer than the
    // client's longest retry delay (2 s) to show up.
    await sleep(2_500);
    expect(await otherClients()).toEqual([]);
  });
});
