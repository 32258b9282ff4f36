import { StrataError } from './strata.error.js';

/**
 * A value's encoded form is larger than `maxValueBytes`: it was not sent to Redis (nor kept in
 * L1). Thrown by `set` (which also evicts the key, so an older value does not outlive the call);
 * a load (`getOrLoad`, `@Cacheable`) returns its value uncached instead and emits the
 * `value:too-large` event.
 */
export class ValueTooLargeError extends StrataError {
  /** Full key of the entry (`<prefix>:<namespace>:<key>`). */
  readonly key: string;
  /** Size of the encoded value, in UTF-8 bytes. */
  readonly bytes: number;
  /** The `maxValueBytes` it exceeds. */
  readonly maxBytes: number;

  constructor(key: string, bytes: number, maxBytes: number) {
    super(
      'E_VALUE_TOO_LARGE',
      `The value of "${key}" encodes to ${bytes} bytes, more than maxValueBytes (${maxBytes}): not cached`,
    );
    this.key = key;
    this.bytes = bytes;
    this.maxBytes = maxBytes;
  }
}
