import { type ChildHandle, closeAll, startChildren } from '../child-process.js';
import type { HttpServerCommands, ServerStats } from '../children/http-server.js';
import { runLoad } from '../http/http-load.js';
import {
  answersFromCache,
  type HttpAdapterKind,
  type HttpSubject,
  PRODUCT_PATH,
  usesRedis,
} from '../http/http-subjects.js';
import { collectGarbage } from '../measure.js';
import type { BenchRedis } from '../redis.js';
import { ratioRow, type ResultRow, type ScenarioResult } from '../report.js';
import { median } from '../stats.js';
import { VALUE_JSON } from '../value.js';

const CONNECTIONS = 50;

/** One adapter's subjects, the first being the bare route, and how long they are loaded. */
interface Group {
  readonly adapter: HttpAdapterKind;
  readonly subjects: readonly HttpSubject[];
  readonly warmupSeconds: number;
  readonly roundSeconds: number;
  readonly rounds: number;
}

const subject = (adapter: HttpAdapterKind, stack: HttpSubject['stack'], what: string): HttpSubject => ({
  adapter,
  stack,
  name: `${adapter === 'express' ? 'Express' : 'Fastify'}: ${what}`,
});

const EXPRESS: Group = {
  adapter: 'express',
  subjects: [
    subject('express', 'bare', 'bare route'),
    subject('express', 'strata-memory', '@HttpCache, memory'),
    subject('express', 'strata-redis', '@HttpCache, Redis only (l1: false)'),
    subject('express', 'cm-memory', 'CacheInterceptor, memory'),
    subject('express', 'cm-redis', 'CacheInterceptor + @keyv/redis'),
    subject('express', 'floor-interceptor', 'reference: interceptor answering a constant'),
    subject('express', 'noop-interceptor', 'reference: bare route + no-op interceptor'),
  ],
  warmupSeconds: 2,
  roundSeconds: 2,
  rounds: 10,
};

// Fastify is reported for context (the targets are on Express): fewer, shorter rounds.
const FASTIFY: Group = {
  adapter: 'fastify',
  subjects: [
    subject('fastify', 'bare', 'bare route'),
    subject('fastify', 'strata-memory', '@HttpCache, memory'),
    subject('fastify', 'strata-shared', '@HttpCache, memory, shareReferences: true'),
    subject('fastify', 'strata-redis', '@HttpCache, Redis only (l1: false)'),
  ],
  warmupSeconds: 1.5,
  roundSeconds: 1.5,
  rounds: 4,
};

const formatRps = (perSecond: number): string => `${Math.round(perSecond).toLocaleString('en-US')} req/s`;

interface Server {
  readonly subject: HttpSubject;
  readonly child: ChildHandle<HttpServerCommands>;
  readonly url: string;
}

