import { z } from 'zod';
import { parseDuration } from '../duration/duration.js';
import { StrataConfigError } from '../errors/strata-config.error.js';
import type { CacheStackOptions, RedisOptions } from './cache-stack.options.js';

/** {@link CacheStackOptions} validated, with defaults applied and durations in ms. */
export interface ResolvedStackOptions {
  readonly prefix: string;
  readonly ttlMs: number;
  readonly nullTtlMs: number;
  readonly jitter: number;
  readonly maxKeyLength: number;
  readonly shareReferences: boolean;
  readonly l1: { readonly maxEntries: number; readonly maxBytes: number; readonly ttlMs: number } | undefined;
  readonly redis:
    | {
        readonly url: string | undefined;
        readonly client: RedisOptions['client'];
        readonly commandTimeoutMs: number;
        readonly connectTimeoutMs: number;
        readonly failOnUnavailable: boolean;
      }
    | undefined;
  readonly breaker: { readonly failureThreshold: number; readonly breakDurationMs: number };
  readonly tombstoneTtlMs: number;
}

const positiveDuration = z.custom<number | string>((value) => (parseDuration(value) ?? 0) > 0, {
  message: 'expected a positive duration: milliseconds or a string such as "250ms" or "5s"',
});
const positiveInt = z.number().int().positive();
const redisUrl = z.string().refine(isRedisUrl, {
  message: 'expected a redis:// or rediss:// URL such as "redis://127.0.0.1:6379"',
});

const schema = z.strictObject({
  prefix: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/, 'use letters, digits, "_", "." or "-"')
    .optional(),
  ttl: positiveDuration.optional(),
  nullTtl: positiveDuration.optional(),
  jitter: z.number().min(0).max(1).optional(),
  maxKeyLength: z.number().int().min(128).optional(),
  shareReferences: z.boolean().optional(),
  l1: z
    .union([
      z.literal(false),
      z.strictObject({
        maxEntries: positiveInt.optional(),
        maxBytes: positiveInt.optional(),
        ttl: positiveDuration.optional(),
      }),
    ])
    .optional(),
  redis: z
    .strictObject({
      url: redisUrl.optional(),
      client: z
        .custom<NonNullable<RedisOptions['client']>>(isRedisClient, 'expected an ioredis Redis or Cluster')
        .optional(),
      commandTimeout: positiveDuration.optional(),
      connectTimeout: positiveDuration.optional(),
      failOnUnavailable: z.boolean().optional(),
    })
    .optional(),
  breaker: z
    .strictObject({ failureThreshold: positiveInt.optional(), breakDuration: positiveDuration.optional() })
    .optional(),
  tombstoneTtl: positiveDuration.optional(),
});

/**
 * Validates options and applies defaults. Throws {@link StrataConfigError} naming the first bad
 * option (dotted path) and its value.
 */
export function resolveStackOptions(options: CacheStackOptions = {}): ResolvedStackOptions {
  const parsed = schema.safeParse(options);
  if (!parsed.success) {
    const issue = innermostIssue(parsed.error.issues[0]);
    const path = issue?.path ?? [];
    const keys = issue?.code === 'unrecognized_keys' ? issue.keys : [];
    const option = [...path, ...keys.slice(0, 1)].map(String).join('.') || '(options)';
    const reason = issue?.code === 'unrecognized_keys' ? 'unknown option' : (issue?.message ?? 'invalid');
    throw new StrataConfigError(option, valueAt(options, [...path, ...keys.slice(0, 1)]), reason);
  }
  const o = parsed.data;
  const ms = (value: number | string | undefined, fallback: number): number =>
    parseDuration(value) ?? fallback;
  const ttlMs = ms(o.ttl, 300_000);
  const l1Given = o.l1 !== undefined && o.l1 !== false;
  const l1Wanted = o.redis === undefined || l1Given;
  const l1Options = o.l1 === false || o.l1 === undefined ? {} : o.l1;
  return {
    prefix: o.prefix ?? 'strata',
    ttlMs,
    nullTtlMs: Math.min(ms(o.nullTtl, 60_000), ttlMs),
    jitter: o.jitter ?? 0.1,
    maxKeyLength: o.maxKeyLength ?? 512,
    shareReferences: o.shareReferences ?? false,
    // Without Redis the memory layer is the store, so `l1: false` cannot turn it off.
    l1: l1Wanted
      ? {
          maxEntries: l1Options.maxEntries ?? 10_000,
          maxBytes: l1Options.maxBytes ?? 64 * 1024 * 1024,
          ttlMs: o.redis === undefined ? Number.POSITIVE_INFINITY : ms(l1Options.ttl, 10_000),
        }
      : undefined,
    redis: o.redis
      ? {
          url: o.redis.url,
          client: o.redis.client,
          commandTimeoutMs: ms(o.redis.commandTimeout, 250),
          connectTimeoutMs: ms(o.redis.connectTimeout, 2_000),
          failOnUnavailable: o.redis.failOnUnavailable ?? false,
        }
      : undefined,
    breaker: {
      failureThreshold: o.breaker?.failureThreshold ?? 3,
      breakDurationMs: ms(o.breaker?.breakDuration, 5_000),
    },
    tombstoneTtlMs: ms(o.tombstoneTtl, 60_000),
  };
}

/**
 * For a union (`l1: false | {…}`) whose branches all failed, zod reports only the union's path:
 * take the branch issue that reached deepest, so the error names `l1.ttl`, not `l1`.
 */
function innermostIssue(issue: z.core.$ZodIssue | undefined): z.core.$ZodIssue | undefined {
  if (issue?.code !== 'invalid_union') return issue;
  let deepest: z.core.$ZodIssue | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first !== undefined && first.path.length > (deepest?.path.length ?? 0)) deepest = first;
  }
  if (deepest === undefined) return issue;
  const inner = innermostIssue(deepest) ?? deepest;
  return { ...inner, path: [...issue.path, ...inner.path] };
}

function isRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

function isRedisClient(value: unknown): boolean {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { defineCommand?: unknown }).defineCommand === 'function' &&
    typeof (value as { status?: unknown }).status === 'string'
  );
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
