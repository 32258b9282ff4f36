import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { EncryptionKeyring } from './encryption-keyring.js';
import { deflateValue, inflateValue } from './value-compression.js';
import { isCurrentEncoding, isLegacyEncoding } from './value.codec.js';

/**
 * How a value is to be stored in Redis, as bits: {@link SEAL_ENCRYPT}, {@link SEAL_NO_COMPRESSION}.
 * `0`: in clear, compressed when above the threshold.
 */
export type SealFlags = number;

/** Encrypt the value (a sensitive entry); needs `encryption`. */
export const SEAL_ENCRYPT = 1;
/** Never compress the value (the caller stores bytes that would not shrink, such as compressed pages). */
export const SEAL_NO_COMPRESSION = 2;

/**
 * Why a stored value could not be read, and the read was a miss: a value kind this release does
 * not know (a newer release wrote it), an encrypted value whose master key is not listed (or no
 * `encryption` at all), one that failed authentication (tampered with, moved to another key, or
 * encrypted under another key of the same id), compressed bytes that do not inflate, or an entry
 * stored in clear that a sensitive read found (stored before its key was made sensitive, or by
 * someone else).
 */
export type UnreadableReason = 'unknown-kind' | 'unknown-key' | 'tampered' | 'corrupt' | 'unencrypted';

/**
 * What an encrypted value is bound to: `h`, its entry key and the entry header the writer set
 * (lifetimes, tags), for entries written by the cache; `k`, its entry key only, for write-behind
 * values, whose one payload is both the journal record and the entry.
 */
export type SealBinding = 'h' | 'k';

/** What a {@link StoredValueCodec} does. */
export interface StoredValueCodecOptions {
  /** Compress values whose encoded form has at least this many UTF-16 code units; `undefined`: never. */
  readonly compressionThreshold: number | undefined;
  /** The master keys; `undefined`: no encryption (an encrypted entry is then unreadable). */
  readonly keyring: EncryptionKeyring | undefined;
  /** Compress sensitive values before encrypting them (their length then tells about their content). */
  readonly compressSensitive: boolean;
  /** The largest value stored: a compressed value inflating past it is refused. */
  readonly maxValueBytes: number;
  /** Told of every value read as a miss because it could not be read. */
  readonly onUnreadable?: (entryKey: string, reason: UnreadableReason) => void;
}

/** Kind of a compressed value: `Z` + base64 of the raw DEFLATE of the encoded value's UTF-8 bytes. */
const COMPRESSED = 0x5a; /* Z */
/** Kind of an encrypted value: `E` + binding + `<key id>.<salt>.` + base64 of IV, ciphertext and tag. */
const ENCRYPTED = 0x45; /* E */
/** First byte of an encrypted plaintext: the encoded value's UTF-8 bytes follow, or their DEFLATE. */
const PLAIN_BYTES = 0;
const DEFLATED_BYTES = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const SALT_CHARS = 22;

/**
 * The form of values at rest in Redis (and in write-behind journals): the encoded value as it is,
 * compressed, or encrypted (AES-256-GCM), inside the entry's unchanged `S1|<created>|` header.
 * Compressed and encrypted bytes are written in base64: every path that reads entries (the `MGET`
 * of a hit, the miss and journal scripts' replies, stream records) stays on string replies, at the
 * price of a third more bytes than binary. L1 never holds these forms, only encoded values.
 */
export class StoredValueCodec {
  constructor(private readonly options: StoredValueCodecOptions) {}

  /** Reports an entry read as a miss because it could not be read (see {@link UnreadableReason}). */
  unreadable(entryKey: string, reason: UnreadableReason): void {
    this.options.onUnreadable?.(entryKey, reason);
  }

