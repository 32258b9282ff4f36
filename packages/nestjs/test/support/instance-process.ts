import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Duration, GetOptions, ReadOptions, WriteOptions } from '@strata/core';
import type { RedisOptions } from '@strata/core/internal';
import type { StrataModuleOptions } from '../../src/module/strata-module.options.js';
import { afterAll, afterEach, beforeEach } from 'vitest';

// Parent side of multi-instance tests: each instance is a child process (instance-child.mjs)
// running a Nest application context on the built packages, driven over Node IPC.

const CHILD_SCRIPT = fileURLToPath(new URL('./instance-child.mjs', import.meta.url));
const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
/** The command that builds what the children import. */
export const BUILD_COMMAND = 'npx -y pnpm@10.34.9 -r build';

/**
 * The Redis options an instance can be given across a process boundary: JSON only, so no
 * `client`; a Cluster or Sentinel setup is Strata's own `cluster` / `sentinel` option.
 */
export type InstanceRedisOptions = Omit<RedisOptions, 'client'>;

/**
 * `StrataModule.forRoot` options of an instance. Every `StrataModuleOptions` field is passed
 * through as JSON (so new options, such as those of the invalidation bus, work as soon as they
 * are in the built package), except `redis`, see {@link InstanceRedisOptions}.
 */
export interface InstanceStrataOptions extends Omit<StrataModuleOptions, 'redis'> {
  readonly redis?: InstanceRedisOptions;
}

/** Options of {@link startInstance}. */
export interface StartInstanceOptions {
  /** The module options (JSON-serialisable). */
  readonly strata: InstanceStrataOptions;
  /** Shown in errors and in loaded values. @default `instance-<n>` */
  readonly name?: string;
  /**
   * Namespace of the cached method's entries, and the default of every key command (`peek`,
   * `cacheGet`, `set`, `delete`) so they address the entries `get` caches.
   * @default the module's default namespace
   */
  readonly namespace?: string;
  /** `@Cacheable({ ttl })` of the cached method. @default the module's `ttl` */
  readonly ttl?: Duration;
  /** Initial loader delay in ms (see {@link InstanceHandle.setLoadDelay}). @default 0 */
  readonly loadDelayMs?: number;
  /** Default time limit of each command, in ms. @default 10_000 */
  readonly commandTimeoutMs?: number;
  /** Time limit of the boot (fork to `ready`), in ms. @default 20_000 */
  readonly startTimeoutMs?: number;
  /** Extra environment variables of the child. */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Nest's log lines and the child's stdout on this process's stdout. Also on with the
   * environment variable `STRATA_INSTANCE_DEBUG=1`.
   * @default false
   */
  readonly debug?: boolean;
}

/** What the cached method returns when it runs: who loaded it, and the source's version then. */
export interface LoadedValue<T = unknown> {
  /** Name of the instance whose loader ran. */
  readonly instance: string;
  readonly key: string;
  /** The key's source version in that instance: 0 until `setSourceValue`, then 1, 2, … */
  readonly version: number;
  /** The source value (`null` until `setSourceValue`). */
  readonly value: T | null;
  /** Which run of this instance's loader for this key produced it (1 = the first). */
  readonly run: number;
}

/** Counters of one instance, from {@link InstanceHandle.stats}. */
export interface InstanceStats {
  readonly name: string;
  readonly pid: number;
  /** Loader runs started, per key. */
  readonly runs: Readonly<Record<string, number>>;
  readonly totalRuns: number;
  /** Loader runs not yet finished, per key (keys with none are absent). */
  readonly inFlight: Readonly<Record<string, number>>;
  readonly loadDelayMs: number;
  /** Whether the stack has an L1. */
  readonly l1: boolean;
  readonly l2Available: boolean;
  /** The command connection's ioredis status (`ready`, `reconnecting`, …). */
  readonly redisStatus: string | undefined;
  /** The L2 circuit breaker's state. */
  readonly breaker: 'closed' | 'open' | 'half-open' | undefined;
  /** Whether the invalidation bus is subscribed (always `true` without L1). */
  readonly busConnected: boolean | undefined;
  /** Stack `hit` events from L1 and from L2, `miss` events and `l2:error` events. */
  readonly l1Hits: number;
  readonly l2Hits: number;
  readonly misses: number;
  readonly l2Errors: number;
}

