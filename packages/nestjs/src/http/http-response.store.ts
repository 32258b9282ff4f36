/**
 * Stored responses in the cache stack, looked up in two stages (RFC 9111 §4.1). The primary
 * entry, under the request's primary key, holds either the response itself (when it has no
 * `Vary`) or a {@link VaryIndex}: the header names its `Vary` listed. The variant entry, under
 * the primary key plus the request's values of those headers, holds the response.
 *
 * @module
 */
import { createHash } from 'node:crypto';
import type { CacheStack, GetOptions } from '@strata/core';
import { engineOf, type WriteTicket } from '@strata/core/internal';
import type { HeaderSource } from './http-headers.js';
import { variantKey } from './http-cache-key.js';
import { isStoredResponse, type StoredResponse } from './stored-response.js';

/** The primary entry of a response that varies: the `Vary` names its variants are keyed by. */
export interface VaryIndex {
  readonly v: 1;
  readonly kind: 'vary';
  readonly varyNames: readonly string[];
}

function isVaryIndex(value: unknown): value is VaryIndex {
  if (value === null || typeof value !== 'object') return false;
  const entry = value as Record<string, unknown>;
  return (
    entry.v === 1 &&
    entry.kind === 'vary' &&
    Array.isArray(entry.varyNames) &&
    entry.varyNames.every((name) => typeof name === 'string')
  );
}

/** The key of a variant entry: the primary key and a digest of the variant (any length, any bytes). */
export function variantEntryKey(primary: string, variant: string): string {
  return `${primary}|v:${createHash('sha256').update(variant).digest('base64url')}`;
}

/**
 * Stored responses already found to have the current shape. L1 hands out the same object on every
 * hit (entries are stored shared, deep-frozen by the stack), so an L1 hit checks its shape once, not
 * per request. Only frozen ones found in L1 are remembered: one that could still change is checked
 * each time, and one read from Redis is a new object per read.
 */
const checkedResponses = new WeakSet<object>();

function isCheckedStoredResponse(value: unknown, fromL1: boolean): value is StoredResponse {
  if (typeof value === 'object' && value !== null && checkedResponses.has(value)) return true;
  if (!isStoredResponse(value)) return false;
  if (fromL1 && [value, value.headers, value.varyNames, value.tags].every(Object.isFrozen)) {
    checkedResponses.add(value);
  }
  return true;
}

/**
 * The first stage of a lookup: the response (no `Vary`), the index of its variants, or a miss
 * (`CACHE_MISS` and entries of another shape too).
 */
function readPrimary(head: unknown, fromL1: boolean): StoredResponse | VaryIndex | undefined {
  if (isCheckedStoredResponse(head, fromL1)) return head.varyNames.length === 0 ? head : undefined;
  return isVaryIndex(head) ? head : undefined;
}

/**
 * The second stage: the variant entry, if its `Vary` names still give the request's variant (the
 * index may have changed since this variant was written).
 */
function readVariant(
  stored: unknown,
  request: HeaderSource,
  variant: string,
  fromL1: boolean,
): StoredResponse | undefined {
  return isCheckedStoredResponse(stored, fromL1) && variantKey(stored.varyNames, request) === variant
    ? stored
    : undefined;
}

/** How many full entry keys {@link HttpResponseStore} remembers (see its `peek`). */
const ENTRY_KEY_CACHE_SIZE = 1_000;

/** Reads and writes stored responses in one namespace of a {@link CacheStack}. */
export class HttpResponseStore {
  /** Pages are only read: the stack hands out the stored object instead of a decoded copy. */
  private readonly readOptions: { readonly namespace: string; readonly share: true };
  private readonly sensitiveReadOptions: GetOptions;
  private readonly encrypts: boolean;
  /** The stack's engine, for L1 peeks by full entry key. */
  private readonly engine: ReturnType<typeof engineOf>;
  /**
   * The full entry keys (`KeyBuilder.entry`) of the last primary keys peeked: a hit then skips
   * building the entry key and scanning it again (see {@link HttpResponseStore.peek}). The key
   * builder's own output, only remembered: the keys stay exactly the stack's. Bounded: a flood of
   * other URLs only clears it.
   */
  private readonly entryKeys = new Map<string, string>();

