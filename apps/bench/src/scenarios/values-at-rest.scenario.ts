import { isDeepStrictEqual } from 'node:util';
import type { Redis } from 'ioredis';
import {
  atRestStacks,
  DEFAULT_THRESHOLD,
  EAGER_THRESHOLD,
  measuredForms,
  storeChecked,
  storedForms,
  type AtRestForm,
  type AtRestStacks,
} from '../at-rest-forms.js';
import { compressionBoundNote } from '../compression-bound.js';
import { makeLargeValue } from '../large-value.js';
import { LISTING_MAX_PAGE_SIZE, makeListingPage, makeListingPageOfSize } from '../listing-page-value.js';
import {
  alternateCpu,
  alternateLatencies,
  alternateThroughput,
  type CpuOptions,
  type LatencyOptions,
  type Subject,
  type ThroughputOptions,
} from '../measure.js';
import type { BenchRedis } from '../redis.js';
import { formatNs, formatRate, type ResultRow, type ScenarioResult } from '../report.js';
import { median, pairedRatioSpread, percentile } from '../stats.js';

const SCENARIO = '15';

/** One value size, with as many calls as its reads and writes allow in the time. */
interface Size {
  readonly label: string;
  readonly bytes: number;
  readonly latency: LatencyOptions;
  readonly throughput: ThroughputOptions;
  /** CPU time per get as well, for the small sizes, where a shared machine's load blurs microseconds. */
  readonly cpu?: CpuOptions;
}

/** Small values: 50 sets in flight keep the process busy (as in scenario 7). */
const SMALL_SETS: ThroughputOptions = { concurrency: 50, roundMs: 200, rounds: 8, warmupMs: 150 };
/** Large values: 8 in flight (as in scenario 14: a 1 MB write takes about a millisecond of Redis alone). */
const LARGE_SETS: ThroughputOptions = { concurrency: 8, roundMs: 200, rounds: 8, warmupMs: 150 };
/** CPU per get of the small sizes: 10 samples of 200 calls per form. */
const SMALL_CPU: CpuOptions = { calls: 200, rounds: 10, warmupCalls: 100 };

const size = (
  label: string,
  bytes: number,
  latency: LatencyOptions,
  throughput: ThroughputOptions,
  cpu?: CpuOptions,
): Size => ({ label, bytes, latency, throughput, ...(cpu ? { cpu } : {}) });
/** The sizes of every form. */
const SIZES: readonly Size[] = [
  size('1 KB', 1024, { callsPerBlock: 50, blocks: 20, warmupCalls: 3000 }, SMALL_SETS, SMALL_CPU),
  size('100 KB', 100 * 1024, { callsPerBlock: 20, blocks: 10, warmupCalls: 20 }, LARGE_SETS),
  size('1 MB', 1024 * 1024, { callsPerBlock: 5, blocks: 10, warmupCalls: 5 }, LARGE_SETS),
];
/** The sizes around the default threshold, plain against compressed only. */
const THRESHOLD_SIZES: readonly Size[] = [
  size('2 KB', 2 * 1024, { callsPerBlock: 40, blocks: 15, warmupCalls: 1500 }, SMALL_SETS, SMALL_CPU),
  size('8 KB', 8 * 1024, { callsPerBlock: 40, blocks: 15, warmupCalls: 1000 }, SMALL_SETS, SMALL_CPU),
  size('32 KB', 32 * 1024, { callsPerBlock: 40, blocks: 10, warmupCalls: 300 }, SMALL_SETS, SMALL_CPU),
];
/** Keys each set subject cycles over. */
const SET_KEYS = 4;
/** The target on the stored size: the 100 KB value in at least 3× fewer bytes than plain. */
const BYTES_TARGET = { size: '100 KB', form: 'compressed (default)', ratio: 3 } as const;
/** The target on reads: an encrypted 1 KB get at most 1.3× a plain one. */
const ENCRYPTED_GET_TARGET = { size: '1 KB', form: 'encrypted (sensitive)', ratio: 1.3 } as const;

const bytesLabel = (form: string, what: string): string => `Redis bytes: ${form}, ${what}`;
const formatBytes = (bytes: number): string => `${bytes.toLocaleString('en-US')} B`;
const equalTo =
  (value: unknown) =>
  (read: unknown): boolean =>
    isDeepStrictEqual(read, value);