/** What the group's rounds measured, by subject name. */
interface Measured {
  readonly rps: Map<string, number[]>;
  /** Server CPU during each run, as a fraction of one core. */
  readonly serverCpu: Map<string, number[]>;
  /** Server CPU time per request in each run, µs (user and system, so the kernel's cost of each write too). */
  readonly cpuPerRequest: Map<string, number[]>;
  /** Load generator CPU during each run, as a fraction of one core. */
  readonly generatorCpu: Map<string, number[]>;
  readonly requests: Map<string, number>;
  readonly stats: Map<string, ServerStats>;
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

async function startServers(group: Group, redis: BenchRedis): Promise<Server[]> {
  const children = await startChildren<HttpServerCommands>(
    'http-server',
    `http-${group.adapter}`,
    group.subjects.length,
  );
  try {
    const target = { url: redis.url, prefix: redis.prefix };
    const ports = await Promise.all(
      group.subjects.map((s, i) =>
        (children[i] as ChildHandle<HttpServerCommands>).request(
          'start',
          s,
          usesRedis(s.stack) ? target : undefined,
        ),
      ),
    );
    return group.subjects.map((s, i) => ({
      subject: s,
      child: children[i] as ChildHandle<HttpServerCommands>,
      url: `http://127.0.0.1:${ports[i] as number}${PRODUCT_PATH}`,
    }));
  } catch (error) {
    await closeAll(children);
    throw error;
  }
}

async function measure(group: Group, servers: readonly Server[]): Promise<Measured> {
  const names = servers.map((s) => s.subject.name);
  const fresh = (): Map<string, number[]> => new Map(names.map((n) => [n, []]));
  const measured: Measured = {
    rps: fresh(),
    serverCpu: fresh(),
    cpuPerRequest: fresh(),
    generatorCpu: fresh(),
    requests: new Map(names.map((n) => [n, 0])),
    stats: new Map(),
  };
  for (const server of servers) await verify(server);
  for (const server of servers) await runLoad(server.url, CONNECTIONS, group.warmupSeconds);
  for (let round = 0; round < group.rounds; round++) {
    const shift = round % servers.length;
    for (const server of [...servers.slice(shift), ...servers.slice(0, shift)]) {
      const name = server.subject.name;
      collectGarbage();
      const before = await server.child.request('stats');
      const started = performance.now();
      const run = await runLoad(server.url, CONNECTIONS, group.roundSeconds);
      const seconds = (performance.now() - started) / 1000;
      const after = await server.child.request('stats');
      measured.rps.get(name)?.push(run.rps);
      measured.serverCpu.get(name)?.push((after.cpuMicros - before.cpuMicros) / 1e6 / seconds);
      measured.cpuPerRequest.get(name)?.push((after.cpuMicros - before.cpuMicros) / run.requests);
      measured.generatorCpu.get(name)?.push(run.generatorCpu);
      measured.requests.set(name, (measured.requests.get(name) ?? 0) + run.requests);
    }
  }
  for (const server of servers) {
    const stats = await server.child.request('stats');
    measured.stats.set(server.subject.name, stats);
    // A cached route that runs its handler for more than 1 % of requests is not measuring hits
    // (expected: about one run per expiry of the 1-minute entry, up to 50 for CacheInterceptor).
    const requests = measured.requests.get(server.subject.name) ?? 0;
    if (answersFromCache(server.subject.stack) && stats.handlerRuns > requests / 100) {
      throw new Error(
        `${server.subject.name}: the handler ran ${stats.handlerRuns} times for ${requests} requests`,
      );
    }
  }
  return measured;
}

async function runGroup(group: Group, redis: BenchRedis): Promise<Measured> {
  const servers = await startServers(group, redis);
  try {
    return await measure(group, servers);
  } finally {
    await closeAll(servers.map((s) => s.child));
  }
}

function rows(
  group: Group,
  measured: Measured,
  targets: Partial<Record<HttpSubject['stack'], number>>,
): ResultRow[] {
  const [bare, ...cached] = group.subjects as [HttpSubject, ...HttpSubject[]];
  return cached.map((s) => {
    const target = targets[s.stack];
    return ratioRow(
      '11',
      measured.rps,
      s.name,
      bare.name,
      target === undefined ? undefined : { op: '>=', value: target },
      formatRps,
    );
  });
}

function cpuNote(group: Group, measured: Measured): string {
  const at = (m: Map<string, number[]>, name: string): number => median(m.get(name) ?? [0]);
  const parts = group.subjects.map((s) => {
    const runs = measured.stats.get(s.name)?.handlerRuns ?? 0;
    const server = Math.round(at(measured.serverCpu, s.name) * 100);
    const generator = Math.round(at(measured.generatorCpu, s.name) * 100);
    const perRequest = at(measured.cpuPerRequest, s.name).toFixed(0);
    return `${s.name}: ${perRequest} µs, server ${server} %, generator ${generator} %, handler runs ${runs.toLocaleString('en-US')}`;
  });
  return `Server CPU time per request (median over the rounds; user and system: a write costs the kernel more when the load generator sleeps between responses, so a route that answers in batches, as the Redis ones do after each burst of Redis replies, can cost less per request than one answering each request at once), CPU use of the server and of the load generator in % of one core, and handler runs over the whole scenario. ${parts.join('; ')}.`;
}

/**
 * Scenario 11: requests per second of a cached route against the bare route returning the same
 * object, over HTTP with 50 connections, Strata's HttpCacheInterceptor beside @nestjs/cache-manager's
 * CacheInterceptor.
 */
export async function httpCacheScenario(redis: BenchRedis): Promise<ScenarioResult> {
  const express = await runGroup(EXPRESS, redis);
  const fastify = await runGroup(FASTIFY, redis);
  const describeGroup = (g: Group): string =>
    `${g.adapter}: one ${g.warmupSeconds} s warm-up run per subject, then ${g.rounds} rounds of ${g.roundSeconds} s per subject`;
  return {
    title: `11. Cached HTTP route vs bare route, ${CONNECTIONS} connections`,
    method: `Each subject is a Nest app (logger off) in its own child process, serving GET ${PRODUCT_PATH} whose handler returns the ~1 KB object of value.ts (${VALUE_JSON.length} bytes of JSON): bare; under Strata's HttpCacheInterceptor (global, @HttpCache({ ttl: '1m' }), HttpCacheModule) with StrataModule.forRoot defaults (memory), with shareReferences: true (Fastify only: L1 hands out the stored entry instead of decoding a copy per hit), or with Redis as the only layer (l1: false); under @nestjs/cache-manager 12's CacheInterceptor (global APP_INTERCEPTOR, @CacheTTL(60000)) with cache-manager 7's default memory store, or with a @keyv/redis store. Two references on Express, not caches, bound what any interceptor can reach: the bare route behind a global interceptor returning next.handle() (Nest's interceptor pipeline alone), and a global interceptor answering every request with the value's JSON computed once and the five headers a Strata hit sends (Content-Type, a strong ETag, Cache-Control, Age, X-Cache), the least an interceptor serving from a cache can do. Before timing, every subject's second response is checked: status 200, the value's JSON byte for byte, application/json, and X-Cache: HIT for the cached ones. The load generator is autocannon 9 in the bench process (not the servers' event loop): ${CONNECTIONS} keep-alive connections, one request in flight each; any error, timeout or non-2xx fails the scenario. ${describeGroup(EXPRESS)}; ${describeGroup(FASTIFY)}; subjects alternate within a round (order rotating). Value: median completed requests per second; ratio: subject / bare route of the same adapter (≥ target is good), with the interquartile range of the per-round ratios. Targets on Express; Fastify rows are for context. 2 cores: server, load generator and Redis compete for them. Redis ${redis.version} (${redis.source}).`,
    rows: [
      ...rows(EXPRESS, express, { 'strata-memory': 1, 'strata-redis': 0.9 }),
      ...rows(FASTIFY, fastify, {}),
    ],
    notes: [cpuNote(EXPRESS, express), cpuNote(FASTIFY, fastify)],
  };
}
