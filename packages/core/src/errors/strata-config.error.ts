import { StrataError } from './strata.error.js';

/**
 * A configuration option has a bad value. Thrown at boot, before anything connects.
 * The message names the option (dotted path, e.g. `l1.maxEntries`) and the value.
 */
export class StrataConfigError extends StrataError {
  /** Dotted path of the offending option, e.g. `redis.url`. */
  readonly option: string;
  /** The value that was rejected. */
  readonly value: unknown;

  constructor(option: string, value: unknown, reason: string) {
    super('E_CONFIG', `Invalid Strata option "${option}" = ${describeValue(value)}: ${reason}`);
    this.option = option;
    this.value = value;
  }
}

/** How an error message shows a rejected value. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'bigint') return `${value}n`;
  if (value === undefined || value === null || typeof value !== 'object') return String(value);
  try {
    return JSON.stringify(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}
