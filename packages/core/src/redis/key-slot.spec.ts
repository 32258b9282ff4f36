import { describe, expect, it } from 'vitest';
import { keySlot } from './key-slot.js';

describe('keySlot', () => {
  it('gives the slots Redis gives (CLUSTER KEYSLOT)', () => {
    // Values from the Redis Cluster specification and `CLUSTER KEYSLOT`.
    expect(keySlot('123456789')).toBe(0x31c3 & 0x3fff);
    expect(keySlot('foo')).toBe(12182);
    expect(keySlot('bar')).toBe(5061);
    expect(keySlot('')).toBe(0);
  });

  it('hashes only the hash tag when there is a non-empty one', () => {
    expect(keySlot('{user1000}.following')).toBe(keySlot('user1000'));
    expect(keySlot('{user1000}.following')).toBe(3443);
    expect(keySlot('app:{tags}:t:a')).toBe(keySlot('tags'));
    expect(keySlot('foo{}{bar}')).not.toBe(keySlot('bar')); // empty first tag: the whole key
    expect(keySlot('foo{{bar}}zap')).toBe(keySlot('{bar'));
  });

  it('hashes UTF-8 bytes (values from the cluster-key-slot package ioredis uses)', () => {
    expect(keySlot('clé')).toBe(3008);
    expect(keySlot('键')).toBe(16043);
    expect(keySlot('{é}a')).toBe(keySlot('{é}b'));
  });
});
