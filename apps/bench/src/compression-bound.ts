/**
 * How far any zlib codec could shrink a value, whatever its speed: for reading a stored-size ratio
 * against what the value's own content allows.
 */
import { brotliCompressSync, constants, deflateRawSync } from 'node:zlib';

/** The value's JSON bytes against its smallest DEFLATE (level 9) and Brotli (quality 11, window 24) forms. */
export interface CompressionBound {
  readonly jsonBytes: number;
  readonly deflate9: number;
  readonly brotli11: number;
}

/** The densest forms of `value`'s JSON that `node:zlib` can make, in raw bytes (no base64). */
export function compressionBound(value: unknown): CompressionBound {
  const json = Buffer.from(JSON.stringify(value), 'utf8');
  const brotli = brotliCompressSync(json, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_LGWIN]: constants.BROTLI_MAX_WINDOW_BITS,
      [constants.BROTLI_PARAM_SIZE_HINT]: json.length,
    },
  });
  return {
    jsonBytes: json.length,
    deflate9: deflateRawSync(json, { level: 9 }).length,
    brotli11: brotli.length,
  };
}

/** A note on the bound of `value` (`what` names it), next to the ratio the stored form reached. */
export function compressionBoundNote(value: unknown, what: string): string {
  const bound = compressionBound(value);
  const ratio = (bytes: number): string => `${(bound.jsonBytes / bytes).toFixed(2)}×`;
  return `What the ${what} value's content allows: its JSON (${bound.jsonBytes.toLocaleString('en-US')} B) shrinks ${ratio(bound.deflate9)} under DEFLATE level 9 and ${ratio(bound.brotli11)} under Brotli quality 11 (the slowest, densest \`node:zlib\` setting), in raw bytes before any base64: no \`node:zlib\` setting stores this value in fewer bytes, and the target ratio is out of reach of any of them. Its text is near-random syllables with random ids, prices and dates, a worst case: the shop listing rows show the ratio of a page with the repeated keys and vocabulary of real API responses.`;
}
