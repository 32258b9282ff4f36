import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startPostgres, TestServerError, type PostgresServer } from '../src/index.js';

/** Runs one query on a fresh connection. */
async function query<T extends pg.QueryResultRow>(
  url: string,
  sql: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  await client.connect();
  try {
    return (await client.query<T>(sql, values)).rows;
  } finally {
    await client.end();
  }
}

describe('startPostgres (private server)', () => {
  let server: PostgresServer;

  beforeAll(async () => {
    server = await startPostgres();
  });

  afterAll(async () => {
    await server?.dispose();
  });

  it('answers select 1 on a loopback port of its own', async () => {
    expect(server.external).toBe(false);
    expect(server.url).toBe(`postgres://postgres@${server.host}:${server.port}/postgres`);
    expect(server.port).not.toBe(5432);
    expect(server.user).toBe('postgres');
    expect(server.database).toBe('postgres');
    expect(await query<{ one: number }>(server.url, 'select 1 as one')).toEqual([{ one: 1 }]);
  });

  it('createDatabase() gives a usable, separate database', async () => {
    const first = await server.createDatabase();
    const second = await server.createDatabase('named_db');
    expect(first).not.toBe(second);
    expect(second).toBe(`postgres://postgres@${server.host}:${server.port}/named_db`);
    await query(first, 'create table item (id int primary key)');
    await query(first, 'insert into item values (1), (2)');
    expect(await query<{ n: string }>(first, 'select count(*) as n from item')).toEqual([{ n: '2' }]);
    await expect(query(second, 'select * from item')).rejects.toThrow(/does not exist/);
    const [row] = await query<{ db: string }>(second, 'select current_database() as db');
    expect(row?.db).toBe('named_db');
  });

  it('keeps rows across stop() and restart() on the same port', async () => {
    const db = await server.createDatabase();
    await query(db, 'create table kept (v text)');
    await query(db, "insert into kept values ('a'), ('b')");
    const port = server.port;
    await server.stop();
    await expect(query(server.url, 'select 1')).rejects.toThrow();
    await server.restart();
    expect(server.port).toBe(port);
    expect(await query<{ v: string }>(db, 'select v from kept order by v')).toEqual([{ v: 'a' }, { v: 'b' }]);
  });

  it('comes back after kill(), with committed rows, even with a connection open', async () => {
    const db = await server.createDatabase();
    await query(db, 'create table crash (v int)');
    await query(db, 'insert into crash values (42)');
    const open = new pg.Client({ connectionString: db });
    open.on('error', () => undefined);
    await open.connect();
    await server.kill();
    await expect(open.query('select 1')).rejects.toThrow();
    await expect(query(server.url, 'select 1')).rejects.toThrow();
    await server.restart();
    expect(await query<{ v: number }>(db, 'select v from crash')).toEqual([{ v: 42 }]);
    await open.end().catch(() => undefined);
  });
});

describe('DATABASE_URL', () => {
  const saved = process.env['DATABASE_URL'];

  afterEach(() => {
    if (saved === undefined) delete process.env['DATABASE_URL'];
    else process.env['DATABASE_URL'] = saved;
  });

  it('is used with allowExternal: createDatabase works, fault injection is refused', async () => {
    await using own = await startPostgres();
    process.env['DATABASE_URL'] = own.url;
    const external = await startPostgres({ allowExternal: true });
    expect(external.external).toBe(true);
    expect(external.port).toBe(own.port);
    const db = await external.createDatabase();
    const name = new URL(db).pathname.slice(1);
    expect(await query<{ one: number }>(db, 'select 1 as one')).toEqual([{ one: 1 }]);
    await expect(external.kill()).rejects.toBeInstanceOf(TestServerError);
    await expect(external.stop()).rejects.toMatchObject({ code: 'E_EXTERNAL_SERVER' });
    await external.dispose();
    const left = await query(own.url, 'select 1 from pg_database where datname = $1', [name]);
    expect(left).toEqual([]);
  });
});