/** How an instance's process ended. */
export interface InstanceExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Error of the child as it crossed the process boundary. */
export interface RemoteErrorInfo {
  readonly name: string;
  readonly code?: string;
  readonly message: string;
  readonly stack?: string;
}

/** Why an instance call failed. */
export type InstanceErrorCode =
  /** The package build the children import is missing or older than its sources. */
  | 'E_NO_BUILD'
  /** The child failed to boot, or did not report ready in time. */
  | 'E_START'
  /** The command threw in the child: see `remote`. */
  | 'E_COMMAND'
  /** No answer within the command's time limit. */
  | 'E_TIMEOUT'
  /** The process exited (or was killed) before answering. */
  | 'E_EXITED';

/** Every failure of the harness: a code, the instance, and the tail of the child's stderr. */
export class InstanceError extends Error {
  override readonly name = 'InstanceError';

  constructor(
    readonly code: InstanceErrorCode,
    message: string,
    /** The child's error, for `E_COMMAND` and a failed boot. */
    readonly remote?: RemoteErrorInfo,
  ) {
    super(message);
  }
}

/** Per-call options of {@link InstanceHandle.request}. */
export interface RequestOptions {
  /** @default the instance's `commandTimeoutMs` */
  readonly timeoutMs?: number;
}

/** A running instance: typed commands over IPC. Every command rejects with an {@link InstanceError}. */
export interface InstanceHandle {
  readonly name: string;
  readonly pid: number;
  /** Milliseconds from fork to `ready` (process start, imports, Nest boot, Redis connect). */
  readonly startupMs: number;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<InstanceExit>;
  /** Set once the process has exited. */
  readonly exit: InstanceExit | undefined;
  /** Calls the `@Cacheable` method: a hit, or a load by this instance's loader. */
  get<T = LoadedValue>(key: string, options?: { readonly tags?: readonly string[] }): Promise<T>;
  /** The L1 alone (`stack.peek`): `undefined` on a miss or without L1. Never touches Redis. */
  peek<T = LoadedValue>(key: string, options?: ReadOptions): Promise<T | undefined>;
  /** `CacheService.get`: L1, then Redis, never the loader; `undefined` on a miss. */
  cacheGet<T = LoadedValue>(key: string, options?: GetOptions): Promise<T | undefined>;
  /** `CacheService.set`. */
  set(key: string, value: unknown, options?: WriteOptions): Promise<void>;
  /** `CacheService.delete`. */
  delete(keys: string | readonly string[], options?: ReadOptions): Promise<void>;
  /** `CacheService.invalidateTags`. */
  invalidateTags(tags: readonly string[]): Promise<void>;
  /** `CacheService.invalidateNamespace`. */
  invalidateNamespace(namespace: string): Promise<void>;
  /** Sets what this instance's loader returns for `key`; resolves to the key's new version. */
  setSourceValue(key: string, value: unknown): Promise<number>;
  /** Makes every later loader run take `ms` (0: none). A run already sleeping keeps its delay. */
  setLoadDelay(ms: number): Promise<void>;
  /** Ends every sleeping loader run now; resolves to how many there were. */
  releaseLoads(): Promise<number>;
  /** Loader runs and stack counters. */
  stats(): Promise<InstanceStats>;
  /** Loader runs of `key` started so far, as reported by the child (events arrive before responses). */
  loadsStarted(key: string): number;
  /** Resolves once this instance's loader has started `count` runs of `key` in total. */
  waitForLoadStart(key: string, count?: number, timeoutMs?: number): Promise<void>;
  /** Sends any command the child knows (for commands added to the child before this handle). */
  request<R = unknown>(command: string, args?: readonly unknown[], options?: RequestOptions): Promise<R>;
  /** The last lines the child wrote on stderr. */
  stderr(): string;
  /**
   * Graceful: `app.close()` (and the cluster client's quit), then the process must end by itself
   * within 2 s; rejects (after a SIGKILL) if it does not, naming the handles left open.
   */
  close(options?: RequestOptions): Promise<InstanceExit>;
  /** Sends a signal; resolves when the process has exited. */
  kill(signal?: NodeJS.Signals): Promise<InstanceExit>;
}

interface Pending {
  readonly describe: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: InstanceError) => void;
  readonly timer: NodeJS.Timeout;
}

interface LoadWaiter {
  readonly key: string;
  readonly count: number;
  readonly resolve: () => void;
  readonly reject: (error: InstanceError) => void;
  readonly timer: NodeJS.Timeout;
}

