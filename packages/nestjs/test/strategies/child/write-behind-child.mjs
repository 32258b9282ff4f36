// A Nest application context with a write-behind `prices` cache and a `views` counter cache on
// the Redis journal, run as a child process by write-behind-crash.spec.ts. It writes in bursts
// and prints one line per acknowledged write, so the parent knows what was acknowledged when it
// SIGKILLs this process. Plain JavaScript on the built packages: no decorators, no TypeScript.
//
// Env: DATABASE_URL, REDIS_URL, PREFIX. Output lines: `inc <key> <delta>`, `incs-done`,
// `set <key> <amount>`.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { StrataModule, getCacheToken } from '@strata/nestjs';
import pg from 'pg';

const { DATABASE_URL, REDIS_URL, PREFIX } = process.env;
const pool = new pg.Pool({ connectionString: DATABASE_URL, max: 4 });
const slow = () => new Promise((resolve) => setTimeout(resolve, 40));

/** Versioned upserts, slowed down so that many writes are pending or in flight at the kill. */
class PriceWriter {
  async writeMany(records) {
    await slow();
    await pool.query(
      `INSERT INTO prices (id, amount, version, deleted)
       SELECT id, amount, version, false FROM unnest($1::text[], $2::int[], $3::bigint[]) AS r(id, amount, version)
       ON CONFLICT (id) DO UPDATE SET amount = excluded.amount, version = excluded.version, deleted = false
       WHERE prices.version < excluded.version`,
      [records.map((r) => r.key), records.map((r) => r.value.amount), records.map((r) => r.version)],
    );
  }
  async deleteMany() {}
}

class ViewWriter {
  async incrementMany(records) {
    await slow();
    await pool.query(
      `INSERT INTO views (id, count, version)
       SELECT id, delta, version FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS r(id, delta, version)
       ON CONFLICT (id) DO UPDATE SET count = views.count + excluded.count, version = excluded.version
       WHERE views.version < excluded.version`,
      [records.map((r) => r.key), records.map((r) => r.delta), records.map((r) => r.version)],
    );
  }
  async writeMany() {}
  async deleteMany() {}
}

class WritersModule {}
Module({ providers: [PriceWriter, ViewWriter], exports: [PriceWriter, ViewWriter] })(WritersModule);

class ChildModule {}
Module({
  imports: [
    StrataModule.forRoot({ prefix: PREFIX, redis: { url: REDIS_URL } }),
    StrataModule.forFeature({
      imports: [WritersModule],
      caches: [
        {
          name: 'prices',
          strategy: 'write-behind',
          writer: PriceWriter,
          flushInterval: '30ms',
          batchSize: 50,
        },
        { name: 'views', strategy: 'write-behind', writer: ViewWriter, flushInterval: '30ms', batchSize: 5 },
      ],
    }),
  ],
})(ChildModule);

const app = await NestFactory.createApplicationContext(ChildModule, { logger: false });
const prices = app.get(getCacheToken('prices'), { strict: false });
const views = app.get(getCacheToken('views'), { strict: false });
const say = (line) => process.stdout.write(`${line}\n`);

// Counters first: every increment acknowledged, most of them still unflushed at the kill.
await Promise.all(
  Array.from({ length: 400 }, async (_, i) => {
    const key = `p${i % 8}`;
    const delta = (i % 5) + 1;
    await views.increment(key, delta);
    say(`inc ${key} ${delta}`);
  }),
);
say('incs-done');

// Then sets, round after round, until the parent kills us.
for (let round = 1; ; round++) {
  await Promise.all(
    Array.from({ length: 100 }, async (_, i) => {
      const key = `sku-${i}`;
      const amount = round * 1_000 + i;
      await prices.set(key, { id: key, amount });
      say(`set ${key} ${amount}`);
    }),
  );
}
