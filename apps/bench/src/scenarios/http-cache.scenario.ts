import { readFileSync } from 'node:fs';
import { type ChildHandle, closeAll, startChildren } from '../child-process.js';
import type { HttpServerCommands } from '../children/http-server.js';
import { affinityOf, type PinningPlan, pinningPlan, pinTo, restoreAffinity } from '../http/cpu-pinning.js';
import { runLoad } from '../http/http-load.js';
import { httpNote, httpRows, type Measured } from '../http/http-rows.js';
import {
  answersFromCache,
  type HttpAdapterKind,
  type HttpSubject,
  PRODUCT_PATH,
  usesRedis,
} from '../http/http-subjects.js';
import { collectGarbage } from '../measure.js';
import type { BenchRedis } from '../redis.js';
import type { ScenarioResult } from '../report.js';
import { VALUE_JSON } from '../value.js';

const CONNECTIONS = 50;
/**
 * Unrecorded load per subject before the rounds: with 1 s, the first rounds still ran code the
 * JIT had not optimized yet, which can cost the subjects with more code on the path more (measured:
 * a Fastify memory hit 1.20-1.24x the reference after 1 s, 0.94x after 4 s; in a hot loop in
 * process, the interceptor answers a memory hit in 0.8 µs).
 */
const WARMUP_SECONDS = 4;
const ROUND_SECONDS = 1.5;
const ROUNDS = 10;

const subject = (adapter: HttpAdapterKind, stack: HttpSubject['stack'], what: string): HttpSubject => ({
  adapter,
  stack,
  name: `${adapter === 'express' ? 'Express' : 'Fastify'}: ${what}`,
});

const REFERENCE = 'reference (constant answer)';

/** Each adapter's subjects, in the order of the first round. */
const GROUPS: readonly (readonly HttpSubject[])[] = [
  [
    subject('express', 'bare', 'bare route'),
    subject('express', 'floor-interceptor', REFERENCE),
    subject('express', 'strata-memory', '@HttpCache, memory'),
    subject('express', 'strata-redis', '@HttpCache, Redis only (l1: false)'),
    subject('express', 'cm-memory', 'CacheInterceptor, memory'),
    subject('express', 'cm-redis', 'CacheInterceptor + @keyv/redis'),
  ],
  [
    subject('fastify', 'bare', 'bare route'),
    subject('fastify', 'floor-interceptor', REFERENCE),
    subject('fastify', 'strata-memory', '@HttpCache, memory'),
    subject('fastify', 'strata-shared', '@HttpCache, memory, shareReferences: true'),
    subject('fastify', 'strata-redis', '@HttpCache, Redis only (l1: false)'),
  ],
];

interface Server {
  readonly subject: HttpSubject;
  readonly child: ChildHandle<HttpServerCommands>;
  readonly url: string;
}

/**
 * Before timing: the bare route sends the value's JSON; every cached subject sends the same
 * bytes, from its cache (`X-Cache: HIT`, which both interceptors set) on the second request.
 */
async function verify(server: Server): Promise<void> {
  const { subject: s, url } = server;
  const read = async (): Promise<{
    status: number;
    body: string;
    cache: string | null;
    type: string | null;
  }> => {
    const res = await fetch(url);
    return {
      status: res.status,
      body: Buffer.from(await res.arrayBuffer()).toString('latin1'),
      cache: res.headers.get('x-cache'),
      type: res.headers.get('content-type'),
    };
  };
  await read();
  const second = await read();
  const expected = Buffer.from(VALUE_JSON, 'utf8').toString('latin1');
  if (second.status !== 200) throw new Error(`${s.name}: status ${second.status}`);
  if (second.body !== expected) throw new Error(`${s.name}: the body differs from the value's JSON`);
  if (!second.type?.startsWith('application/json')) throw new Error(`${s.name}: Content-Type ${second.type}`);
  if (answersFromCache(s.stack) && second.cache !== 'HIT')
    throw new Error(`${s.name}: X-Cache ${second.cache}, not HIT`);
}

