import { z } from 'zod';
import { toPositiveMs, type DurationBounds } from '../duration/positive-ms.js';
import { StrataConfigError } from '../errors/strata-config.error.js';
import { configErrorOf } from './config-error-of.js';
import { DEFAULT_MAX_VALUE_BYTES, MAX_VALUE_BYTES_LIMIT } from '../codec/value-size.js';
import { LIFETIME_BOUNDS, TIMER_BOUNDS } from '../ttl/ttl-limits.js';
import type { Cluster, Redis } from 'ioredis';
import { isLegacyCacheSource, type LegacyCacheSource } from './legacy-cache.source.js';
import type { CacheStackOptions, RedisOptions } from './cache-stack.options.js';
import {
  busSchema,
  leaseSchema,
  resolveBus,
  resolveLease,
  type ResolvedBusOptions,
  type ResolvedLeaseOptions,
} from './resolve-bus-options.js';
import {
  compressionSchema,
  encryptionSchema,
  resolveAtRest,
  type ResolvedAtRestOptions,
} from './resolve-at-rest-options.js';
import {
  resolveStaleReads,
  staleReadSchemaShape,
  type ResolvedStaleReads,
} from './resolve-stale-read-options.js';

/** {@link CacheStackOptions} validated, with defaults applied and durations in ms. */
export interface ResolvedStackOptions {
  readonly prefix: string;
  readonly ttlMs: number;
  readonly nullTtlMs: number;
  readonly jitter: number;
  readonly maxKeyLength: number;
  /** Largest encoded value stored, in UTF-8 bytes (see `maxValueBytes`). */
  readonly maxValueBytes: number;
  readonly shareReferences: boolean;
  /** Compression and encryption of values at rest. */
  readonly atRest: ResolvedAtRestOptions;
  readonly l1: { readonly maxEntries: number; readonly maxBytes: number; readonly ttlMs: number } | undefined;
  readonly redis:
    | {
        readonly url: string | undefined;
        readonly client: RedisOptions['client'];
        readonly sentinel: RedisOptions['sentinel'];
        readonly cluster: RedisOptions['cluster'];
        readonly commandTimeoutMs: number;
        readonly connectTimeoutMs: number;
        readonly failOnUnavailable: boolean;
      }
    | undefined;
  readonly breaker: { readonly failureThreshold: number; readonly breakDurationMs: number };
  /** Present when Redis is configured and the bus is not turned off. */
  readonly bus: ResolvedBusOptions | undefined;
  /** Present when Redis is configured and leases are not turned off. */
  readonly lease: ResolvedLeaseOptions | undefined;
  readonly tombstoneTtlMs: number;
  /** Whether key and tag reads are tracked and key changes recorded (see `dependencies`). */
  readonly dependencies: boolean;
  /** Least life of a key's change time in Redis (see `dependencyTtl`). */
  readonly dependencyTtlMs: number;
  /** The legacy cache an L2 miss reads before its loader (see `migrateFrom`); Redis is set with it. */
  readonly migrateFrom: LegacyCacheSource | undefined;
  // --- stale reads (resolve-stale-read-options.ts) ---
  /** Grace, stale-while-revalidate, loader timeouts, early refresh: the stack's defaults. */
  readonly reads: ResolvedStaleReads;
  // --- end stale reads ---
}

/**
 * A duration option: its value is checked and converted to ms by `toPositiveMs` as the options
 * are resolved (lifetimes at most `MAX_TTL_MS`, timers at most `MAX_TIMER_MS`).
 */
const lifetime = z.unknown();
const timerDuration = z.unknown();
const positiveInt = z.number().int().positive();
const redisUrl = z.string().refine(isRedisUrl, {
  message: 'expected a redis:// or rediss:// URL such as "redis://127.0.0.1:6379"',
});

const address = z.strictObject({
  host: z.string().min(1, 'expected a host name or address'),
  port: z.number().int().min(1).max(65_535),
});

const schema = z.strictObject({
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "_", "." or "-"')
    .optional(),
  ttl: lifetime.optional(),
  nullTtl: lifetime.optional(),
  jitter: z.number().min(0).max(1).optional(),
  maxKeyLength: z.number().int().min(128).optional(),
  maxValueBytes: z
    .number()
    .int()
    .positive()
    .max(MAX_VALUE_BYTES_LIMIT, 'expected at most 536870912 (512 MiB, the largest Redis string)')
    .optional(),
  shareReferences: z.boolean().optional(),
  compression: compressionSchema.optional(),
  encryption: encryptionSchema.optional(),
  l1: z
    .union([
      z.literal(false),
      z.strictObject({
        maxEntries: positiveInt.optional(),
        maxBytes: positiveInt.optional(),
        ttl: lifetime.optional(),
      }),
    ])
    .optional(),
  redis: z
    .strictObject({
      url: redisUrl.optional(),
      client: z
        .custom<NonNullable<RedisOptions['client']>>(isRedisClient, 'expected an ioredis Redis or Cluster')
        .optional(),
      sentinel: z
        .strictObject({
          sentinels: z.array(address).min(1, 'expected at least one sentinel { host, port }'),
          name: z.string().min(1, 'expected the monitored primary name'),
          username: z.string().optional(),
          password: z.string().optional(),
          sentinelPassword: z.string().optional(),
          db: z.number().int().min(0).optional(),
        })
        .optional(),
      cluster: z
        .strictObject({
          nodes: z.array(address).min(1, 'expected at least one cluster node { host, port }'),
          username: z.string().optional(),
          password: z.string().optional(),
        })
        .optional(),
      commandTimeout: timerDuration.optional(),
      connectTimeout: timerDuration.optional(),
      failOnUnavailable: z.boolean().optional(),
    })
    .superRefine((redis, context) => {
      const given = (['url', 'client', 'sentinel', 'cluster'] as const).filter(
        (name) => redis[name] !== undefined,
      );
      // `{ url: process.env.REDIS_URL }` with the variable unset must not quietly connect to a
      // default server (a local Redis that happens to run would receive the cache's keys).
      if (given.length === 0) {
        context.addIssue({
          code: 'custom',
          path: ['url'],
          message:
            'give one of url, client, sentinel or cluster, or leave `redis` out for a memory-only cache (is the environment variable holding the URL set?)',
        });
      }
      const second = given[1];
      if (second !== undefined) {
        context.addIssue({
          code: 'custom',
          path: [second],
          message: `give one of url, client, sentinel or cluster (got ${given.join(' and ')})`,
        });
      }
    })
    .optional(),
  breaker: z
    .strictObject({ failureThreshold: positiveInt.optional(), breakDuration: timerDuration.optional() })
    .optional(),
  bus: busSchema.optional(),
  lease: leaseSchema.optional(),
  tombstoneTtl: lifetime.optional(),
  dependencies: z.boolean().optional(),
  dependencyTtl: lifetime.optional(),
  migrateFrom: z
    .custom<LegacyCacheSource>(
      isLegacyCacheSource,
      'expected a legacy cache source such as legacyCacheManagerSource({ client })',
    )
    .optional(),
  // --- stale reads: checked by resolveStaleReads ---
  ...staleReadSchemaShape,
});

