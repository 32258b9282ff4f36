import { hkdfSync, randomBytes } from 'node:crypto';

/** Bytes of a master key: AES-256. */
export const MASTER_KEY_BYTES = 32;

/** What a key id may be: it is written into every encrypted entry. */
export const KEY_ID_PATTERN = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Encryptions under one data key before a new one is derived: 2³¹, half the 2³² NIST SP 800-38D
 * §8.3 allows with random 96-bit IVs.
 */
export const REKEY_AFTER = 2 ** 31;

/** HKDF `info` of data keys: names what they are for, so a master key used elsewhere derives other keys. */
const DATA_KEY_INFO = Buffer.from('strata entry data key v1', 'utf8');

/** Derived keys remembered for reading; past this the memory is cleared (a bound, not a policy). */
const MAX_REMEMBERED_KEYS = 1024;

/** The data key a writer encrypts with, and the envelope fields that name it. */
export interface WritingKey {
  /** The master key id (`encryption.current`). */
  readonly id: string;
  /** The HKDF salt, base64url (22 characters): names the data key in the envelope. */
  readonly salt: string;
  readonly key: Buffer;
}

/**
 * The master keys of `encryption.keys`, and the data keys derived from them with HKDF-SHA-256.
 *
 * A process encrypts with a data key of its own: derived from the current master key and a random
 * 128-bit salt, and replaced by a fresh one after {@link REKEY_AFTER} encryptions, so no key ever
 * sees more random IVs than GCM allows however many instances write and however long they run.
 * Readers derive the data key of an entry from the master key its envelope names and its salt.
 */
export class EncryptionKeyring {
  readonly #masters: ReadonlyMap<string, Buffer>;
  readonly #current: string;
  #writing: WritingKey;
  #uses = 0;
  readonly #reading = new Map<string, Buffer>();

  /**
   * @param masters - master keys by id, each {@link MASTER_KEY_BYTES} long (validated by the options).
   * @param current - the id new writes use; one of `masters`.
   * @param rekeyAfter - encryptions per data key (tests lower it).
   */
  constructor(
    masters: ReadonlyMap<string, Buffer>,
    current: string,
    private readonly rekeyAfter = REKEY_AFTER,
  ) {
    if (!masters.has(current)) throw new Error('unreachable: the current key is validated as listed');
    this.#masters = masters;
    this.#current = current;
    this.#writing = this.#derive();
  }

  /** The id new writes use. */
  get currentId(): string {
    return this.#current;
  }

  /** The data key for one more encryption (a new one once the current one was used {@link REKEY_AFTER} times). */
  writingKey(): WritingKey {
    if (++this.#uses > this.rekeyAfter) {
      this.#writing = this.#derive();
      this.#uses = 1;
    }
    return this.#writing;
  }

  /** The data key of an entry's envelope; `undefined` when its master key is not (or no longer) listed. */
  readingKey(id: string, salt: string): Buffer | undefined {
    const name = `${id}.${salt}`;
    const known = this.#reading.get(name);
    if (known !== undefined) return known;
    const master = this.#masters.get(id);
    if (master === undefined) return undefined;
    const saltBytes = Buffer.from(salt, 'base64url');
    if (saltBytes.length !== 16 || saltBytes.toString('base64url') !== salt) return undefined;
    const key = dataKey(master, saltBytes);
    if (this.#reading.size >= MAX_REMEMBERED_KEYS) this.#reading.clear();
    this.#reading.set(name, key);
    return key;
  }

  #derive(): WritingKey {
    const master = this.#masters.get(this.#current) as Buffer;
    const salt = randomBytes(16);
    const writing = { id: this.#current, salt: salt.toString('base64url'), key: dataKey(master, salt) };
    this.#reading.set(`${writing.id}.${writing.salt}`, writing.key);
    return writing;
  }
}

function dataKey(master: Buffer, salt: Buffer): Buffer {
  return Buffer.from(hkdfSync('sha256', master, salt, DATA_KEY_INFO, MASTER_KEY_BYTES));
}