/**
 * Bytes of each stored form of `value`, as rows against plain: ratio plain bytes / these bytes,
 * so more is fewer bytes.
 */
async function bytesRows(
  raw: Redis,
  forms: readonly AtRestForm[],
  value: unknown,
  what: string,
  tag: string,
): Promise<ResultRow[]> {
  const [plain, ...others] = forms as [AtRestForm, ...AtRestForm[]];
  const plainBytes = await storeChecked(raw, plain, `bytes-${tag}`, value, equalTo(value));
  const rows: ResultRow[] = [];
  for (const [f, form] of others.entries()) {
    const bytes = await storeChecked(raw, form, `bytes-${tag}-${f}`, value, equalTo(value));
    const targeted = what === BYTES_TARGET.size && form.name === BYTES_TARGET.form;
    rows.push({
      scenario: SCENARIO,
      subject: bytesLabel(form.name, what),
      subjectValue: formatBytes(bytes),
      baseline: bytesLabel(plain.name, what),
      baselineValue: formatBytes(plainBytes),
      ratio: plainBytes / bytes,
      ...(targeted ? { target: { op: '>=', value: BYTES_TARGET.ratio } } : {}),
    });
  }
  return rows;
}

/** L2 get p50 of each form against the first (plain), in alternating blocks. */
async function getRows(raw: Redis, forms: readonly AtRestForm[], size: Size): Promise<ResultRow[]> {
  const value = makeLargeValue(size.bytes);
  const subjects: Subject[] = [];
  for (const [f, form] of forms.entries()) {
    // A key per form: two forms share the clear stack.
    const key = `get-${size.bytes}-${f}`;
    await storeChecked(raw, form, key, value, equalTo(value));
    subjects.push({ name: form.name, run: () => form.stack.get(key, { sensitive: form.sensitive }) });
  }
  const samples = await alternateLatencies(subjects, size.latency);
  const at = (name: string): Float64Array => samples.get(name) ?? new Float64Array();
  const text = (name: string): string =>
    `p50 ${formatNs(percentile(at(name), 50))}, p99 ${formatNs(percentile(at(name), 99))}`;
  const plain = (forms[0] as AtRestForm).name;
  const cpu = size.cpu === undefined ? undefined : await alternateCpu(subjects, size.cpu);
  const rows = forms.slice(1).map((form): ResultRow => {
    const targeted = size.label === ENCRYPTED_GET_TARGET.size && form.name === ENCRYPTED_GET_TARGET.form;
    return {
      scenario: SCENARIO,
      subject: `get (L2 only), ${form.name}, ${size.label}`,
      subjectValue: text(form.name),
      baseline: `get (L2 only), ${plain}, ${size.label}`,
      baselineValue: text(plain),
      ratio: percentile(at(form.name), 50) / percentile(at(plain), 50),
      ...(targeted ? { target: { op: '<=', value: ENCRYPTED_GET_TARGET.ratio } } : {}),
    };
  });
  if (cpu === undefined) return rows;
  const cpuAt = (name: string): number[] => cpu.get(name) ?? [];
  const cpuRows = forms.slice(1).map((form): ResultRow => ({
    scenario: SCENARIO,
    subject: `get CPU (L2 only), ${form.name}, ${size.label}`,
    subjectValue: `${formatNs(median(cpuAt(form.name)))} per get`,
    baseline: `get CPU (L2 only), ${plain}, ${size.label}`,
    baselineValue: `${formatNs(median(cpuAt(plain)))} per get`,
    ratio: median(cpuAt(form.name)) / median(cpuAt(plain)),
    spread: pairedRatioSpread(cpuAt(form.name), cpuAt(plain)),
  }));
  return [...rows, ...cpuRows];
}

