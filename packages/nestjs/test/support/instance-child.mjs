// One "instance" of a multi-instance test: a Nest application context with
// `StrataModule.forRoot(options)` and one provider whose `load(key, tags)` method is @Cacheable,
// run as a child process by instance-process.ts (startInstance). Plain JavaScript on the built
// packages (packages/*/dist): no decorators, no TypeScript, so the decorator is applied with
// Reflect.decorate.
//
// Env: STRATA_INSTANCE = JSON of { name, strata, namespace?, ttl?, loadDelayMs?, debug? }, where
// `strata` is the forRoot options as JSON (a Cluster: `strata.redis.cluster: { nodes }`).
//
// Control over Node IPC (the parent forks with serialization 'advanced'):
//   parent -> child  { type: 'command', id, command, args }
//   child -> parent  { type: 'ready', pid } | { type: 'start-error', error }
//                    { type: 'response', id, result } | { type: 'response', id, error }
//                    { type: 'event', event: 'load-start' | 'load-end', key, run, ok? }
// Errors travel as { name, code, message, stack }. Nothing is written on stdout unless `debug`;
// warnings and errors go to stderr, which the parent keeps for its failure messages.
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { engineOf } from '@strata/core/internal';
import { Cacheable, CacheService, STRATA_CACHE_STACK, StrataModule } from '@strata/nestjs';

const config = JSON.parse(process.env.STRATA_INSTANCE ?? '{}');
const name = String(config.name ?? `pid-${process.pid}`);
const namespace = config.namespace ?? undefined;
const debug = config.debug === true;

/** Nest's log lines: warnings and errors on stderr (kept by the parent), the rest only when debugging. */
const logger = {
  log: (message, context) => debug && process.stdout.write(`[${name}] ${context ?? ''} ${message}\n`),
  warn: (message, context) => process.stderr.write(`[${name}] WARN ${context ?? ''} ${message}\n`),
  error: (message, ...rest) => process.stderr.write(`[${name}] ERROR ${message} ${rest.join(' ')}\n`),
  debug: (message, context) => debug && process.stdout.write(`[${name}] ${context ?? ''} ${message}\n`),
  verbose: () => {},
};

const send = (message) =>
  new Promise((resolve) => {
    if (!process.connected) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });

const errorInfo = (error) =>
  error instanceof Error
    ? { name: error.name, code: error.code, message: error.message, stack: error.stack }
    : { name: 'Error', code: undefined, message: String(error), stack: undefined };

/** The data source behind the cached method, and what it did. */
class InstanceService {
  /** key -> { value, version }: what the loader returns, changed by setSourceValue. */
  source = new Map();
  /** key -> loader runs started. */
  runs = new Map();
  inFlight = new Map();
  loadDelayMs = Number(config.loadDelayMs ?? 0);
  /** Sleeping loads, so releaseLoads (and close) can end them early. */
  sleeping = new Set();

  async load(key, _tags) {
    const run = (this.runs.get(key) ?? 0) + 1;
    this.runs.set(key, run);
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    void send({ type: 'event', event: 'load-start', key, run });
    let ok = false;
    try {
      if (this.loadDelayMs > 0) await this.sleep(this.loadDelayMs);
      const { value, version } = this.source.get(key) ?? { value: null, version: 0 };
      ok = true;
      return { instance: name, key, version, value, run };
    } finally {
      const left = (this.inFlight.get(key) ?? 1) - 1;
      if (left === 0) this.inFlight.delete(key);
      else this.inFlight.set(key, left);
      void send({ type: 'event', event: 'load-end', key, run, ok });
    }
  }

  sleep(ms) {
    return new Promise((resolve) => {
      const sleeper = {
        wake: () => {
          clearTimeout(sleeper.timer);
          this.sleeping.delete(sleeper);
          resolve();
        },
        timer: undefined,
      };
      sleeper.timer = setTimeout(sleeper.wake, ms);
      this.sleeping.add(sleeper);
    });
  }

  /** Ends every sleeping load now; returns how many there were. */
  release() {
    const sleepers = [...this.sleeping];
    for (const sleeper of sleepers) sleeper.wake();
    return sleepers.length;
  }

  setSource(key, value) {
    const version = (this.source.get(key)?.version ?? 0) + 1;
    this.source.set(key, { value, version });
    return version;
  }
}