  constructor(
    private readonly stack: CacheStack,
    private readonly namespace: string,
  ) {
    this.readOptions = { namespace, share: true };
    this.sensitiveReadOptions = { namespace, share: true, sensitive: true };
    // Private pages are encrypted whenever keys are configured (docs/security.md).
    this.encrypts = engineOf(stack).options.atRest.keyring !== undefined;
    this.engine = engineOf(stack);
  }

  /** `stack.peek(key, namespace)`, with the full keys of the primary keys last seen remembered. */
  private peekPrimary(primary: string): unknown {
    const engine = this.engine;
    let full = this.entryKeys.get(primary);
    if (full === undefined) {
      full = engine.keys.entry(primary, this.namespace);
      if (this.entryKeys.size >= ENTRY_KEY_CACHE_SIZE) this.entryKeys.clear();
      this.entryKeys.set(primary, full);
    }
    return engine.peekEntry(full);
  }

  /**
   * The stored response for a request, or `undefined`. Entries of another shape read as a miss.
   *
   * @param primary - the request's primary key (with any per-user or keyed-header parts).
   * @param request - the request headers, for the variant key.
   * @param sensitive - a `private` page: with the module's `encryption` keys, its entries are
   *   encrypted in Redis, and one found in clear is a miss.
   */
  async lookup(
    primary: string,
    request: HeaderSource,
    sensitive = false,
  ): Promise<StoredResponse | undefined> {
    const options = sensitive && this.encrypts ? this.sensitiveReadOptions : this.readOptions;
    const head = readPrimary(await this.stack.get(primary, options), false);
    if (head === undefined || !('kind' in head)) return head;
    const variant = variantKey(head.varyNames, request);
    const stored = await this.stack.get(variantEntryKey(primary, variant), options);
    return readVariant(stored, request, variant, false);
  }

  /**
   * {@link HttpResponseStore.lookup} in the in-process layer (L1) only, synchronously: the
   * stored response when its entries are in L1, else `undefined` (then look it up). Whether the
   * response is still fresh for its route is the caller's check (`freshness`). No promise.
   */
  peek(primary: string, request: HeaderSource): StoredResponse | undefined {
    const head = readPrimary(this.peekPrimary(primary), true);
    if (head === undefined || !('kind' in head)) return head;
    const variant = variantKey(head.varyNames, request);
    return readVariant(
      this.stack.peek(variantEntryKey(primary, variant), this.namespace),
      request,
      variant,
      true,
    );
  }

  /**
   * The ticket to store a response under: take it before the handler runs, so that whatever is
   * invalidated while it runs (its tags, the path, the keys and tags it read) keeps the response
   * out (see `CacheStack.writeTicket`).
   */
  ticket(primary: string): Promise<WriteTicket> {
    return this.stack.writeTicket(primary, { namespace: this.namespace });
  }

  /**
   * Stores a response for `ttlMs` with its tags: in the primary entry when it has no `Vary`,
   * else as a variant, with the index of its `Vary` names in the primary entry. Both depend on
   * `dependsOn` (what the handler read through the stack) and are written under `ticket`.
   */
  async store(
    primary: string,
    request: HeaderSource,
    stored: StoredResponse,
    ttlMs: number,
    written: {
      readonly ticket: WriteTicket;
      readonly dependsOn: readonly string[];
      /** A `private` page (see {@link HttpResponseStore.lookup}). */
      readonly sensitive?: boolean;
    },
  ): Promise<void> {
    const options = {
      sensitive: written.sensitive === true && this.encrypts,
      namespace: this.namespace,
      ttl: ttlMs,
      tags: stored.tags,
      ticket: written.ticket,
      dependsOn: written.dependsOn,
      // Pages are only read: L1 hands out the stored object instead of decoding it per hit.
      share: true,
    };
    // A page stored in its content codings is compressed already: the stack's own compression
    // would only spend CPU on base64 of compressed bytes (it shrinks by a quarter at best).
    const page = stored.bodyEncoding === 'coded' ? { ...options, compress: false } : options;
    if (stored.varyNames.length === 0) {
      await this.stack.set(primary, stored, page);
      return;
    }
    const variant = variantKey(stored.varyNames, request);
    const index: VaryIndex = { v: 1, kind: 'vary', varyNames: stored.varyNames };
    await this.stack.set(variantEntryKey(primary, variant), stored, page);
    await this.stack.set(primary, index, options);
  }
}
