import { startPostgres, type PostgresServer } from '@strata/testing';
import pg from 'pg';
import { closeAll, startChildren, type ChildHandle } from '../child-process.js';
import type { CdcCommands, CdcWriteOp, TimedInvalidation } from '../children/cdc-instance.js';
import { clockOffset, describeSkew, signedMs, type ClockOffset } from '../clock-offset.js';
import type { BenchRedis } from '../redis.js';
import { formatNs, type ScenarioResult } from '../report.js';
import { percentile } from '../stats.js';

const READERS = 2;
const BLOCKS = 10;
const PRODUCTS_PER_BLOCK = 100;
const WARMUP_PRODUCTS = 50;
/** Pause after each invalidation (the next starts once the previous one was applied). */
const GAP_MS = 1;
/** Pause for messages still in flight (after a fill, after a block). */
const SETTLE_MS = 50;
const TARGET_P99_MS = 50;
/** What the server needs for a slot: logical decoding, and room for the consumer's walsender. */
const LOGICAL = { wal_level: 'logical', max_replication_slots: 10, max_wal_senders: 10 } as const;
/** Products without a price row, for the app path (its blocks touch no table). */
const APP_IDS_FROM = 1_000_000;

const OPS: readonly CdcWriteOp[] = ['cdc', 'app'];
const CDC_NAME = 'CDC: UPDATE, COMMIT returned → peer L1 drop';
const APP_NAME = 'invalidateTags → peer L1 drop (app path)';

type Instance = ChildHandle<CdcCommands>;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Latencies of one op, in ms, from the writer's times to each reader's drop. */
interface OpSamples {
  /** From just before the UPDATE was sent / the call. */
  readonly fromStart: number[];
  /** From the query (COMMIT) / the call returning. */
  readonly fromEnd: number[];
}

/** The database: one price row per CDC product, with an index on `product_id`. */
async function pricesDatabase(postgres: PostgresServer, products: number): Promise<string> {
  const url = await postgres.createDatabase();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(
      'create table prices (id int primary key, product_id int not null, amount_cents int not null)',
    );
    await client.query('create index prices_product_id on prices (product_id)');
    await client.query('insert into prices select i, i, 1000 + i from generate_series(1, $1::int) as i', [
      products,
    ]);
    await client.query('analyze prices');
  } finally {
    await client.end();
  }
  return url;
}

/** The readers hold every product's entry in L1; the writer invalidates each; what each reader saw. */
async function block(
  writer: Instance,
  readers: readonly Instance[],
  op: CdcWriteOp,
  productIds: readonly number[],
): Promise<{ writes: TimedInvalidation[]; seen: Map<number, number>[] }> {
  await writer.request('fill', productIds);
  // The fill's own bus messages must reach the readers before they read the entries into L1.
  await sleep(SETTLE_MS);
  const inL1 = await Promise.all(readers.map((reader) => reader.request('prime', productIds)));
  if (inL1.some((count) => count !== productIds.length))
    throw new Error(
      `a reader holds ${inL1.join('/')} of ${productIds.length} entries in L1 before the ${op} block`,
    );
  const writes = await writer.request('write', op, productIds, GAP_MS);
  await sleep(SETTLE_MS);
  const seen = await Promise.all(readers.map(async (reader) => new Map(await reader.request('collect'))));
  return { writes, seen };
}

const pct = (values: readonly number[], q: number): number => percentile(values, q);
const p50p99 = (values: readonly number[]): string =>
  `p50 ${formatNs(pct(values, 50) * 1e6)}, p99 ${formatNs(pct(values, 99) * 1e6)}`;
const signedP50p99 = (values: readonly number[]): string =>
  `p50 ${signedMs(pct(values, 50))}, p99 ${signedMs(pct(values, 99))}`;

/**
 * Scenario 17: from a committed UPDATE in PostgreSQL to the drop of the L1 copies in two other
 * processes, through the CDC consumer, beside the app's own `invalidateTags` of the same tag.
 */