// @Cacheable({ key: (key) => key, tags: (key, tags) => tags ?? [], namespace, ttl }) on load().
Object.defineProperty(
  InstanceService.prototype,
  'load',
  Reflect.decorate(
    [
      Cacheable({
        key: (key) => key,
        tags: (_key, tags) => tags ?? [],
        ...(namespace === undefined ? {} : { namespace }),
        ...(config.ttl === undefined ? {} : { ttl: config.ttl }),
      }),
    ],
    InstanceService.prototype,
    'load',
    Object.getOwnPropertyDescriptor(InstanceService.prototype, 'load'),
  ),
);

// JSON options as given: a Cluster or Sentinel setup is `redis.cluster` / `redis.sentinel`,
// which Strata turns into a client it owns (and closes).
const strataOptions = config.strata ?? {};

class InstanceModule {}
Module({ imports: [StrataModule.forRoot(strataOptions)], providers: [InstanceService] })(InstanceModule);

let app;
let closing = false;
const counters = { l1Hits: 0, l2Hits: 0, misses: 0, l2Errors: 0 };

// The parent went away (vitest worker ended, crashed or was killed): nothing can drive us anymore.
process.on('disconnect', () => {
  if (!closing) process.exit(1);
});

try {
  app = await NestFactory.createApplicationContext(InstanceModule, { logger, abortOnError: false });
} catch (error) {
  process.stderr.write(`[${name}] failed to start: ${error?.stack ?? error}\n`);
  await send({ type: 'start-error', error: errorInfo(error) });
  process.exit(1);
}

const service = app.get(InstanceService);
const cache = app.get(CacheService);
const stack = app.get(STRATA_CACHE_STACK);
stack.events.on('hit', ({ layer }) => (layer === 'l1' ? counters.l1Hits++ : counters.l2Hits++));
stack.events.on('miss', () => counters.misses++);
stack.events.on('l2:error', () => counters.l2Errors++);

const withNamespace = (options) => ({
  ...(namespace === undefined ? {} : { namespace }),
  ...(options ?? {}),
});

async function close() {
  closing = true;
  service.release();
  await app.close();
}

const commands = {
  get: (key, options) => service.load(key, options?.tags),
  peek: (key, options) => {
    const value = stack.peek(key, withNamespace(options).namespace);
    return typeof value === 'symbol' ? undefined : value;
  },
  cacheGet: (key, options) => cache.get(key, withNamespace(options)),
  set: (key, value, options) => cache.set(key, value, withNamespace(options)),
  delete: (keys, options) => cache.delete(keys, withNamespace(options)),
  invalidateTags: (tags) => cache.invalidateTags(tags),
  invalidateNamespace: (ns) => cache.invalidateNamespace(ns),
  setSourceValue: (key, value) => service.setSource(key, value),
  setLoadDelay: (ms) => {
    service.loadDelayMs = Number(ms);
  },
  releaseLoads: () => service.release(),
  stats: () => ({
    name,
    pid: process.pid,
    runs: Object.fromEntries(service.runs),
    totalRuns: [...service.runs.values()].reduce((sum, n) => sum + n, 0),
    inFlight: Object.fromEntries(service.inFlight),
    loadDelayMs: service.loadDelayMs,
    l1: engineOf(stack).l1 !== undefined,
    l2Available: stack.l2Available,
    redisStatus: engineOf(stack).redisClient?.status,
    breaker: stack.breakerState,
    busConnected: engineOf(stack).bus?.connected,
    ...counters,
  }),
  close,
};

process.on('message', async (message) => {
  if (message?.type !== 'command') return;
  const { id, command, args = [] } = message;
  const handler = commands[command];
  let reply;
  try {
    if (handler === undefined) {
      throw Object.assign(new Error(`unknown command "${command}"`), { code: 'E_UNKNOWN_COMMAND' });
    }
    if (closing && command !== 'close') {
      throw Object.assign(new Error(`instance ${name} is closing`), { code: 'E_CLOSING' });
    }
    reply = { type: 'response', id, result: await handler(...args) };
  } catch (error) {
    reply = { type: 'response', id, error: errorInfo(error) };
  }
  try {
    await send(reply);
  } catch (error) {
    // A result structured clone cannot carry (a function, a class instance with private state).
    await send({ type: 'response', id, error: errorInfo(error) });
  }
  if (command === 'close') {
    process.disconnect();
    // Every handle should be gone now and the process end by itself. If not, say which remain.
    setTimeout(() => {
      process.stderr.write(
        `[${name}] still running 2 s after close; active resources: ${process.getActiveResourcesInfo().join(', ')}\n`,
      );
      process.exit(3);
    }, 2_000).unref();
  }
});

await send({ type: 'ready', pid: process.pid });
