import { randomBytes } from 'node:crypto';
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { EncryptionKeyring } from './encryption-keyring.js';
import {
  SEAL_ENCRYPT,
  SEAL_NO_COMPRESSION,
  StoredValueCodec,
  type StoredValueCodecOptions,
  type UnreadableReason,
} from './stored-value.codec.js';
import { encodeValue } from './value.codec.js';

const K1 = randomBytes(32);
const K2 = randomBytes(32);
const ring = (keys: Record<string, Buffer>, current: string, rekeyAfter?: number): EncryptionKeyring =>
  new EncryptionKeyring(new Map(Object.entries(keys)), current, rekeyAfter);

const codec = (
  options: Partial<StoredValueCodecOptions> = {},
): { codec: StoredValueCodec; seen: UnreadableReason[] } => {
  const seen: UnreadableReason[] = [];
  return {
    seen,
    codec: new StoredValueCodec({
      compressionThreshold: 1024,
      keyring: ring({ k1: K1 }, 'k1'),
      compressSensitive: false,
      maxValueBytes: 1024 * 1024,
      onUnreadable: (_key, reason) => void seen.push(reason),
      ...options,
    }),
  };
};

const HEAD = '1700000000000|1700000060000|1\nstrata:t:ns:default\n';
const SMALL = encodeValue({ secret: 'attack at dawn' });
const LARGE = encodeValue(Array.from({ length: 500 }, (_, i) => ({ id: i, name: `item ${i}` })));

