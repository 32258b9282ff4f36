import type { EncodedValue } from './value.codec.js';

/** Default `maxValueBytes`: 4 MiB of encoded value. */
export const DEFAULT_MAX_VALUE_BYTES = 4 * 1024 * 1024;

/**
 * Largest `maxValueBytes` accepted: 512 MiB, Redis's largest string (`proto-max-bulk-len`).
 */
export const MAX_VALUE_BYTES_LIMIT = 512 * 1024 * 1024;

/**
 * The UTF-8 size of an encoded value when it is above `maxBytes`, else `undefined`. Values Redis
 * receives as UTF-8 take 1 to 3 bytes per UTF-16 code unit, so most are decided by their length
 * alone, without a pass over their text.
 */
export function bytesOver(encoded: EncodedValue, maxBytes: number): number | undefined {
  if (encoded.length * 3 <= maxBytes) return undefined;
  const bytes = Buffer.byteLength(encoded, 'utf8');
  return bytes > maxBytes ? bytes : undefined;
}