const running = new Set<InstanceProcess>();
/** Instances started inside a test or a `beforeEach` (killed after that test). */
const testScoped = new WeakSet<InstanceProcess>();
let started = 0;
/** Set by {@link useInstances}' hooks while a test (with its `beforeEach`/`afterEach`) runs. */
let insideTest = false;
let exitHookInstalled = false;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

function remoteError(value: unknown): RemoteErrorInfo {
  if (!isRecord(value)) return { name: 'Error', message: String(value) };
  return {
    name: typeof value['name'] === 'string' ? value['name'] : 'Error',
    code: typeof value['code'] === 'string' ? value['code'] : undefined,
    message: typeof value['message'] === 'string' ? value['message'] : String(value['message']),
    stack: typeof value['stack'] === 'string' ? value['stack'] : undefined,
  };
}

function describeExit(exit: InstanceExit): string {
  return exit.signal ? `killed by ${exit.signal}` : `exited with code ${String(exit.code)}`;
}

/** The call as text for error messages: trailing `undefined` arguments left out, long values cut. */
function argText(args: readonly unknown[]): string {
  let end = args.length;
  while (end > 0 && args[end - 1] === undefined) end--;
  const text = args
    .slice(0, end)
    .map((arg) => {
      try {
        return JSON.stringify(arg) ?? String(arg);
      } catch {
        return String(arg);
      }
    })
    .join(', ');
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}

class StderrTail {
  private text = '';
  constructor(private readonly maxChars = 4_000) {}
  push(chunk: string): void {
    this.text = (this.text + chunk).slice(-this.maxChars);
  }
  toString(): string {
    return this.text.trim();
  }
}

class InstanceProcess implements InstanceHandle {
  readonly name: string;
  readonly exited: Promise<InstanceExit>;
  startupMs = 0;
  exit: InstanceExit | undefined;
  private readonly tail = new StderrTail();
  private readonly pending = new Map<number, Pending>();
  private readonly loadStarts = new Map<string, number>();
  private readonly loadWaiters = new Set<LoadWaiter>();
  private readonly commandTimeoutMs: number;
  private nextId = 1;