describe('StoredValueCodec', () => {
  it('leaves small plain values as they are and compresses large ones, both read back exactly', () => {
    const { codec: c } = codec();
    expect(c.seal('k', HEAD, SMALL, 0)).toBe(SMALL);
    const stored = c.seal('k', HEAD, LARGE, 0);
    expect(stored.startsWith('Z')).toBe(true);
    expect(stored.length).toBeLessThan(LARGE.length / 3);
    expect(c.open('k', HEAD, stored)).toBe(LARGE);
    expect(c.seal('k', HEAD, LARGE, SEAL_NO_COMPRESSION)).toBe(LARGE);
  });

  it('keeps a value that would not shrink as it is', () => {
    const { codec: c } = codec({ compressionThreshold: 64 });
    const noise = encodeValue(randomBytes(3_000).toString('base64'));
    expect(c.seal('k', HEAD, noise, 0)).toBe(noise);
  });

  it('encrypts with a fresh IV per write, and opens only under the same key, header and binding', () => {
    const { codec: c, seen } = codec();
    const one = c.seal('strata:orders:1', HEAD, SMALL, SEAL_ENCRYPT);
    const two = c.seal('strata:orders:1', HEAD, SMALL, SEAL_ENCRYPT);
    expect(one).not.toBe(two);
    expect(one).not.toContain('attack');
    expect(c.open('strata:orders:1', HEAD, one)).toBe(SMALL);
    expect(c.open('strata:orders:2', HEAD, one)).toBeUndefined();
    expect(c.open('strata:orders:1', HEAD.replace('1700000060000', '1900000060000'), one)).toBeUndefined();
    // A value bound to its key only cannot pass for one bound to its header, nor the reverse.
    expect(c.open('strata:orders:1', HEAD, `Ek${one.slice(2)}`)).toBeUndefined();
    const keyOnly = c.seal('strata:orders:1', '', SMALL, SEAL_ENCRYPT, 'k');
    expect(c.open('strata:orders:1', 'any header', keyOnly)).toBe(SMALL);
    expect(c.open('strata:orders:1', '', `Eh${keyOnly.slice(2)}`)).toBeUndefined();
    expect(seen).toEqual(['tampered', 'tampered', 'tampered', 'tampered']);
  });

  it('reads every single-character change of an encrypted value as a miss', () => {
    const { codec: c, seen } = codec();
    const stored = c.seal('k', HEAD, SMALL, SEAL_ENCRYPT);
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/.';
    for (let i = 0; i < stored.length; i++) {
      const char = stored[i] as string;
      const other = alphabet[(alphabet.indexOf(char) + 1) % alphabet.length] ?? 'A';
      const changed = stored.slice(0, i) + other + stored.slice(i + 1);
      // Base64 padding bits: a change there may decode to the same bytes.
      const opened = c.open('k', HEAD, changed);
      if (opened !== undefined)
        expect(Buffer.from(changed.slice(stored.lastIndexOf('.') + 1), 'base64')).toEqual(
          Buffer.from(stored.slice(stored.lastIndexOf('.') + 1), 'base64'),
        );
    }
    expect(seen.length).toBeGreaterThan(stored.length - 3);
  });

  it('opens entries of every listed master key, and names an unknown one', () => {
    const { codec: old } = codec({ keyring: ring({ k1: K1 }, 'k1') });
    const stored = old.seal('k', HEAD, SMALL, SEAL_ENCRYPT);
    const { codec: rotated } = codec({ keyring: ring({ k2: K2, k1: K1 }, 'k2') });
    expect(rotated.open('k', HEAD, stored)).toBe(SMALL);
    expect(rotated.seal('k', HEAD, SMALL, SEAL_ENCRYPT).startsWith('Ehk2.')).toBe(true);
    const { codec: without, seen } = codec({ keyring: ring({ k2: K2 }, 'k2') });
    expect(without.open('k', HEAD, stored)).toBeUndefined();
    const { codec: none, seen: noKeys } = codec({ keyring: undefined });
    expect(none.open('k', HEAD, stored)).toBeUndefined();
    expect([...seen, ...noKeys]).toEqual(['unknown-key', 'unknown-key']);
    // Same id, other key material: authentication fails.
    const { codec: impostor, seen: impostorSeen } = codec({ keyring: ring({ k1: K2 }, 'k1') });
    expect(impostor.open('k', HEAD, stored)).toBeUndefined();
    expect(impostorSeen).toEqual(['tampered']);
  });

  it('derives a new data key (new salt) after the rekey limit', () => {
    const { codec: c } = codec({ keyring: ring({ k1: K1 }, 'k1', 3) });
    const salts = Array.from({ length: 7 }, () => c.seal('k', HEAD, SMALL, SEAL_ENCRYPT).split('.')[1]);
    expect(new Set(salts.slice(0, 3)).size).toBe(1);
    expect(new Set(salts).size).toBe(3);
    for (const salt of salts) expect(salt).toHaveLength(22);
  });

  it('compresses sensitive values before encrypting only when asked', () => {
    const { codec: plain } = codec();
    const { codec: compressing } = codec({ compressSensitive: true });
    const a = plain.seal('k', HEAD, LARGE, SEAL_ENCRYPT);
    const b = compressing.seal('k', HEAD, LARGE, SEAL_ENCRYPT);
    expect(b.length).toBeLessThan(a.length / 3);
    expect(plain.open('k', HEAD, b)).toBe(LARGE);
    expect(compressing.open('k', HEAD, a)).toBe(LARGE);
  });

  it('reads unknown kinds, bad DEFLATE and oversized inflation as misses', () => {
    const { codec: c, seen } = codec({ maxValueBytes: 10_000 });
    expect(c.open('k', HEAD, 'Q{}')).toBeUndefined();
    expect(c.open('k', HEAD, 'Zbm90IGRlZmxhdGU=')).toBeUndefined();
    const bomb = deflateRawSync(Buffer.from(`j"${'0'.repeat(1_000_000)}"`)).toString('base64');
    expect(c.open('k', HEAD, `Z${bomb}`)).toBeUndefined();
    // Inflates fine, but to something that is not an encoded value.
    expect(c.open('k', HEAD, `Z${deflateRawSync(Buffer.from('x1')).toString('base64')}`)).toBeUndefined();
    expect(seen).toEqual(['unknown-kind', 'corrupt', 'corrupt', 'corrupt']);
  });
});
