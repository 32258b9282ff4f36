/**
 * A miss: runs the handler, serializes its value once, and stores the page when it may be
 * stored, under a ticket taken before the handler ran and with what the handler read.
 *
 * @module
 */
import { type CallHandler, HttpException, type Logger } from '@nestjs/common';
import type { CacheStack } from '@strata/core';
import { lastValueFrom } from 'rxjs';
import { cdnTagHeaders } from './cdn-tags.js';
import { type CodedBodies, compressBody, shouldCompress } from './content-coding.js';
import { variantKey } from './http-cache-key.js';
import type { CdnTagHeader } from './http-cache.options.js';
import type { HttpCachePlan } from './http-cache-plan.js';
import { type CapturedResponse, captureResponse, errorBody, missResponse } from './http-cache-response.js';
import type { HttpCacheRoute } from './http-cache-routes.js';
import type { ExchangeRequest, ExchangeResponse } from './http-exchange.js';
import { bodyBytes, bodyLength, type BytesAnswer, isStreamingValue } from './http-response-body.js';
import type { HttpResponseStore } from './http-response.store.js';
import { storedLifetimeMs } from './stale-responses.js';
import { checkStorableResponse } from './storable-response.js';
import { rememberRepresentations } from './stored-representation.js';
import { type StoredResponse, toStoredResponse } from './stored-response.js';

/** The outcome of a request that used the cache, also seen by the requests that waited for it. */
export type PageOutcome =
  | { readonly kind: 'hit' | 'stale'; readonly stored: StoredResponse; readonly variant: string }
  | {
      readonly kind: 'miss';
      readonly answer: BytesAnswer;
      readonly stored?: StoredResponse;
      readonly variant: string;
    }
  | { readonly kind: 'pass'; readonly value: unknown };

/** What {@link HttpPageLoader} shares with the interceptor. */
export interface PageLoaderDeps {
  readonly stack: CacheStack;
  readonly store: HttpResponseStore;
  readonly logger: Logger;
  readonly publicCookies: ReadonlySet<string>;
  readonly cdnTagHeaders: readonly CdnTagHeader[];
  /** Store compressible pages in content codings too (`HttpCacheModuleOptions.compression`). */
  readonly compress: boolean;
}

/** Runs a cached route's handler on a miss (or a refresh) and stores its page. */
export class HttpPageLoader {
  constructor(private readonly deps: PageLoaderDeps) {}

  async load(
    req: ExchangeRequest,
    res: ExchangeResponse,
    route: HttpCacheRoute,
    plan: HttpCachePlan,
    next: CallHandler,
  ): Promise<PageOutcome> {
    const { policy } = route;
    let status = route.status;
    // Before the handler: what is invalidated while it runs keeps its response out.
    const ticket = await this.deps.store.ticket(plan.primary);
    // What the handler reads through @Cacheable or CacheService (a 404 included: creating the
    // missing entry then drops the negative page): invalidating any of it drops the page.
    const handled = await this.deps.stack.trackDependencies(() =>
      lastValueFrom(next.handle(), { defaultValue: undefined }).then(
        (result: unknown) => ({ ok: true as const, result }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    );
    let value: unknown;
    if (handled.value.ok) value = handled.value.result;
    else {
      const { error } = handled.value;
      const negative = error instanceof HttpException && [404, 410].includes(error.getStatus());
      if (!negative || policy.negativeTtlMs === undefined) throw error;
      status = error.getStatus();
      value = errorBody(error);
    }
    if (isStreamingValue(value)) return { kind: 'pass', value };
    // A negative entry (404/410 under negativeTtl) gets no stale window and no s-maxage.
    const normal = status === route.status;
    const ttlMs = normal ? policy.ttlMs : (policy.negativeTtlMs ?? policy.ttlMs);
    const captured = captureResponse({
      value,
      status,
      handlerHeaders: res.getHeaders(),
      scope: route.scope,
      ttlMs,
      ...(normal && {
        staleWhileRevalidateMs: policy.staleWhileRevalidateMs,
        staleIfErrorMs: policy.staleIfErrorMs,
        sMaxAgeMs: policy.sMaxAgeMs,
      }),
      extraHeaders: cdnTagHeaders(this.deps.cdnTagHeaders, plan.routeTags ?? []),
    });
    const decision = checkStorableResponse(
      { method: req.method, headers: req.headers },
      { status, headers: captured.headers },
      {
        scope: route.scope,
        publicCookies: this.deps.publicCookies,
        negativeCaching: policy.negativeTtlMs !== undefined,
      },
    );
    let stored: StoredResponse | undefined;
    if (decision.ok) {
      // Compressed once, here, in every stored coding: hits send the coding each asks for.
      const codings = await this.codingsOf(captured);
      const storedAt = Date.now();
      const candidate = toStoredResponse({
        ...captured,
        storedAt,
        tags: plan.tags,
        freshUntil: normal ? storedAt + ttlMs : undefined,
        codings,
      });
      try {
        const lifetimeMs = normal ? storedLifetimeMs(policy, ttlMs) : ttlMs;
        const dependsOn = handled.dependencies;
        await this.deps.store.store(plan.primary, req.headers, candidate, lifetimeMs, {
          ticket,
          dependsOn,
          sensitive: route.scope === 'private',
        });
        stored = candidate;
        if (codings !== undefined) rememberRepresentations(candidate, captured.body, codings);
      } catch (error) {
        // A response that could not be stored is still sent; waiters run their own handler.
        this.deps.logger.warn(
          `HTTP response not cached: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    const variant = variantKey(captured.varyNames, req.headers);
    return { kind: 'miss', answer: missResponse(req, captured, stored), stored, variant };
  }

  /** The page's body in content codings, when it is worth compressing (see `shouldCompress`). */
  private async codingsOf(captured: CapturedResponse): Promise<CodedBodies | undefined> {
    if (!this.deps.compress) return undefined;
    const candidate = {
      status: captured.status,
      headers: captured.headers,
      bodyLength: bodyLength(captured.body),
    };
    if (!shouldCompress(candidate)) return undefined;
    try {
      return await compressBody(bodyBytes(captured.body));
    } catch (error) {
      // Never an error for the client: the page is stored (and sent) as the handler made it.
      this.deps.logger.warn(`A page could not be compressed, stored without codings: ${String(error)}`);
      return undefined;
    }
  }
}
