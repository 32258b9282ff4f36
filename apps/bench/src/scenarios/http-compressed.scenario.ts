import { type ChildHandle, closeAll, startChildren } from '../child-process.js';
import type { HttpServerCommands } from '../children/http-server.js';
import { affinityOf, pinningPlan, pinTo, restoreAffinity } from '../http/cpu-pinning.js';
import { runLoad } from '../http/http-load.js';
import {
  type HttpAdapterKind,
  type HttpStackKind,
  type HttpSubject,
  PAGE_BYTES,
  PAGE_PATH,
} from '../http/http-subjects.js';
import { makeLargeValue } from '../large-value.js';
import { collectGarbage } from '../measure.js';
import type { ResultRow, ScenarioResult } from '../report.js';
import { median, pairedRatioSpread } from '../stats.js';

const CONNECTIONS = 50;
const WARMUP_SECONDS = 1;
const ROUND_SECONDS = 1.5;
const ROUNDS = 8;
/** What browsers send (they add more codings; these two are what the servers offer). */
const ACCEPT_ENCODING = 'br, gzip';
/** Pre-compressed hits against hits compressed per request: at least this many times the req/s. */
const TARGET_RPS_RATIO = 3;

const MIDDLEWARE: Record<HttpAdapterKind, string> = {
  express: 'compression middleware',
  fastify: '@fastify/compress',
};

const subject = (adapter: HttpAdapterKind, stack: HttpStackKind): HttpSubject => ({
  adapter,
  stack,
  name: `${adapter === 'express' ? 'Express' : 'Fastify'}: ${
    stack === 'strata-coded' ? '@HttpCache pre-compressed hit' : '@HttpCache identity hit'
  } + ${MIDDLEWARE[adapter]}`,
});

const ADAPTERS: readonly HttpAdapterKind[] = ['express', 'fastify'];

interface Server {
  readonly subject: HttpSubject;
  readonly child: ChildHandle<HttpServerCommands>;
  readonly url: string;
}

/** Per subject name, one sample per round. */
interface Samples {
  readonly rps: Map<string, number[]>;
  readonly cpu: Map<string, number[]>;
  readonly runs: Map<string, number>;
}

/**
 * Before timing: both subjects answer `br` (the middleware's choice too), the decoded bytes are
 * the page's JSON, and the second answer is a hit.
 */
async function verify(server: Server, expected: string): Promise<void> {
  const name = server.subject.name;
  let last: Response | undefined;
  let text = '';
  for (let i = 0; i < 2; i++) {
    last = await fetch(server.url, { headers: { 'accept-encoding': ACCEPT_ENCODING } });
    // fetch decodes the body as its Content-Encoding says (once: a double coding would not parse).
    text = await last.text();
  }
  if (last === undefined || last.status !== 200) throw new Error(`${name}: status ${last?.status}`);
  if (last.headers.get('x-cache') !== 'HIT') throw new Error(`${name}: not a hit`);
  const coding = last.headers.get('content-encoding');
  if (coding !== 'br') throw new Error(`${name}: Content-Encoding ${coding}, not br`);
  if (text !== expected) throw new Error(`${name}: the decoded body differs from the page's JSON`);
}

async function measureAdapter(adapter: HttpAdapterKind, serverCpu: number | undefined): Promise<Samples> {
  const subjects = [subject(adapter, 'strata-coded'), subject(adapter, 'strata-identity-compressed')];
  const children = await startChildren<HttpServerCommands>(
    'http-server',
    `http-page-${adapter}`,
    subjects.length,
  );
  try {
    const ports = await Promise.all(
      subjects.map((s, i) => (children[i] as ChildHandle<HttpServerCommands>).request('start', s, undefined)),
    );
    const servers: Server[] = subjects.map((s, i) => ({
      subject: s,
      child: children[i] as ChildHandle<HttpServerCommands>,
      url: `http://127.0.0.1:${ports[i] as number}${PAGE_PATH}`,
    }));
    if (serverCpu !== undefined) {
      for (const server of servers) pinTo(await server.child.request('pid'), serverCpu);
    }
    const expected = JSON.stringify(makeLargeValue(PAGE_BYTES));
    for (const server of servers) await verify(server, expected);
    const headers = { 'accept-encoding': ACCEPT_ENCODING };
    for (const server of servers) await runLoad(server.url, CONNECTIONS, WARMUP_SECONDS, headers);
    const samples: Samples = { rps: new Map(), cpu: new Map(), runs: new Map() };
    for (let round = 0; round < ROUNDS; round++) {
      const order = round % 2 === 0 ? servers : [...servers].reverse();
      for (const server of order) {
        const name = server.subject.name;
        collectGarbage();
        const before = await server.child.request('stats');
        const run = await runLoad(server.url, CONNECTIONS, ROUND_SECONDS, headers);
        const after = await server.child.request('stats');
        samples.rps.set(name, [...(samples.rps.get(name) ?? []), run.rps]);
        samples.cpu.set(name, [
          ...(samples.cpu.get(name) ?? []),
          (after.cpuMicros - before.cpuMicros) / run.requests,
        ]);
      }
    }
    for (const server of servers) {
      samples.runs.set(server.subject.name, (await server.child.request('stats')).handlerRuns);
    }
    return samples;
  } finally {
    await closeAll(children);
  }
}

