import { z } from 'zod';
import { EncryptionKeyring, KEY_ID_PATTERN, MASTER_KEY_BYTES } from '../codec/encryption-keyring.js';
import { DEFAULT_COMPRESSION_THRESHOLD } from '../codec/value-compression.js';
import { StrataConfigError } from '../errors/strata-config.error.js';
import { KeyBuilder } from '../keys/key-builder.js';
import type { CompressionOptions, EncryptionOptions } from './at-rest.options.js';

/** {@link CompressionOptions} and {@link EncryptionOptions} validated, with defaults applied. */
export interface ResolvedAtRestOptions {
  /** `undefined`: compression off. */
  readonly compressionThreshold: number | undefined;
  /** `undefined`: no encryption keys. */
  readonly keyring: EncryptionKeyring | undefined;
  readonly compressSensitive: boolean;
  /** Namespaces all of whose entries are sensitive. */
  readonly sensitiveNamespaces: ReadonlySet<string>;
}

/** Schema of the `compression` option (`false` or {@link CompressionOptions}). */
export const compressionSchema = z.union([
  z.literal(false),
  z.strictObject({ threshold: z.number().int().min(64, 'expected at least 64 characters').optional() }),
]);

/**
 * Schema of the `encryption` option: none. {@link resolveAtRest} checks it by hand, so that no
 * error message ever shows a value that may hold key material.
 */
export const encryptionSchema = z.unknown();

const ENCRYPTION_FIELDS = new Set(['keys', 'current', 'namespaces', 'compress']);

/** What an error message shows instead of key material. */
const HIDDEN = '[hidden]';

/**
 * Validates `compression` and `encryption` (shapes already checked by their schemas) and builds the
 * keyring.
 *
 * @throws StrataConfigError naming the option: a key that is not 32 bytes (its value is never put
 * in the message), a bad key id, a `current` that is not listed, a bad namespace.
 */
export function resolveAtRest(
  compression: CompressionOptions | false | undefined,
  given: unknown,
): ResolvedAtRestOptions {
  const compressionThreshold =
    compression === false ? undefined : (compression?.threshold ?? DEFAULT_COMPRESSION_THRESHOLD);
  if (given === undefined) {
    return {
      compressionThreshold,
      keyring: undefined,
      compressSensitive: false,
      sensitiveNamespaces: new Set(),
    };
  }
  const encryption = checkedShape(given);
  const masters = new Map<string, Buffer>();
  for (const [id, given] of Object.entries(encryption.keys)) {
    if (!KEY_ID_PATTERN.test(id))
      throw new StrataConfigError(
        `encryption.keys`,
        id,
        'key ids use letters, digits, "_" and "-", at most 32 characters',
      );
    masters.set(id, masterKey(id, given));
  }
  if (masters.size === 0) throw new StrataConfigError('encryption.keys', HIDDEN, 'expected at least one key');
  if (!masters.has(encryption.current))
    throw new StrataConfigError(
      'encryption.current',
      KEY_ID_PATTERN.test(encryption.current) ? encryption.current : HIDDEN,
      `expected one of the ids in encryption.keys (${[...masters.keys()].join(', ')})`,
    );
  const namespaces = encryption.namespaces ?? [];
  namespaces.forEach((namespace, i) => {
    try {
      KeyBuilder.assertNamespace(namespace);
    } catch {
      throw new StrataConfigError(
        `encryption.namespaces.${i}`,
        namespace,
        'use letters, digits, "_", "." or "-"',
      );
    }
  });
  return {
    compressionThreshold,
    keyring: new EncryptionKeyring(masters, encryption.current),
    compressSensitive: encryption.compress ?? false,
    sensitiveNamespaces: new Set(namespaces),
  };
}

/** The fields of `encryption`, checked (values that could be keys are never shown). */
function checkedShape(given: unknown): EncryptionOptions {
  if (given === null || typeof given !== 'object' || Array.isArray(given))
    throw new StrataConfigError('encryption', HIDDEN, 'expected { keys, current }');
  const fields = given as Record<string, unknown>;
  for (const name of Object.keys(fields))
    if (!ENCRYPTION_FIELDS.has(name))
      throw new StrataConfigError(`encryption.${name}`, HIDDEN, 'unknown option');
  const { keys, current, namespaces, compress } = fields;
  if (keys === null || typeof keys !== 'object' || Array.isArray(keys) || keys instanceof Uint8Array)
    throw new StrataConfigError(
      'encryption.keys',
      HIDDEN,
      'expected an object of keys by id: { k1: <32 bytes> }',
    );
  if (typeof current !== 'string')
    throw new StrataConfigError('encryption.current', HIDDEN, 'expected the id of the key new writes use');
  if (
    namespaces !== undefined &&
    !(Array.isArray(namespaces) && namespaces.every((n) => typeof n === 'string'))
  )
    throw new StrataConfigError('encryption.namespaces', namespaces, 'expected an array of namespaces');
  if (compress !== undefined && typeof compress !== 'boolean')
    throw new StrataConfigError('encryption.compress', compress, 'expected a boolean');
  return given as EncryptionOptions;
}

/** A master key's 32 bytes, from bytes or strict base64. */
function masterKey(id: string, given: unknown): Buffer {
  const option = `encryption.keys.${id}`;
  let bytes: Buffer | undefined;
  if (given instanceof Uint8Array) bytes = Buffer.from(given);
  else if (typeof given === 'string') {
    const decoded = Buffer.from(given, 'base64');
    // Strict: Buffer.from skips characters that are not base64; a key must round-trip exactly.
    if (decoded.toString('base64') === given) bytes = decoded;
  }
  if (bytes === undefined)
    throw new StrataConfigError(
      option,
      HIDDEN,
      `expected ${MASTER_KEY_BYTES} bytes as a Uint8Array or a base64 string`,
    );
  if (bytes.length !== MASTER_KEY_BYTES)
    throw new StrataConfigError(
      option,
      HIDDEN,
      `expected ${MASTER_KEY_BYTES} bytes, got ${bytes.length} (generate one with \`openssl rand -base64 32\`)`,
    );
  return bytes;
}