  constructor(
    private readonly child: ChildProcess,
    name: string,
    commandTimeoutMs: number,
  ) {
    this.name = name;
    this.commandTimeoutMs = commandTimeoutMs;
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => this.tail.push(chunk));
    this.exited = new Promise<InstanceExit>((resolve) => {
      // 'close', not 'exit': stdio has ended too, so the stderr tail is complete.
      child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        const exit = { code, signal };
        this.exit = exit;
        running.delete(this);
        this.failAll(exit);
        resolve(exit);
      });
    });
    child.on('message', (message: unknown) => this.onMessage(message));
    // Spawn failures (no node binary, EAGAIN) also end as 'exit' or reject the start; keep quiet.
    child.on('error', () => {});
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  stderr(): string {
    return this.tail.toString();
  }

  /** The stderr tail, formatted for an error message. */
  stderrNote(): string {
    const text = this.stderr();
    return text === '' ? ' (stderr: empty)' : `\n--- stderr of ${this.name} (last lines) ---\n${text}`;
  }

  get<T = LoadedValue>(key: string, options?: { readonly tags?: readonly string[] }): Promise<T> {
    return this.request<T>('get', options === undefined ? [key] : [key, options]);
  }

  peek<T = LoadedValue>(key: string, options?: ReadOptions): Promise<T | undefined> {
    return this.request<T | undefined>('peek', [key, options]);
  }

  cacheGet<T = LoadedValue>(key: string, options?: GetOptions): Promise<T | undefined> {
    return this.request<T | undefined>('cacheGet', [key, options]);
  }

  async set(key: string, value: unknown, options?: WriteOptions): Promise<void> {
    await this.request('set', [key, value, options]);
  }

  async delete(keys: string | readonly string[], options?: ReadOptions): Promise<void> {
    await this.request('delete', [keys, options]);
  }

  async invalidateTags(tags: readonly string[]): Promise<void> {
    await this.request('invalidateTags', [tags]);
  }

  async invalidateNamespace(namespace: string): Promise<void> {
    await this.request('invalidateNamespace', [namespace]);
  }

  setSourceValue(key: string, value: unknown): Promise<number> {
    return this.request<number>('setSourceValue', [key, value]);
  }

  async setLoadDelay(ms: number): Promise<void> {
    await this.request('setLoadDelay', [ms]);
  }

  releaseLoads(): Promise<number> {
    return this.request<number>('releaseLoads');
  }

  stats(): Promise<InstanceStats> {
    return this.request<InstanceStats>('stats');
  }

  loadsStarted(key: string): number {
    return this.loadStarts.get(key) ?? 0;
  }

  waitForLoadStart(key: string, count = 1, timeoutMs = this.commandTimeoutMs): Promise<void> {
    if (this.loadsStarted(key) >= count) return Promise.resolve();
    if (this.exit) return Promise.reject(this.exitedError(`waitForLoadStart("${key}")`, this.exit));
    return new Promise<void>((resolve, reject) => {
      const waiter: LoadWaiter = {
        key,
        count,
        resolve: () => {
          clearTimeout(waiter.timer);
          this.loadWaiters.delete(waiter);
          resolve();
        },
        reject: (error) => {
          clearTimeout(waiter.timer);
          this.loadWaiters.delete(waiter);
          reject(error);
        },
        timer: setTimeout(() => {
          waiter.reject(
            new InstanceError(
              'E_TIMEOUT',
              `instance ${this.name}: its loader did not start run ${count} of "${key}" within ${timeoutMs} ms ` +
                `(${this.loadsStarted(key)} so far)${this.stderrNote()}`,
            ),
          );
        }, timeoutMs),
      };
      this.loadWaiters.add(waiter);
    });
  }

  request<R = unknown>(
    command: string,
    args: readonly unknown[] = [],
    options: RequestOptions = {},
  ): Promise<R> {
    const describe = `${command}(${argText(args)})`;
    if (this.exit) return Promise.reject(this.exitedError(describe, this.exit));
    const timeoutMs = options.timeoutMs ?? this.commandTimeoutMs;
    const id = this.nextId++;
    return new Promise<R>((resolve, reject) => {
      const settle = (): boolean => {
        const entry = this.pending.get(id);
        if (!entry) return false;
        clearTimeout(entry.timer);
        this.pending.delete(id);
        return true;
      };
      this.pending.set(id, {
        describe,
        resolve: (value) => settle() && resolve(value as R),
        reject: (error) => settle() && reject(error),
        timer: setTimeout(() => {
          if (!settle()) return;
          reject(
            new InstanceError(
              'E_TIMEOUT',
              `instance ${this.name} (pid ${this.pid}): ${describe} got no answer within ${timeoutMs} ms${this.stderrNote()}`,
            ),
          );
        }, timeoutMs),
      });
      try {
        this.child.send({ type: 'command', id, command, args }, (error) => {
          if (error) this.pending.get(id)?.reject(this.sendError(describe, error));
        });
      } catch (error) {
        // Not serialisable (a function, a symbol), or the channel is already closed.
        this.pending.get(id)?.reject(this.sendError(describe, error));
      }
    });
  }

  async close(options: RequestOptions = {}): Promise<InstanceExit> {
    if (this.exit) return this.exit;
    try {
      await this.request('close', [], options);
    } catch (error) {
      if (!this.exit) await this.kill('SIGKILL');
      throw error;
    }
    const exit = await this.exited;
    if (exit.code !== 0) {
      throw new InstanceError(
        'E_EXITED',
        `instance ${this.name} closed but then ${describeExit(exit)} (expected 0)${this.stderrNote()}`,
      );
    }
    return exit;
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<InstanceExit> {
    if (this.exit) return this.exit;
    this.child.kill(signal);
    return this.exited;
  }

  /** Synchronous last resort, for `process.on('exit')`. */
  killNow(): void {
    if (!this.exit) this.child.kill('SIGKILL');
  }

  /** Resolves with the `ready` message, or rejects when the child fails, exits or times out. */
  ready(startTimeoutMs: number, startedAt: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const done = (error?: InstanceError): void => {
        clearTimeout(timer);
        this.child.off('message', onMessage);
        this.child.off('close', onExit);
        if (error) reject(error);
        else resolve();
      };
      const onMessage = (message: unknown): void => {
        if (!isRecord(message)) return;
        if (message['type'] === 'ready') {
          this.startupMs = Math.round(performance.now() - startedAt);
          done();
        } else if (message['type'] === 'start-error') {
          const remote = remoteError(message['error']);
          done(
            new InstanceError(
              'E_START',
              `instance ${this.name} failed to start: ${remote.name}: ${remote.message}${this.stderrNote()}`,
              remote,
            ),
          );
        }
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void => {
        done(
          new InstanceError(
            'E_START',
            `instance ${this.name} ${describeExit({ code, signal })} before it was ready${this.stderrNote()}`,
          ),
        );
      };
      const timer = setTimeout(
        () =>
          done(
            new InstanceError(
              'E_START',
              `instance ${this.name} was not ready within ${startTimeoutMs} ms${this.stderrNote()}`,
            ),
          ),
        startTimeoutMs,
      );
      this.child.on('message', onMessage);
      this.child.once('close', onExit);
    });
  }

  private onMessage(message: unknown): void {
    if (!isRecord(message)) return;
    if (message['type'] === 'response' && typeof message['id'] === 'number') {
      const entry = this.pending.get(message['id']);
      if (!entry) return; // timed out already
      if ('error' in message && message['error'] !== undefined) {
        const remote = remoteError(message['error']);
        entry.reject(
          new InstanceError(
            'E_COMMAND',
            `instance ${this.name}: ${entry.describe} failed: ${remote.name}${remote.code ? ` [${remote.code}]` : ''}: ${remote.message}`,
            remote,
          ),
        );
      } else {
        entry.resolve(message['result']);
      }
    } else if (message['type'] === 'event' && message['event'] === 'load-start') {
      const key = String(message['key']);
      const count = this.loadsStarted(key) + 1;
      this.loadStarts.set(key, count);
      for (const waiter of [...this.loadWaiters]) {
        if (waiter.key === key && count >= waiter.count) waiter.resolve();
      }
    }
  }

  private failAll(exit: InstanceExit): void {
    for (const entry of [...this.pending.values()]) entry.reject(this.exitedError(entry.describe, exit));
    for (const waiter of [...this.loadWaiters]) {
      waiter.reject(this.exitedError(`waitForLoadStart("${waiter.key}")`, exit));
    }
  }

  private exitedError(describe: string, exit: InstanceExit): InstanceError {
    return new InstanceError(
      'E_EXITED',
      `instance ${this.name} (pid ${this.pid}) ${describeExit(exit)}: ${describe} cannot be answered${this.stderrNote()}`,
    );
  }

  private sendError(describe: string, error: unknown): InstanceError {
    if (this.exit) return this.exitedError(describe, this.exit);
    const reason = error instanceof Error ? error.message : String(error);
    return new InstanceError('E_COMMAND', `instance ${this.name}: ${describe} could not be sent: ${reason}`);
  }
}

