import type { CacheStackOptions } from '@strata/core';
import { z } from 'zod';

/** Where the shop keeps its data: embedded PGlite (a folder, or memory), or a PostgreSQL server. */
export type DatabaseConfig =
  | { readonly kind: 'pglite'; readonly dataDir: string | undefined }
  | { readonly kind: 'postgres'; readonly url: string };

/** Log levels accepted by `LOG_LEVEL`, from the most to the least verbose. */
export const LOG_LEVELS = ['verbose', 'debug', 'log', 'warn', 'error', 'fatal'] as const;
/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/**
 * Everything the shop reads from its environment, validated once at boot. Tests build it directly
 * (a PGlite in memory, a small seed, a fresh Redis prefix).
 */
export interface ShopConfig {
  /** HTTP port. @default 3000 */
  readonly port: number;
  readonly database: DatabaseConfig;
  /** Redis for the cache and the write-behind journal; absent: memory cache and memory journal. */
  readonly redisUrl: string | undefined;
  /**
   * `redisUrl` names one node of a Redis Cluster (the others are discovered): Strata's
   * `redis.cluster` instead of `redis.url`. @default false
   */
  readonly redisCluster?: boolean;
  /** The lowest level logged. @default 'log' */
  readonly logLevel: LogLevel;
  /** Products created by the seed when the database is empty. @default 10_000 */
  readonly seedProducts: number;
  /**
   * `false` runs the same code with a cache that keeps nothing (every read loads from the
   * database) and no HTTP cache: the baseline of the load script.
   * @default true
   */
  readonly cacheEnabled: boolean;
  /** Prefix of every Redis key, so several shops (or tests) can share a Redis. @default 'shop' */
  readonly cachePrefix: string;
  /** How often write-behind caches (carts, views) flush to the database. @default '1s' */
  readonly flushInterval: string;
  /**
   * 32 bytes in base64 (`openssl rand -base64 32`): with Redis, the sensitive entries (signed-in
   * users, the private order-history pages) are stored encrypted with it. Absent: in clear.
   */
  readonly cacheEncryptionKey?: string;
}

/** The token under which the {@link ShopConfig} is provided. */
export const SHOP_CONFIG = Symbol('SHOP_CONFIG');

/** A bad environment variable: the message names the variable, its value and what was expected. */
export class ShopConfigError extends Error {
  override readonly name = 'ShopConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`Invalid shop configuration:\n  - ${problems.join('\n  - ')}`);
  }
}

const url = (schemes: readonly string[], example: string) =>
  z
    .string()
    .refine((value) => schemes.some((scheme) => value.startsWith(`${scheme}://`)), {
      message: `expected a ${schemes.join(':// or ')}:// URL such as "${example}"`,
    })
    .optional();

const env = z.object({
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  DATABASE_URL: url(['postgres', 'postgresql'], 'postgres://shop:shop@127.0.0.1:5432/shop'),
  REDIS_URL: url(['redis', 'rediss'], 'redis://127.0.0.1:6379'),
  REDIS_CLUSTER: z.enum(['on', 'off']).default('off'),
  LOG_LEVEL: z.enum(LOG_LEVELS).default('log'),
  PGLITE_DIR: z.string().min(1).optional(),
  SHOP_SEED_PRODUCTS: z.coerce.number().int().min(1).max(1_000_000).default(10_000),
  SHOP_CACHE: z.enum(['on', 'off']).default('on'),
  SHOP_CACHE_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_.-]+$/)
    .default('shop'),
  CACHE_ENCRYPTION_KEY: z.string().optional(),
});

/** Variables whose value an error message must never show. */
const SECRET_VARIABLES = new Set(['CACHE_ENCRYPTION_KEY']);

/**
 * Reads the shop's configuration from environment variables (empty values count as unset) and
 * throws a {@link ShopConfigError} listing every bad one, e.g.
 * `PORT = "abc": Invalid input: expected number, received NaN`.
 *
 * @param defaultDataDir where PGlite keeps its files when neither `DATABASE_URL` nor `PGLITE_DIR` is set
 */
export function loadShopConfig(source: NodeJS.ProcessEnv, defaultDataDir: string): ShopConfig {
  const present = Object.fromEntries(
    Object.entries(source).filter(([, value]) => value !== undefined && value !== ''),
  );
  const parsed = env.safeParse(present);
  if (!parsed.success) {
    throw new ShopConfigError(
      parsed.error.issues.map((issue) => {
        const name = issue.path.join('.');
        const shown = SECRET_VARIABLES.has(name) ? '(hidden)' : JSON.stringify(present[name] ?? '');
        return `${name} = ${shown}: ${issue.message}`;
      }),
    );
  }
  const v = parsed.data;
  if (v.REDIS_CLUSTER === 'on' && v.REDIS_URL === undefined) {
    throw new ShopConfigError(['REDIS_CLUSTER = "on": needs REDIS_URL, the address of one cluster node']);
  }
  const key = v.CACHE_ENCRYPTION_KEY;
  if (
    key !== undefined &&
    (Buffer.from(key, 'base64').length !== 32 || Buffer.from(key, 'base64').toString('base64') !== key)
  ) {
    throw new ShopConfigError([
      'CACHE_ENCRYPTION_KEY = (hidden): expected 32 bytes in base64, such as the output of `openssl rand -base64 32`',
    ]);
  }
  return {
    port: v.PORT,
    database: v.DATABASE_URL
      ? { kind: 'postgres', url: v.DATABASE_URL }
      : { kind: 'pglite', dataDir: v.PGLITE_DIR ?? defaultDataDir },
    redisUrl: v.REDIS_URL,
    redisCluster: v.REDIS_CLUSTER === 'on',
    logLevel: v.LOG_LEVEL,
    seedProducts: v.SHOP_SEED_PRODUCTS,
    cacheEnabled: v.SHOP_CACHE === 'on',
    cachePrefix: v.SHOP_CACHE_PREFIX,
    flushInterval: '1s',
    ...(key === undefined ? {} : { cacheEncryptionKey: key }),
  };
}

/**
 * Strata's `encryption` option for the shop: with `CACHE_ENCRYPTION_KEY`, the `users` namespace
 * (who a token belongs to) is sensitive, and so are the private order-history pages (every
 * `scope: 'private'` page is, once keys are given). Absent without the key.
 */
export function shopEncryptionOptions(config: ShopConfig): CacheStackOptions['encryption'] {
  const key = config.cacheEncryptionKey;
  return key === undefined ? undefined : { keys: { k1: key }, current: 'k1', namespaces: ['users'] };
}

/** The Nest log levels to enable for a `LOG_LEVEL` (that level and every more severe one). */
export function nestLogLevels(level: LogLevel): LogLevel[] {
  return LOG_LEVELS.slice(LOG_LEVELS.indexOf(level));
}

/**
 * Strata's `redis` option for the shop: absent without `REDIS_URL` (or with caching off), one
 * server from the URL, or a Redis Cluster seeded by the node the URL names (`REDIS_CLUSTER=on`).
 */
export function shopRedisOptions(config: ShopConfig): CacheStackOptions['redis'] {
  if (!config.cacheEnabled || config.redisUrl === undefined) return undefined;
  if (config.redisCluster !== true) return { url: config.redisUrl };
  const node = new URL(config.redisUrl);
  return { cluster: { nodes: [{ host: node.hostname, port: Number(node.port || 6379) }] } };
}
