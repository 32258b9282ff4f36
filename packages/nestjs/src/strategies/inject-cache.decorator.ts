import { Inject } from '@nestjs/common';

const TOKEN_PREFIX = 'StrataCache:';

/**
 * The injection token of the named cache `name` (declared in `StrataModule.forFeature`), for code
 * that reaches a cache outside a constructor. Name the type the cache's strategy gives.
 *
 * @example
 * const views = app.get<WriteBehindStrategyCache<number>>(getCacheToken('views'));
 * await views.flush();
 */
export function getCacheToken(name: string): string {
  return TOKEN_PREFIX + name;
}

/** The cache name a token from {@link getCacheToken} stands for, or `undefined`. */
export function cacheNameOfToken(token: unknown): string | undefined {
  return typeof token === 'string' && token.startsWith(TOKEN_PREFIX)
    ? token.slice(TOKEN_PREFIX.length)
    : undefined;
}

/**
 * Injects a named cache declared in `StrataModule.forFeature`. Declare the parameter as
 * `StrategyCache<T>`, or as `WriteBehindStrategyCache<T>` for a write-behind cache (its
 * `flush()`, `pending()` and `increment()`): the provider is the same object.
 *
 * @example constructor(@InjectCache('prices') private readonly prices: StrategyCache<Price>) {}
 */
export const InjectCache = (name: string): ParameterDecorator => Inject(getCacheToken(name));