function newestMtime(dir: string): { path: string; mtimeMs: number } | undefined {
  let newest: { path: string; mtimeMs: number } | undefined;
  for (const entry of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (!entry.isFile() || !entry.name.endsWith('.ts') || entry.name.endsWith('.spec.ts')) continue;
    const path = join(entry.parentPath, entry.name);
    const { mtimeMs } = statSync(path);
    if (!newest || mtimeMs > newest.mtimeMs) newest = { path, mtimeMs };
  }
  return newest;
}

let buildChecked = false;

/**
 * Fails with an {@link InstanceError} `E_NO_BUILD` naming the build command when
 * `packages/core/dist` or `packages/nestjs/dist` is missing or older than its `src` (children run
 * the built packages, not the sources vitest transforms). Set `STRATA_INSTANCE_ALLOW_STALE=1` to
 * skip the age check. Called by {@link startInstance}; checks once per process.
 */
export function assertPackagesBuilt(): void {
  if (buildChecked) return;
  for (const pkg of ['core', 'nestjs']) {
    const entry = join(REPO_ROOT, 'packages', pkg, 'dist', 'index.js');
    if (!existsSync(entry)) {
      throw new InstanceError(
        'E_NO_BUILD',
        `multi-instance tests run the built packages, and ${entry} is missing. Build first: cd ${REPO_ROOT} && ${BUILD_COMMAND}`,
      );
    }
    if (process.env['STRATA_INSTANCE_ALLOW_STALE'] === '1') continue;
    const built = statSync(entry).mtimeMs;
    const newest = newestMtime(join(REPO_ROOT, 'packages', pkg, 'src'));
    if (newest && newest.mtimeMs > built) {
      throw new InstanceError(
        'E_NO_BUILD',
        `multi-instance tests run the built packages, and packages/${pkg}/dist is older than ${relative(REPO_ROOT, newest.path)}. ` +
          `Rebuild: cd ${REPO_ROOT} && ${BUILD_COMMAND} (or set STRATA_INSTANCE_ALLOW_STALE=1)`,
      );
    }
  }
  buildChecked = true;
}

