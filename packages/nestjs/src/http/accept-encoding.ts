/**
 * Choosing the representation of a stored page that a request's `Accept-Encoding` selects
 * (RFC 9110 §12.5.3), parsed by `negotiator`, the parser of Express's `compression` and of
 * `accepts`, so that the header is read as Node servers read it, malformed members included.
 *
 * @module
 */
import Negotiator from 'negotiator';
import { type ContentCoding, CONTENT_CODINGS, type Representation } from './content-coding.js';

/** `Negotiator#encodings` with the `preferred` option of negotiator 1 (its typings predate it). */
interface EncodingNegotiator {
  encodings(available: readonly string[], options: { readonly preferred: readonly string[] }): string[];
}

/** The representations in the order a tie is broken: `br`, then `gzip`, then identity. */
const PREFERRED: readonly Representation[] = Object.freeze([...CONTENT_CODINGS, 'identity']);

/** Clients send a handful of distinct `Accept-Encoding` values: their choices are remembered. */
const MEMO_SIZE = 256;
/**
 * Choices by set of stored codings, then by header value: `storedCodings` hands out one frozen
 * array per set, so a hit finds its memo by identity and builds no string.
 */
const chosen = new WeakMap<readonly ContentCoding[], Map<string, Representation>>();

/**
 * The representation to send, among the stored codings `available` and identity:
 * - the acceptable one with the highest `q`; a tie goes to `br`, then `gzip`, then identity;
 * - no `Accept-Encoding` at all: identity (RFC 9110 §12.5.3: any coding is acceptable, and
 *   identity is what a client that sent nothing can surely read);
 * - nothing acceptable (`*;q=0`, `identity;q=0` with no stored coding accepted): identity
 *   anyway, as `compression`, `@fastify/compress`, nginx and Apache do, rather than a 406 or 415.
 *
 * @param header - the request's `Accept-Encoding`, repeated lines joined with `, `.
 * @param available - the page's stored codings, in {@link CONTENT_CODINGS} order.
 */
export function selectRepresentation(
  header: string | undefined,
  available: readonly ContentCoding[],
): Representation {
  if (header === undefined || available.length === 0) return 'identity';
  let memo = chosen.get(available);
  if (memo === undefined) {
    memo = new Map();
    chosen.set(available, memo);
  }
  let choice = memo.get(header);
  if (choice === undefined) {
    choice = negotiate(header, available);
    if (memo.size >= MEMO_SIZE) memo.clear();
    memo.set(header, choice);
  }
  return choice;
}

function negotiate(header: string, available: readonly ContentCoding[]): Representation {
  const negotiator = new Negotiator({
    headers: { 'accept-encoding': header },
  }) as unknown as EncodingNegotiator;
  const [best] = negotiator.encodings([...available, 'identity'], { preferred: PREFERRED });
  return best === 'br' || best === 'gzip' ? best : 'identity';
}
