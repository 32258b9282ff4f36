import { startPostgres, startRedis, type PostgresServer, type RedisServer } from '@strata/testing';
import pg from 'pg';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { CacheStack, type CacheStackOptions } from '@strata/core';
import { CdcConsumer } from '../src/index.js';
import type { CdcOptions } from '../src/index.js';

/** Settings a private PostgreSQL needs for logical replication. */
export const LOGICAL = {
  wal_level: 'logical',
  max_replication_slots: 40,
  max_wal_senders: 40,
  // Keepalives every 2.5 s (half of it), and a dead walsender noticed within 5 s.
  wal_sender_timeout: '5s',
} as const;

/** The shop's shape: products and their prices, and a table nothing maps. */
export const SCHEMA = [
  'create table products (id int primary key, name text not null)',
  'create table prices (id int primary key, product_id int not null, amount_cents int not null)',
  'create table audit_log (id serial primary key, note text)',
];

/** What a test file uses: a logical PostgreSQL, a Redis, and what to close after each test. */
export interface CdcFixtures {
  readonly postgres: PostgresServer;
  readonly redis: RedisServer;
  /** A fresh database with {@link SCHEMA}. */
  database(): Promise<string>;
  /** A prefix no other test uses: stacks given the same one are instances of one app. */
  prefix(name: string): string;
  /** A connected stack on the file's Redis (memory-only with `memoryOnly`), closed after the test. */
  stack(prefix: string, options?: CacheStackOptions & { memoryOnly?: boolean }): Promise<CacheStack>;
  /** A consumer, stopped after the test (before the stacks close). */
  consumer(stack: CacheStack, options: CdcOptions): CdcConsumer;
  /** Runs SQL on its own connection, as another service or `psql` would. */
  sql(url: string, ...statements: string[]): Promise<void>;
}

let counter = 0;

/** Starts the servers for the calling file and cleans up after each test. */
export function useCdcFixtures(): CdcFixtures {
  let postgres: PostgresServer | undefined;
  let redis: RedisServer | undefined;
  const stacks: CacheStack[] = [];
  const consumers: CdcConsumer[] = [];
  beforeAll(async () => {
    [postgres, redis] = await Promise.all([startPostgres({ settings: LOGICAL }), startRedis()]);
  });
  afterEach(async () => {
    await Promise.all(consumers.splice(0).map((consumer) => consumer.stop()));
    await Promise.all(stacks.splice(0).map((stack) => stack.close()));
  });
  afterAll(async () => {
    await Promise.all([postgres?.dispose(), redis?.dispose()]);
  });
  const sql = async (url: string, ...statements: string[]): Promise<void> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      for (const statement of statements) await client.query(statement);
    } finally {
      await client.end();
    }
  };
  return {
    get postgres() {
      return postgres!;
    },
    get redis() {
      return redis!;
    },
    async database() {
      const url = await postgres!.createDatabase();
      await sql(url, ...SCHEMA);
      return url;
    },
    prefix(name) {
      return `${name}-${process.pid}-${++counter}`;
    },
    async stack(prefix, options = {}) {
      const { memoryOnly, ...rest } = options;
      const stack = new CacheStack({
        prefix,
        jitter: 0,
        ...rest,
        ...(memoryOnly === true ? {} : { redis: { url: redis!.url } }),
      });
      stacks.push(stack);
      await stack.connect();
      return stack;
    },
    consumer(stack, options) {
      const consumer = new CdcConsumer(stack, options);
      consumers.push(consumer);
      return consumer;
    },
    sql,
  };
}

/** Resolves once `check` holds, polling every `everyMs`; `false` after `withinMs`. */
export async function eventually(
  check: () => boolean | Promise<boolean>,
  withinMs: number,
  everyMs = 10,
): Promise<boolean> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    if (await check()) return true;
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