/**
 * Starts one instance: forks instance-child.mjs with the options and waits until its Nest app is
 * initialised. Pair with {@link useInstances} so it is killed after the test.
 *
 * @example
 * ```ts
 * const a = await startInstance({ name: 'A', strata: { prefix, redis: { url: redis.url }, l1: false } });
 * expect(await a.get('k')).toMatchObject({ instance: 'A', version: 0 });
 * ```
 */
export async function startInstance(options: StartInstanceOptions): Promise<InstanceHandle> {
  assertPackagesBuilt();
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    // Last resort for a worker that exits normally with children left (no useInstances).
    process.once('exit', () => {
      for (const instance of running) instance.killNow();
    });
  }
  started++;
  const name = options.name ?? `instance-${started}`;
  const debug = options.debug ?? process.env['STRATA_INSTANCE_DEBUG'] === '1';
  const config = {
    name,
    strata: options.strata,
    namespace: options.namespace,
    ttl: options.ttl,
    loadDelayMs: options.loadDelayMs ?? 0,
    debug,
  };
  const env: NodeJS.ProcessEnv = { ...process.env, ...options.env, STRATA_INSTANCE: JSON.stringify(config) };
  // vitest's worker options (loaders, inspector) are not meant for the children.
  delete env['NODE_OPTIONS'];
  const startedAt = performance.now();
  const child = fork(CHILD_SCRIPT, [], {
    cwd: REPO_ROOT,
    env,
    execArgv: [],
    serialization: 'advanced',
    stdio: ['ignore', debug ? 'inherit' : 'ignore', 'pipe', 'ipc'],
  });
  const instance = new InstanceProcess(child, name, options.commandTimeoutMs ?? 10_000);
  running.add(instance);
  if (insideTest) testScoped.add(instance);
  try {
    await instance.ready(options.startTimeoutMs ?? 20_000, startedAt);
  } catch (error) {
    await instance.kill('SIGKILL');
    throw error;
  }
  return instance;
}

/**
 * Starts `count` instances in parallel with the same options, named `A`, `B`, `C`, … unless
 * `options.name` is given (then `name-1`, `name-2`, …). If one fails to start, the others are
 * killed and the first failure is thrown.
 */
export async function startInstances(
  count: number,
  options: StartInstanceOptions,
): Promise<InstanceHandle[]> {
  const names = Array.from({ length: count }, (_, i) =>
    options.name === undefined
      ? String.fromCharCode(65 + (i % 26)) + (i >= 26 ? String(i) : '')
      : `${options.name}-${i + 1}`,
  );
  const results = await Promise.allSettled(names.map((name) => startInstance({ ...options, name })));
  const failure = results.find((result) => result.status === 'rejected');
  if (failure) {
    await Promise.all(
      results.map((result) => (result.status === 'fulfilled' ? result.value.kill() : undefined)),
    );
    throw failure.reason;
  }
  return results.map((result) => (result as PromiseFulfilledResult<InstanceHandle>).value);
}

/** SIGKILLs every instance still running and resolves when all have exited. */
export async function killAllInstances(): Promise<void> {
  await Promise.all([...running].map((instance) => instance.kill('SIGKILL')));
}

async function killTestInstances(): Promise<void> {
  await Promise.all(
    [...running].filter((instance) => testScoped.has(instance)).map((instance) => instance.kill('SIGKILL')),
  );
}

/**
 * Registers hooks that SIGKILL every instance still running, so no child outlives its test,
 * failed or not: instances started in a test or a `beforeEach` after that test (`afterEach`),
 * instances started in a `beforeAll` (shared by several tests) in `afterAll`. Call it once at
 * the top of the spec file, before any `describe`, so its `beforeEach` runs first and its
 * `afterEach` last. Children also exit on their own when this process ends (their IPC channel
 * closes).
 */
export function useInstances(): void {
  beforeEach(() => {
    insideTest = true;
  });
  afterEach(async () => {
    insideTest = false;
    await killTestInstances();
  });
  afterAll(killAllInstances);
}
