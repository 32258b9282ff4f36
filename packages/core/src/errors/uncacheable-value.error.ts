import { StrataError } from './strata.error.js';

/**
 * A value cannot be cached: a function, a symbol, a stream, or a method result that is neither
 * a plain value, a Promise nor an Observable that completes. `target` names where it came from
 * (`ProductService.findOne` for decorated methods).
 */
export class UncacheableValueError extends StrataError {
  /** Where the value came from (class and method for decorated methods, else the cache key). */
  readonly target: string;

  constructor(target: string, reason: string) {
    super('E_UNCACHEABLE_VALUE', `Cannot cache the result of ${target}: ${reason}`);
    this.target = target;
  }
}