function rows(adapter: HttpAdapterKind, samples: Samples): ResultRow[] {
  const coded = subject(adapter, 'strata-coded').name;
  const identity = subject(adapter, 'strata-identity-compressed').name;
  const row = (
    metric: 'req/s' | 'server CPU/request',
    of: Map<string, number[]>,
    format: (n: number) => string,
    target?: ResultRow['target'],
  ): ResultRow => {
    const s = of.get(coded) ?? [];
    const b = of.get(identity) ?? [];
    return {
      scenario: '16',
      subject: `${coded}: ${metric}`,
      subjectValue: format(median(s)),
      baseline: `${identity}: ${metric}`,
      baselineValue: format(median(b)),
      ratio: median(s.map((value, i) => value / (b[i] as number))),
      spread: pairedRatioSpread(s, b),
      ...(target ? { target } : {}),
    };
  };
  return [
    row('req/s', samples.rps, (n) => `${Math.round(n).toLocaleString('en-US')} req/s`, {
      op: '>=',
      value: TARGET_RPS_RATIO,
    }),
    row('server CPU/request', samples.cpu, (us) => `${us.toFixed(0)} µs`),
  ];
}

/**
 * Scenario 16: a 10 KB JSON page answered compressed, from Strata's stored `br` against a Strata
 * identity hit that the adapter's compression middleware compresses per request, same run.
 */
export async function httpCompressedScenario(): Promise<ScenarioResult> {
  const plan = pinningPlan();
  const serverCpu = plan.pinned ? plan.serverCpu : undefined;
  const measured: [HttpAdapterKind, Samples][] = [];
  // The load generator (this process) on the other core, as in scenario 11.
  const mask = plan.pinned ? affinityOf(process.pid) : undefined;
  if (plan.pinned) pinTo(process.pid, plan.generatorCpu);
  try {
    for (const adapter of ADAPTERS) measured.push([adapter, await measureAdapter(adapter, serverCpu)]);
  } finally {
    if (mask !== undefined) restoreAffinity(process.pid, mask);
  }
  const runs = measured
    .flatMap(([, s]) => [...s.runs].map(([name, n]) => `${name}: ${n} handler runs`))
    .join('; ');
  return {
    title: `16. Compressed pages: pre-compressed hit vs identity hit + compression middleware, ${CONNECTIONS} connections`,
    method: `Each subject is a Nest app (logger off) in its own child process, under Strata's HttpCacheInterceptor with StrataModule.forRoot defaults (memory), serving GET ${PAGE_PATH} (@HttpCache({ ttl: '1m' })) whose handler returns makeLargeValue(${PAGE_BYTES}) (10 KB of varied JSON), behind the adapter's usual compression middleware with its defaults (compression 1.8 on Express, @fastify/compress 9 on Fastify; both brotli quality 4 for br). Subject: HttpCacheModule.forRoot({}), the page stored in br and gzip once, each hit sending the stored br bytes (the middleware skips a response with Content-Encoding). Baseline: HttpCacheModule.forRoot({ compression: false }), the page stored as identity and compressed by the middleware on every hit. Every request carries Accept-Encoding: ${ACCEPT_ENCODING}; before timing, both answer Content-Encoding: br, X-Cache: HIT, and bytes that decode to the page's JSON. Load: autocannon 9 in the bench process, ${CONNECTIONS} keep-alive connections${plan.pinned ? `; each server child on CPU ${plan.serverCpu}, the bench process on CPU ${plan.generatorCpu}` : `; nothing pinned (${plan.why})`}. Per adapter: one ${WARMUP_SECONDS} s warm-up run per subject, then ${ROUNDS} rounds of ${ROUND_SECONDS} s, both subjects once per round (order alternating). Ratio: median of the per-round ratios, interquartile range in brackets; values: medians.`,
    rows: measured.flatMap(([adapter, samples]) => rows(adapter, samples)),
    notes: [`Handler runs over the whole scenario: ${runs}.`],
  };
}
