import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, TestServerError, type PostgresServer } from '../src/index.js';

/** Runs one query on a fresh connection; `replication: true` opens a logical replication connection. */
async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  { replication = false }: { replication?: boolean } = {},
): Promise<T[]> {
  const target = new URL(url);
  if (replication) target.searchParams.set('replication', 'database');
  const client = new pg.Client({ connectionString: target.toString(), connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

/** What a call rejected with, for several assertions on one error. */
async function rejection(promise: Promise<unknown>): Promise<TestServerError> {
  const error: unknown = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(TestServerError);
  return error as TestServerError;
}

describe('startPostgres settings', () => {
  let logical: PostgresServer;
  let plain: PostgresServer;
  const savedUrl = process.env['DATABASE_URL'];

  beforeAll(async () => {
    [logical, plain] = await Promise.all([
      startPostgres({ settings: { wal_level: 'logical', max_wal_senders: 12 } }),
      startPostgres(),
    ]);
  });

  afterAll(async () => {
    await Promise.all([logical?.dispose(), plain?.dispose()]);
  });

  afterEach(() => {
    if (savedUrl === undefined) delete process.env['DATABASE_URL'];
    else process.env['DATABASE_URL'] = savedUrl;
  });

  it('starts a private server with them, and a replication connection can create a logical slot', async () => {
    expect(logical.external).toBe(false);
    expect(await query(logical.url, 'show wal_level')).toEqual([{ wal_level: 'logical' }]);
    expect(await query(logical.url, 'show max_wal_senders')).toEqual([{ max_wal_senders: '12' }]);
    expect(await query(plain.url, 'show wal_level')).toEqual([{ wal_level: 'replica' }]);

    const [system] = await query<{ systemid: string }>(logical.url, 'IDENTIFY_SYSTEM', { replication: true });
    expect(system?.systemid).toMatch(/^\d+$/);
    const [slot] = await query<{ slot_name: string }>(
      logical.url,
      'CREATE_REPLICATION_SLOT strata_settings_slot TEMPORARY LOGICAL pgoutput',
      { replication: true },
    );
    expect(slot?.slot_name).toBe('strata_settings_slot');
  });

  it('keeps them across restart()', async () => {
    await logical.restart();
    expect(await query(logical.url, 'show wal_level')).toEqual([{ wal_level: 'logical' }]);
    expect(await query(logical.url, 'show max_wal_senders')).toEqual([{ max_wal_senders: '12' }]);
  });

  it('refuses a malformed setting name or value before starting anything, naming the setting', async () => {
    const badName = await rejection(startPostgres({ settings: { 'wal-level': 'logical' } }));
    expect(badName.code).toBe('E_START_FAILED');
    expect(badName.message).toContain('"wal-level"');
    const badValue = await rejection(startPostgres({ settings: { application_name: 'a\nfsync=on' } }));
    expect(badValue.code).toBe('E_START_FAILED');
    expect(badValue.message).toContain('"application_name"');
  });

  it('checks a DATABASE_URL server instead, naming each setting it lacks and the fix', async () => {
    process.env['DATABASE_URL'] = plain.url;
    const error = await rejection(
      startPostgres({
        allowExternal: true,
        settings: { wal_level: 'logical', max_replication_slots: 10, max_wal_senders: 1000 },
      }),
    );
    expect(error.code).toBe('E_EXTERNAL_SERVER');
    expect(error.message).toContain(`127.0.0.1:${plain.port}`);
    expect(error.message).toContain("wal_level is 'replica', needs 'logical'");
    expect(error.message).toContain("max_wal_senders is '10', needs at least 1000");
    expect(error.message).not.toContain('max_replication_slots'); // 10 by default: enough
    expect(error.message).toContain("ALTER SYSTEM SET wal_level = 'logical';");
    expect(error.message).toContain('restart');
  });

  it('accepts a DATABASE_URL server that has the settings', async () => {
    process.env['DATABASE_URL'] = logical.url;
    await using external = await startPostgres({
      allowExternal: true,
      settings: { wal_level: 'LOGICAL', max_wal_senders: 12, max_replication_slots: 5 },
    });
    expect(external.external).toBe(true);
    expect(external.port).toBe(logical.port);
  });
});