  /**
   * The stored form of `encoded` under `entryKey` (with `head`, the header the writer sets: see
   * `serializeEntryHead`). Plain values below the threshold come back as they are.
   */
  seal(
    entryKey: string,
    head: string,
    encoded: string,
    flags: SealFlags,
    binding: SealBinding = 'h',
  ): string {
    const { compressionThreshold, keyring } = this.options;
    const compress =
      (flags & SEAL_NO_COMPRESSION) === 0 &&
      compressionThreshold !== undefined &&
      encoded.length >= compressionThreshold;
    if ((flags & SEAL_ENCRYPT) === 0) {
      if (!compress) return encoded;
      const text = deflateValue(encoded).toString('base64');
      return text.length + 1 < encoded.length ? 'Z' + text : encoded;
    }
    if (keyring === undefined) throw new Error('unreachable: sensitive writes are refused without keys');
    let kind = PLAIN_BYTES;
    let bytes: Buffer = Buffer.from(encoded, 'utf8');
    if (compress && this.options.compressSensitive) {
      const deflated = deflateValue(encoded);
      if (deflated.length < bytes.length) [kind, bytes] = [DEFLATED_BYTES, deflated];
    }
    const { id, salt, key } = keyring.writingKey();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(associatedData(binding, entryKey, id, salt, head));
    const sealed = Buffer.concat([
      iv,
      cipher.update(Buffer.of(kind)),
      cipher.update(bytes),
      cipher.final(),
      cipher.getAuthTag(),
    ]);
    return `E${binding}${id}.${salt}.${sealed.toString('base64')}`;
  }

  /**
   * The encoded value of a stored one, or `undefined` (reported to `onUnreadable`) when it cannot
   * be read: then the read is a miss, never an error and never the stored bytes.
   */
  open(entryKey: string, head: string, stored: string): string | undefined {
    // `t`: an earlier release's typed kind, which only journals still hold (entries refuse it first).
    if (isCurrentEncoding(stored) || isLegacyEncoding(stored)) return stored;
    const kind = stored.charCodeAt(0);
    let reason: UnreadableReason;
    if (kind === COMPRESSED) {
      const encoded = inflateValue(Buffer.from(stored.slice(1), 'base64'), this.options.maxValueBytes);
      if (encoded !== undefined && isCurrentEncoding(encoded)) return encoded;
      reason = 'corrupt';
    } else if (kind === ENCRYPTED) {
      const opened = this.decrypt(entryKey, head, stored);
      if (typeof opened === 'string') return opened;
      reason = opened.reason;
    } else reason = 'unknown-kind';
    this.options.onUnreadable?.(entryKey, reason);
    return undefined;
  }

  private decrypt(entryKey: string, head: string, stored: string): string | { reason: UnreadableReason } {
    const binding = stored[1];
    const dot = stored.indexOf('.', 2);
    const saltEnd = dot + 1 + SALT_CHARS;
    if ((binding !== 'h' && binding !== 'k') || dot < 0 || stored.charCodeAt(saltEnd) !== 0x2e /* . */)
      return { reason: 'tampered' };
    const id = stored.slice(2, dot);
    const salt = stored.slice(dot + 1, saltEnd);
    const key = this.options.keyring?.readingKey(id, salt);
    if (key === undefined) return { reason: 'unknown-key' };
    const sealed = Buffer.from(stored.slice(saltEnd + 1), 'base64');
    if (sealed.length < IV_BYTES + 1 + TAG_BYTES) return { reason: 'tampered' };
    let plain: Buffer;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
      decipher.setAAD(associatedData(binding, entryKey, id, salt, head));
      decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
      plain = decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES));
      // GCM holds nothing back: `final` only checks the tag (and throws when it does not match).
      decipher.final();
    } catch {
      return { reason: 'tampered' };
    }
    const body = plain.subarray(1);
    const encoded =
      plain[0] === DEFLATED_BYTES
        ? inflateValue(body, this.options.maxValueBytes)
        : plain[0] === PLAIN_BYTES
          ? plain.toString('utf8', 1)
          : undefined;
    return encoded !== undefined && isCurrentEncoding(encoded) ? encoded : { reason: 'corrupt' };
  }
}

/** Whether a stored value is encrypted (`E`): its entry was written sensitive. */
export function isEncrypted(stored: string): boolean {
  return stored.charCodeAt(0) === ENCRYPTED;
}

/**
 * The additional authenticated data of an encrypted value: what it is bound to, each free-form
 * field length-prefixed so that no two inputs give the same bytes.
 */
function associatedData(
  binding: SealBinding,
  entryKey: string,
  id: string,
  salt: string,
  head: string,
): Buffer {
  const bound = binding === 'h' ? head : '';
  return Buffer.from(
    `strata-entry-v1|${binding}|${id}|${salt}|${Buffer.byteLength(entryKey)}:${entryKey}|${Buffer.byteLength(bound)}:${bound}`,
    'utf8',
  );
}
