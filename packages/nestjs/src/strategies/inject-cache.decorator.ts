import { Inject } from '@nestjs/common';

const TOKEN_PREFIX = 'StrataCache:';

/** The injection token of the named cache `name` (declared in `StrataModule.forFeature`). */
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
 * Injects a named cache declared in `StrataModule.forFeature`, as a `StrategyCache<T>`.
 *
 * @example constructor(@InjectCache('prices') private readonly prices: StrategyCache<Price>) {}
 */
export const InjectCache = (name: string): ParameterDecorator => Inject(getCacheToken(name));