/**
 * Validates options and applies defaults. Throws {@link StrataConfigError} naming the first bad
 * option (dotted path) and its value.
 */
export function resolveStackOptions(options: CacheStackOptions = {}): ResolvedStackOptions {
  const parsed = schema.safeParse(options);
  if (!parsed.success) throw configErrorOf(parsed.error, options);
  const given = parsed.data;
  // Adoption happens on an L2 miss and stores into L2: without Redis there is neither.
  if (given.migrateFrom !== undefined && given.redis === undefined) {
    throw new StrataConfigError(
      'migrateFrom',
      given.migrateFrom,
      'needs `redis`: entries are adopted into L2',
    );
  }
  // Durations are converted here, once: the stack reads only the `...Ms` numbers.
  const ms = (
    value: unknown,
    option: string,
    fallback: number,
    bounds: DurationBounds = LIFETIME_BOUNDS,
  ): number => (value === undefined ? fallback : toPositiveMs(value, option, bounds));
  const ttlMs = ms(given.ttl, 'ttl', 300_000);
  const nullTtlMs = ms(given.nullTtl, 'nullTtl', 60_000);
  const l1Given = given.l1 !== undefined && given.l1 !== false;
  const prefix = given.prefix ?? 'strata';
  // Checked with or without Redis, so a bad value fails the boot either way.
  const resolvedBus = resolveBus(options.bus, prefix);
  const resolvedLease = resolveLease(options.lease);
  const bus = given.redis === undefined ? undefined : resolvedBus;
  // With the bus, L1 in front of Redis is the default; without it, only when asked for.
  const l1Wanted = given.redis === undefined || l1Given || (bus !== undefined && given.l1 === undefined);
  const l1Options = given.l1 === false || given.l1 === undefined ? {} : given.l1;
  // Checked even when unused (memory-only), as every other option is.
  const l1TtlMs = ms(l1Options.ttl, 'l1.ttl', bus === undefined ? 10_000 : 60_000);
  return {
    prefix,
    ttlMs,
    nullTtlMs: Math.min(nullTtlMs, ttlMs),
    jitter: given.jitter ?? 0.1,
    maxKeyLength: given.maxKeyLength ?? 512,
    maxValueBytes: given.maxValueBytes ?? DEFAULT_MAX_VALUE_BYTES,
    shareReferences: given.shareReferences ?? false,
    atRest: resolveAtRest(given.compression, options.encryption),
    // Without Redis the memory layer is the store, so `l1: false` cannot turn it off.
    l1: l1Wanted
      ? {
          maxEntries: l1Options.maxEntries ?? 10_000,
          maxBytes: l1Options.maxBytes ?? 64 * 1024 * 1024,
          ttlMs: given.redis === undefined ? Number.POSITIVE_INFINITY : l1TtlMs,
        }
      : undefined,
    redis: given.redis
      ? {
          url: given.redis.url,
          client: given.redis.client,
          sentinel: given.redis.sentinel,
          cluster: given.redis.cluster,
          commandTimeoutMs: ms(given.redis.commandTimeout, 'redis.commandTimeout', 250, TIMER_BOUNDS),
          connectTimeoutMs: ms(given.redis.connectTimeout, 'redis.connectTimeout', 2_000, TIMER_BOUNDS),
          failOnUnavailable: given.redis.failOnUnavailable ?? false,
        }
      : undefined,
    breaker: {
      failureThreshold: given.breaker?.failureThreshold ?? 3,
      breakDurationMs: ms(given.breaker?.breakDuration, 'breaker.breakDuration', 5_000, TIMER_BOUNDS),
    },
    tombstoneTtlMs: ms(given.tombstoneTtl, 'tombstoneTtl', 60_000),
    dependencies: given.dependencies ?? true,
    dependencyTtlMs: ms(given.dependencyTtl, 'dependencyTtl', 600_000),
    migrateFrom: given.migrateFrom,
    // --- stale reads ---
    reads: resolveStaleReads(options),
    bus,
    lease: given.redis === undefined ? undefined : resolvedLease,
  };
}

function isRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Whether `value` looks like an ioredis `Redis` or `Cluster` (checked at boot). */
export function isRedisClient(value: unknown): value is Redis | Cluster {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { defineCommand?: unknown }).defineCommand === 'function' &&
    typeof (value as { status?: unknown }).status === 'string'
  );
}
