import { StrataError } from './strata.error.js';

/** A key, tag or namespace is empty or contains a character Strata reserves. */
export class InvalidKeyError extends StrataError {
  /** The rejected key, tag or namespace. */
  readonly key: string;

  constructor(kind: 'key' | 'tag' | 'namespace', key: string, reason: string) {
    super(
      kind === 'tag' ? 'E_INVALID_TAG' : 'E_INVALID_KEY',
      `Invalid cache ${kind} ${JSON.stringify(key)}: ${reason}`,
    );
    this.key = key;
  }
}
