import { Inject } from '@nestjs/common';

/** The injection token of the named cache `name` (declared in `StrataModule.forFeature`). */
export function getCacheToken(name: string): string {
  return `StrataCache:${name}`;
}

/**
 * Injects a named cache declared in `StrataModule.forFeature`, as a `StrategyCache<T>`.
 *
 * @example constructor(@InjectCache('prices') private readonly prices: StrategyCache<Price>) {}
 */
export const InjectCache = (name: string): ParameterDecorator => Inject(getCacheToken(name));