export async function cdcInvalidationScenario(redis: BenchRedis): Promise<ScenarioResult> {
  const cdcProducts = WARMUP_PRODUCTS + BLOCKS * PRODUCTS_PER_BLOCK;
  const postgres = await startPostgres({ settings: LOGICAL });
  try {
    const database = await pricesDatabase(postgres, cdcProducts);
    const version = await serverVersion(database);
    const children = await startChildren<CdcCommands>('cdc-instance', 'cdc-instance', 1 + READERS);
    try {
      const [writer, ...readers] = children as [Instance, ...Instance[]];
      const prefix = `${redis.prefix}-s17`;
      const slot = `strata_bench_${process.pid}`;
      await Promise.all([
        writer.request('init', redis.url, prefix, database, slot),
        ...readers.map((reader) => reader.request('init', redis.url, prefix)),
      ]);
      const offsets = await Promise.all(children.map(clockOffset));

      let nextCdc = 1;
      let nextApp = APP_IDS_FROM;
      const ids = (op: CdcWriteOp, count: number): number[] =>
        Array.from({ length: count }, () => (op === 'cdc' ? nextCdc++ : nextApp++));
      for (const op of OPS) await block(writer, readers, op, ids(op, WARMUP_PRODUCTS));

      const samples = new Map<CdcWriteOp, OpSamples>(OPS.map((op) => [op, { fromStart: [], fromEnd: [] }]));
      /** CDC stages, per commit, from COMMIT returned: the change reached the consumer; it was applied. */
      const toReceived: number[] = [];
      const toApplied: number[] = [];
      const updateRoundTrip: number[] = [];
      let missing = 0;
      for (let b = 0; b < BLOCKS; b++) {
        const order = b % 2 === 0 ? OPS : [...OPS].reverse();
        for (const op of order) {
          const { writes, seen } = await block(writer, readers, op, ids(op, PRODUCTS_PER_BLOCK));
          const into = samples.get(op) as OpSamples;
          for (const write of writes) {
            if (op === 'cdc') {
              updateRoundTrip.push(write.end - write.start);
              if (write.received !== undefined) toReceived.push(write.received - write.end);
              if (write.applied !== undefined) toApplied.push(write.applied - write.end);
            }
            for (const bySeen of seen) {
              const at = bySeen.get(write.productId);
              if (at === undefined) {
                missing++;
                continue;
              }
              into.fromStart.push(at - write.start);
              into.fromEnd.push(at - write.end);
            }
          }
        }
      }
      if (missing > 0)
        throw new Error(
          `${missing} invalidations never reached a reader (within ${SETTLE_MS} ms of the block's end)`,
        );
      const of = (op: CdcWriteOp): OpSamples => samples.get(op) as OpSamples;
      const negative = OPS.reduce((sum, op) => sum + of(op).fromStart.filter((ms) => ms <= 0).length, 0);
      if (negative > 0) throw new Error(`${negative} drops seen before the write began: the clocks disagree`);
      if (toReceived.length !== BLOCKS * PRODUCTS_PER_BLOCK)
        throw new Error(
          `the consumer's mapping saw ${toReceived.length} of ${BLOCKS * PRODUCTS_PER_BLOCK} UPDATEs`,
        );

      const cdc = of('cdc').fromEnd;
      const app = of('app').fromStart;
      const p99 = pct(cdc, 99);
      const early = (100 * cdc.filter((ms) => ms < 0).length) / cdc.length;
      const [writerOffset, ...readerOffsets] = offsets as [ClockOffset, ...ClockOffset[]];
      const commits = BLOCKS * PRODUCTS_PER_BLOCK;
      const perOp = READERS * commits;
      return {
        title: '17. CDC invalidation: committed UPDATE → peer L1 drop, vs the app path',
        method: `A private PostgreSQL ${version} from @strata/testing (\`wal_level = logical\`, \`max_replication_slots\` and \`max_wal_senders\` 10; \`fsync = off\` as the fixture runs it, \`synchronous_commit\` on), a table \`prices(id, product_id, amount_cents)\` of ${cdcProducts.toLocaleString('en-US')} rows indexed on \`product_id\` (replica identity default: an update carries its new row), and three child processes on the bench's Redis and one prefix, each a CacheStack with the default options (L1 in front of Redis, invalidation bus on): one writer, ${READERS} readers. The writer also runs the fleet's \`CdcConsumer\` (built @strata/cdc; it holds the Redis lease and reads a slot through pgoutput), mapping an update of \`prices\` to the tag \`product:<product_id>\`, and holds a plain pg client. In each block the writer stores ${PRODUCTS_PER_BLOCK} entries \`price:<id>\` of fresh product ids, each tagged \`product:<id>\`, and the readers read them into L1; then, for each product in turn, the writer either commits \`UPDATE prices SET amount_cents = $2 WHERE product_id = $1\` (autocommit; the time taken right after the query resolves, i.e. once COMMIT returned) and waits for the consumer's \`cdc:applied\` (so each commit travels alone), or (app path) calls \`invalidateTags(['product:<id>'])\` itself, timed from just before the call as scenario 9 times its delete; then ${GAP_MS} ms of pause. Each reader records when each entry leaves its L1: a wrapper around its L1's \`invalidate\` (the bus handler's way in for tags) takes the time right after it and checks that \`peek\` of the entry now misses, so no polling. The app path's call starts where an app would invalidate after its own COMMIT returned: both rows run from the same point. Both take the same Redis work (a script storing the tag's invalidation time, then the PUBLISH); the CDC row adds the WAL's way to the consumer (walsender, pgoutput decoding, pg-logical-replication) and its acknowledgement. Times are wall clock (\`performance.timeOrigin + performance.now()\`, one system clock for all processes). One unrecorded block of ${WARMUP_PRODUCTS} products per path, then ${BLOCKS} blocks per path, alternating (order flipped each round): ${commits.toLocaleString('en-US')} commits and ${commits.toLocaleString('en-US')} \`invalidateTags\` calls, ${perOp.toLocaleString('en-US')} samples per path (× ${READERS} readers). Ratio: p50 / p50 of the app path; target (loopback): CDC p99 ≤ ${TARGET_P99_MS} ms. Redis ${redis.version} (${redis.source}).`,
        rows: [
          {
            scenario: '17',
            subject: CDC_NAME,
            subjectValue: p50p99(cdc),
            baseline: APP_NAME,
            baselineValue: p50p99(app),
            ratio: pct(cdc, 50) / pct(app, 50),
            target: {
              op: '<=',
              value: TARGET_P99_MS,
              absolute: { measured: p99, label: `p99 ≤ ${TARGET_P99_MS} ms` },
            },
          },
        ],
        notes: [
          `Where the CDC time goes, from COMMIT returned, per commit: the change reached the consumer (its mapping ran) at ${signedP50p99(toReceived)} (negative: before the writer's query resolved; the walsender sends a commit as soon as its WAL is flushed, while the backend answers its client); the consumer's \`cdc:applied\` (the tag's time stored in Redis, the PUBLISH answered, the position acknowledged) at ${signedP50p99(toApplied)}; a reader's drop at ${signedP50p99(cdc)} (before COMMIT returned to the writer in ${early.toFixed(0)} % of samples). The UPDATE's own round trip: ${p50p99(updateRoundTrip)}; from just before it was sent to the drop: ${p50p99(of('cdc').fromStart)}.`,
          `App path from the \`invalidateTags\` call returning to the drop: ${signedP50p99(of('app').fromEnd)} (negative: the drop came first, since Redis sends a PUBLISH to its subscribers before it answers the publisher).`,
          `Clock offset of the readers against the writer, estimated from the fastest of 50 IPC round trips with each: ${describeSkew(writerOffset, readerOffsets)}. Every sample from the start of a write was positive and every invalidation arrived.`,
        ],
      };
    } finally {
      await closeAll(children);
    }
  } finally {
    await postgres.dispose();
  }
}

async function serverVersion(url: string): Promise<string> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query<{ server_version: string }>('show server_version');
    return result.rows[0]?.server_version.split(' ')[0] ?? 'unknown';
  } finally {
    await client.end();
  }
}