async function startServers(subjects: readonly HttpSubject[], redis: BenchRedis): Promise<Server[]> {
  const children = await startChildren<HttpServerCommands>(
    'http-server',
    `http-${subjects[0]?.adapter ?? 'none'}`,
    subjects.length,
  );
  try {
    const target = { url: redis.url, prefix: redis.prefix };
    const ports = await Promise.all(
      subjects.map((s, i) =>
        (children[i] as ChildHandle<HttpServerCommands>).request(
          'start',
          s,
          usesRedis(s.stack) ? target : undefined,
        ),
      ),
    );
    return subjects.map((s, i) => ({
      subject: s,
      child: children[i] as ChildHandle<HttpServerCommands>,
      url: `http://127.0.0.1:${ports[i] as number}${PRODUCT_PATH}`,
    }));
  } catch (error) {
    await closeAll(children);
    throw error;
  }
}

async function measure(servers: readonly Server[]): Promise<Measured> {
  const names = servers.map((s) => s.subject.name);
  const fresh = (): Map<string, number[]> => new Map(names.map((n) => [n, []]));
  const measured: Measured = {
    rps: fresh(),
    cpuPerRequest: fresh(),
    p99: fresh(),
    serverCpu: fresh(),
    generatorCpu: fresh(),
    requests: new Map(names.map((n) => [n, 0])),
    handlerRuns: new Map(),
  };
  for (const server of servers) await verify(server);
  for (const server of servers) await runLoad(server.url, CONNECTIONS, WARMUP_SECONDS);
  for (let round = 0; round < ROUNDS; round++) {
    const shift = round % servers.length;
    for (const server of [...servers.slice(shift), ...servers.slice(0, shift)]) {
      const name = server.subject.name;
      collectGarbage();
      const before = await server.child.request('stats');
      const started = performance.now();
      const run = await runLoad(server.url, CONNECTIONS, ROUND_SECONDS);
      const seconds = (performance.now() - started) / 1000;
      const after = await server.child.request('stats');
      const cpuMicros = after.cpuMicros - before.cpuMicros;
      measured.rps.get(name)?.push(run.rps);
      measured.cpuPerRequest.get(name)?.push(cpuMicros / run.requests);
      measured.p99.get(name)?.push(run.p99Ms);
      measured.serverCpu.get(name)?.push(cpuMicros / 1e6 / seconds);
      measured.generatorCpu.get(name)?.push(run.generatorCpu);
      measured.requests.set(name, (measured.requests.get(name) ?? 0) + run.requests);
    }
  }
  for (const server of servers) {
    const { handlerRuns } = await server.child.request('stats');
    measured.handlerRuns.set(server.subject.name, handlerRuns);
    // A cached route that runs its handler for more than 1 % of requests is not measuring hits
    // (expected: about one run per expiry of the 1-minute entry, up to 50 for CacheInterceptor).
    const requests = measured.requests.get(server.subject.name) ?? 0;
    if (answersFromCache(server.subject.stack) && handlerRuns > requests / 100) {
      throw new Error(
        `${server.subject.name}: the handler ran ${handlerRuns} times for ${requests} requests`,
      );
    }
  }
  return measured;
}

async function runGroup(
  subjects: readonly HttpSubject[],
  redis: BenchRedis,
  plan: PinningPlan,
): Promise<Measured> {
  const servers = await startServers(subjects, redis);
  try {
    if (plan.pinned) {
      for (const server of servers) pinTo(await server.child.request('pid'), plan.serverCpu);
    }
    return await measure(servers);
  } finally {
    await closeAll(servers.map((s) => s.child));
  }
}