/** Sets per second of each form against the first (plain), in alternating rounds. */
async function setRows(forms: readonly AtRestForm[], size: Size): Promise<ResultRow[]> {
  const value = makeLargeValue(size.bytes);
  const subjects: Subject[] = forms.map((form, f) => {
    let i = 0;
    return {
      name: form.name,
      run: async () => (
        await form.stack.set(`set-${size.bytes}-${f}-${i++ % SET_KEYS}`, value, {
          sensitive: form.sensitive,
        }),
        1
      ),
    };
  });
  const samples = await alternateThroughput(subjects, size.throughput);
  const at = (name: string): number[] => samples.get(name) ?? [];
  const plain = (forms[0] as AtRestForm).name;
  return forms.slice(1).map((form) => ({
    scenario: SCENARIO,
    subject: `set (L2 only), ${form.name}, ${size.label}`,
    subjectValue: formatRate(median(at(form.name))),
    baseline: `set (L2 only), ${plain}, ${size.label}`,
    baselineValue: formatRate(median(at(plain))),
    ratio: median(at(form.name)) / median(at(plain)),
    spread: pairedRatioSpread(at(form.name), at(plain)),
  }));
}

/** Sequential sets per form whose Redis time {@link serverTimeNote} counts: fewer for large values. */
const serverSets = (size: Size): number =>
  size.bytes >= 1024 * 1024 ? 10 : size.bytes >= 100 * 1024 ? 40 : 200;

/**
 * Redis time per set of each form (`INFO commandstats`, EVALSHA: the write script receives the
 * stored value, and passing it costs Redis time in proportion to its length), measured over
 * sequential sets of one form at a time so that the counts are the form's own. `undefined` on a
 * shared (`REDIS_URL`) server, whose statistics other clients move.
 */
async function serverTimeNote(
  redis: BenchRedis,
  forms: readonly AtRestForm[],
  size: Size,
): Promise<string | undefined> {
  if (redis.external) return undefined;
  const value = makeLargeValue(size.bytes);
  const sets = serverSets(size);
  const parts: string[] = [];
  for (const [f, form] of forms.entries()) {
    const before = (await redis.commandStats()).get('evalsha')?.usec ?? 0;
    for (let i = 0; i < sets; i++)
      await form.stack.set(`server-${size.bytes}-${f}-${i % SET_KEYS}`, value, { sensitive: form.sensitive });
    const after = (await redis.commandStats()).get('evalsha')?.usec ?? 0;
    parts.push(`${form.name} ${((after - before) / sets).toFixed(0)} µs`);
  }
  return `Redis time per set of the ${size.label} value (EVALSHA in INFO commandstats, ${sets} sequential sets per form): ${parts.join(', ')}.`;
}

/** Rows of stored sizes: the four forms of the generated values, then the realistic pages and the threshold sizes. */
async function allBytesRows(raw: Redis, stacks: AtRestStacks): Promise<ResultRow[]> {
  const rows: ResultRow[] = [];
  const stored = storedForms(stacks);
  for (const s of SIZES)
    rows.push(...(await bytesRows(raw, stored, makeLargeValue(s.bytes), s.label, String(s.bytes))));
  const [plain, compressed] = measuredForms(stacks) as [AtRestForm, AtRestForm];
  const pages = [
    {
      what: `shop listing page (${LISTING_MAX_PAGE_SIZE} items)`,
      value: makeListingPage(LISTING_MAX_PAGE_SIZE),
    },
    { what: 'shop listing shape, 100 KB', value: makeListingPageOfSize(100 * 1024) },
  ];
  for (const [i, page] of pages.entries())
    rows.push(...(await bytesRows(raw, [plain, compressed], page.value, page.what, `page-${i}`)));
  for (const s of THRESHOLD_SIZES)
    rows.push(
      ...(await bytesRows(raw, [plain, compressed], makeLargeValue(s.bytes), s.label, String(s.bytes))),
    );
  return rows;
}

/** The note on compressed gets: what loopback hides, with the 100 KB value's bytes. */
function wireNote(rows: readonly ResultRow[]): string {
  const bytes = rows.find((r) => r.subject === bytesLabel(BYTES_TARGET.form, BYTES_TARGET.size));
  const example =
    bytes === undefined
      ? ''
      : ` (the ${BYTES_TARGET.size} value: ${bytes.subjectValue} instead of ${bytes.baselineValue})`;
  return `The compressed get rows are measured on loopback, where a get pays for inflating and saves almost nothing on the wire. Across a network a get of a compressed value moves its compressed bytes instead of the plain ones${example}, which these rows do not show; the set rows likewise.`;
}

