import { StrataError } from '@strata/core';

/**
 * A caching decorator is used where it cannot work (a controller method, a request-scoped
 * provider, a method that returns neither a Promise nor an Observable, conflicting decorators).
 * Thrown at boot, so a decorated method never runs uncached without a word.
 */
export class DecoratorMisuseError extends StrataError {
  /** `ClassName.method` of the decorated method. */
  readonly target: string;

  constructor(target: string, message: string) {
    super('E_DECORATOR_MISUSE', `${target}: ${message}`);
    this.target = target;
  }
}