/** The Redis server's process, when it is a private `redis-server` of this machine (else `undefined`). */
async function redisPid(redis: BenchRedis): Promise<number | undefined> {
  if (redis.external) return undefined;
  const client = await redis.client();
  const pid = Number(/process_id:(\d+)/.exec(await client.info('server'))?.[1]);
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'redis-server' ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs `work` with the bench process (the load generator) and the Redis server on the plan's
 * generator core; their former affinity is given back after. Returns where Redis ran.
 */
async function pinned<T>(
  plan: PinningPlan,
  redis: BenchRedis,
  work: () => Promise<T>,
): Promise<{ readonly result: T; readonly redisPlace: string }> {
  if (!plan.pinned) return { result: await work(), redisPlace: `not pinned (${plan.why})` };
  const pid = await redisPid(redis);
  const restore: [number, string][] = [process.pid, ...(pid === undefined ? [] : [pid])].map((p) => [
    p,
    affinityOf(p),
  ]);
  try {
    pinTo(process.pid, plan.generatorCpu);
    if (pid !== undefined) pinTo(pid, plan.generatorCpu);
    const redisPlace =
      pid === undefined
        ? 'not pinned (not a local redis-server process)'
        : `on CPU ${plan.generatorCpu}, with the load generator`;
    return { result: await work(), redisPlace };
  } finally {
    for (const [p, mask] of restore) restoreAffinity(p, mask);
  }
}

/**
 * Scenario 11: what a cached HTTP route costs the server per request, next to a reference that
 * answers a constant with the same headers (no lookup), on Express and Fastify, over HTTP with 50
 * connections; req/s against the bare route and `@nestjs/cache-manager`'s `CacheInterceptor` for
 * information.
 */
export async function httpCacheScenario(redis: BenchRedis): Promise<ScenarioResult> {
  const plan = pinningPlan();
  const { result: measured, redisPlace } = await pinned(plan, redis, async () => {
    const all: Measured[] = [];
    for (const subjects of GROUPS) all.push(await runGroup(subjects, redis, plan));
    return all;
  });
  const placement = plan.pinned
    ? `Placement (taskset): each server child on CPU ${plan.serverCpu}, the bench process (autocannon) on CPU ${plan.generatorCpu}; Redis ${redisPlace}, where it takes CPU time from the generator rather than from the server measured.`
    : `Placement: nothing pinned (${plan.why}): server, load generator and Redis share the cores.`;
  return {
    title: `11. Cost of a cached HTTP route (server CPU per request, p99) vs a constant answer, ${CONNECTIONS} connections`,
    method: `Each subject is a Nest app (logger off) in its own child process, serving GET ${PRODUCT_PATH} whose handler returns the ~1 KB object of value.ts (${VALUE_JSON.length} bytes of JSON): bare; under Strata's HttpCacheInterceptor (global, @HttpCache({ ttl: '1m' }), HttpCacheModule) with StrataModule.forRoot defaults (memory), with shareReferences: true (Fastify), or with Redis as the only layer (l1: false); under @nestjs/cache-manager 12's CacheInterceptor (global APP_INTERCEPTOR, @CacheTTL(60000); Express) with cache-manager 7's default memory store, or with a @keyv/redis store. The reference, on both adapters, is not a cache: a global interceptor answering every request with the value's JSON computed once and the six headers a Strata hit sends (Content-Type, a strong ETag, Cache-Control, Vary: Accept-Encoding (the page is also stored compressed), Age, X-Cache; Node's setHeader on Express, one reply.headers() on Fastify), the least an interceptor answering from a cache can do. Before timing, every subject's second response is checked: status 200, the value's JSON byte for byte, application/json, and X-Cache: HIT for the cached ones. The load generator is autocannon 9 in the bench process: ${CONNECTIONS} keep-alive connections, one request in flight each; any error, timeout or non-2xx fails the scenario. ${placement} Per adapter: one ${WARMUP_SECONDS} s warm-up run per subject, then ${ROUNDS} rounds of ${ROUND_SECONDS} s in which every subject runs once (order rotating). Per run: server CPU time per request (user + system of the server process over the run, from process.cpuUsage() before and after, / completed requests), p99 latency (from every response's own time, as autocannon's response event reports it in fractional ms: its histogram keeps whole ms, too coarse for a p99 of a few ms), req/s. Ratio: the median of the per-round ratios subject / reference (cost: ≤ target is good) or subject / bare route and subject / CacheInterceptor with the same store (req/s, information), with their interquartile range; values: medians. A cached subject that ran its handler for over 1 % of its requests fails the scenario. Redis ${redis.version} (${redis.source}).`,
    rows: GROUPS.flatMap((subjects, i) => httpRows(subjects, measured[i] as Measured)),
    notes: GROUPS.map((subjects, i) => httpNote(subjects, measured[i] as Measured)),
  };
}