/**
 * Scenario 15: values at rest in Redis, plain, compressed and encrypted: their size in Redis, and
 * what each form costs an L2 get and a set, at 1 KB, 100 KB and 1 MB, and around the default
 * compression threshold.
 */
export async function valuesAtRestScenario(redis: BenchRedis): Promise<ScenarioResult> {
  const stacks = atRestStacks(redis);
  try {
    await stacks.connect();
    const raw = await redis.client();
    const rows: ResultRow[] = await allBytesRows(raw, stacks);
    const forms = measuredForms(stacks);
    const pair = forms.slice(0, 2);
    for (const s of SIZES) rows.push(...(await getRows(raw, forms, s)));
    for (const s of THRESHOLD_SIZES) rows.push(...(await getRows(raw, pair, s)));
    for (const s of SIZES) rows.push(...(await setRows(forms, s)));
    for (const s of THRESHOLD_SIZES) rows.push(...(await setRows(pair, s)));
    const notes = [wireNote(rows), compressionBoundNote(makeLargeValue(100 * 1024), BYTES_TARGET.size)];
    for (const s of [...SIZES, ...THRESHOLD_SIZES]) {
      const note = await serverTimeNote(redis, SIZES.includes(s) ? forms : pair, s);
      if (note !== undefined) notes.push(note);
    }
    const errors = stacks.errors();
    if (errors.length > 0)
      throw new Error(`${errors.length} L2 errors during the measurement, first: ${errors[0]}`);
    const sizes = [...SIZES, ...THRESHOLD_SIZES].map(
      (s) => `${s.label}: ${JSON.stringify(makeLargeValue(s.bytes)).length.toLocaleString('en-US')} B`,
    );
    return {
      title: '15. Values at rest: plain, compressed, encrypted',
      method: `Values from \`makeLargeValue\` (scenario 14's seeded catalogue JSON, near-random syllables: ${sizes.join(', ')}). Three Redis-only stacks (\`l1: false, bus: false, commandTimeout: '2s'\`) sharing one master key: \`compression: false\` (plain; \`sensitive: true\` calls encrypt without compressing), \`compression: { threshold: ${EAGER_THRESHOLD} }\` (compresses every measured size; at and above ${DEFAULT_THRESHOLD} characters it does what the default does) and the default threshold (${DEFAULT_THRESHOLD}) with \`encryption.compress: true\`. Every form is checked before it is measured: the entry holds the expected kind (\`Z\` compressed, \`E\` encrypted) and reads back deep-equal. Bytes: \`STRLEN\` of the entry key (header and stored value); ratio: plain bytes / these bytes (more is smaller). The shop rows store the shop's \`GET /products\` page shape (\`src/listing-page-value.ts\`: id, SKU, "<adjective> <noun> <id>" name, category, price, currency, as the shop's seed makes them), its largest page and the same shape grown to 100 KB, which the shop never sends. Gets: sequential \`get\` (\`sensitive: true\` for the encrypted form), every call timed after ${SIZES[0]?.latency.warmupCalls} unrecorded calls per form at 1 KB (fewer for larger values; enough that the decryption and inflation paths run optimized, as in a long-lived process, rather than in the interpreter), forms in alternating blocks, order rotating; ratio p50 / plain p50. Get CPU (up to 32 KB): the process's CPU time (user + system) per get over ${SMALL_CPU.rounds} alternating samples of ${SMALL_CPU.calls} sequential gets per form, less sensitive than wall time to the machine's other load; ratio of the medians, with the spread of the per-sample ratios. Sets: ${SMALL_SETS.concurrency} in flight up to 32 KB, ${LARGE_SETS.concurrency} from 100 KB, over ${SET_KEYS} keys per form, a ${LARGE_SETS.warmupMs} ms warm-up then ${LARGE_SETS.rounds} rounds of ${LARGE_SETS.roundMs} ms per form, alternating; ratio: sets per second / plain's, with the spread of the per-round ratios. Redis ${redis.version} (${redis.source}), on loopback.`,
      rows,
      notes,
    };
  } finally {
    await stacks.close();
  }
}
