/**
 * Loads one build of the library (a checkout with `packages/core` and `packages/nestjs` built) by
 * absolute path. Each build brings its own copies of Nest, Fastify and ioredis, resolved from its
 * own `packages/nestjs`: a Nest module made with one copy's decorators must be started by the same
 * copy's `NestFactory` (Nest checks class identity for `Reflector`, `ModuleRef` and the like), so
 * the scenarios apply decorators by hand with the build's own functions instead of TypeScript's.
 */
import type * as NestCommon from '@nestjs/common';
import type * as NestCore from '@nestjs/core';
import type * as NestFastify from '@nestjs/platform-fastify';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The part of `CacheStack` the scenarios call: the public API, stable across the refactor. */
export interface StackApi {
  readonly events: { on(event: 'l2:error', listener: () => void): unknown };
  connect(): Promise<boolean>;
  peek(key: string, namespace?: string): unknown;
  get(key: string): Promise<unknown>;
  getOrLoad(key: string, loader: () => unknown, options?: Record<string, unknown>): Promise<unknown>;
  set(key: string, value: unknown, options?: Record<string, unknown>): Promise<void>;
  delete(keys: string | readonly string[]): Promise<void>;
  invalidateTags(tags: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** What the scenarios use of `@strata/core`. */
export interface CoreApi {
  readonly CacheStack: new (options?: Record<string, unknown>) => StackApi;
  /** What `peek` returns on a miss. */
  readonly CACHE_MISS: unknown;
}

/** What the scenarios use of `@strata/nestjs`. */
export interface NestjsApi {
  readonly StrataModule: { forRoot(options: Record<string, unknown>): NestCommon.DynamicModule };
  readonly HttpCacheModule: { forRoot(options: Record<string, unknown>): NestCommon.DynamicModule };
  readonly Cacheable: (options: Record<string, unknown>) => MethodDecorator;
  readonly HttpCache: (options: Record<string, unknown>) => MethodDecorator;
}

/** One build, loaded: the library and the framework copies it resolves. */
export interface LoadedBuild {
  /** `old` or `new`. */
  readonly label: string;
  /** What it was built from, for the report. */
  readonly description: string;
  /** The checkout's root. */
  readonly root: string;
  readonly core: CoreApi;
  readonly nestjs: NestjsApi;
  readonly nestCommon: typeof NestCommon;
  readonly nestCore: typeof NestCore;
  readonly nestFastify: typeof NestFastify;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return (typeof value === 'object' || typeof value === 'function') && value !== null;
}

function requireFunctions(module: unknown, names: readonly string[], what: string): void {
  if (!isRecord(module)) throw new Error(`${what} did not load`);
  const missing = names.filter((name) => typeof module[name] !== 'function');
  if (missing.length > 0) throw new Error(`${what} exports no ${missing.join(', ')}`);
}

async function importDist(root: string, pkg: string): Promise<unknown> {
  const file = join(root, 'packages', pkg, 'dist', 'index.js');
  if (!existsSync(file)) throw new Error(`${file} is missing: build packages/${pkg} first`);
  return import(pathToFileURL(file).href);
}

/** Imports `packages/core` and `packages/nestjs` of the checkout at `root`, and their Nest copies. */
export async function loadBuild(label: string, description: string, root: string): Promise<LoadedBuild> {
  const core = await importDist(root, 'core');
  requireFunctions(core, ['CacheStack'], `${label}: @strata/core`);
  const nestjs = await importDist(root, 'nestjs');
  requireFunctions(nestjs, ['Cacheable', 'HttpCache'], `${label}: @strata/nestjs`);
  if (!isRecord(nestjs) || !isRecord(nestjs['StrataModule']) || !isRecord(nestjs['HttpCacheModule']))
    throw new Error(`${label}: @strata/nestjs exports no StrataModule or HttpCacheModule`);
  // The copies `packages/nestjs` itself resolves: the ones its decorators and modules were made with.
  const fromNestjs = createRequire(join(root, 'packages', 'nestjs', 'package.json'));
  return {
    label,
    description,
    root,
    core: core as CoreApi,
    nestjs: nestjs as unknown as NestjsApi,
    nestCommon: fromNestjs('@nestjs/common') as typeof NestCommon,
    nestCore: fromNestjs('@nestjs/core') as typeof NestCore,
    nestFastify: fromNestjs('@nestjs/platform-fastify') as typeof NestFastify,
  };
}
