/**
 * Version of the bus message layout this release writes. Receivers read it and the layout
 * before it (no version field, no entry versions: every named copy is dropped); a message of a
 * newer layout is not trusted beyond what dropping L1 copies needs (see {@link decodeBusMessage}).
 */
export const BUS_FORMAT_VERSION = 2;

/**
 * One message of the invalidation bus: which instance sent it, the full entry keys whose L1
 * copies are outdated and up to which entry version, and the full tag/namespace keys to
 * invalidate in L1.
 *
 * Entry versions are the Redis versions of entries: the `created` time of an entry in Redis
 * (Redis `TIME` in µs on the entry's node), and the time of a delete marker. They grow with
 * every change of one key, so a receiver can tell an older change from a newer copy.
 */
export interface BusMessage {
  /** Id of the sending `CacheStack` (it skips its own messages). */
  readonly sender: string;
  /** Full entry keys (from `KeyBuilder.entry`) set or deleted by the sender. */
  readonly keys: readonly string[];
  /**
   * Per key of `keys` (same index): L1 copies whose entry version is at most this are outdated,
   * and writes of such versions must be refused. A set of version `v` gives `v - 1` (a copy of
   * the new entry itself stays), a delete its marker's time. `undefined`: not known (the Redis
   * command failed, or a message of the first layout): every copy goes.
   */
  readonly upTo: readonly (number | undefined)[];
  /** Full tag and namespace keys (from `KeyBuilder.tag` / `namespace`) invalidated by the sender. */
  readonly tags: readonly string[];
}

/**
 * What {@link decodeBusMessage} made of a published text. `rejected` is a text that is not a
 * message of a layout this release knows: `keys` and `tags` are what could still be read of it
 * (a receiver drops those L1 copies: dropping is always safe), `reason` says why it was rejected.
 */
export type DecodedBusMessage =
  | { readonly kind: 'message'; readonly message: BusMessage }
  | {
      readonly kind: 'rejected';
      readonly reason: string;
      readonly keys: readonly string[];
      readonly tags: readonly string[];
    };

/**
 * Wire form (JSON, short field names): `{"v":2,"s":"<sender>","k":["<key>",…],
 * "u":["<version>"|"",…],"t":["<tag>",…]}`. Versions are decimal strings ('' when unknown):
 * they stay below 2^53 until the year 2255, but Redis's Lua `cjson` prints numbers with 14
 * digits, which would round them, and the append script of the write-behind journal
 * (`journal-append.script.ts`) writes this layout too.
 */
interface WireMessage {
  readonly v: number;
  readonly s: string;
  readonly k?: readonly string[];
  readonly u?: readonly string[];
  readonly t?: readonly string[];
}

const NO_STRINGS: readonly string[] = [];
/** Up to 16 digits and at most `Number.MAX_SAFE_INTEGER`: exact as a JavaScript number. */
const VERSION_PATTERN = /^\d{1,16}$/;

/**
 * Encodes a bus message for `PUBLISH`.
 *
 * @param message - What to announce; empty lists are left out.
 * @returns The JSON text.
 */
export function encodeBusMessage(message: BusMessage): string {
  const wire: WireMessage = {
    v: BUS_FORMAT_VERSION,
    s: message.sender,
    ...(message.keys.length > 0
      ? {
          k: message.keys,
          u: message.keys.map((_, i) => {
            const upTo = message.upTo[i];
            return upTo === undefined ? '' : String(upTo);
          }),
        }
      : {}),
    ...(message.tags.length > 0 ? { t: message.tags } : {}),
  };
  return JSON.stringify(wire);
}

/**
 * Decodes a text received on the bus channel. Anything may be published there (another
 * publisher, an older or newer release, a forgery), so nothing is trusted beyond its shape:
 * a message can only make a receiver drop L1 copies or refuse writes, never store anything.
 *
 * - Layout 2 (this release): read fully.
 * - Layout 1 (no `v` field; releases before entry versions): read, with every version unknown.
 * - A newer layout, or a malformed message: `rejected`, with the keys and tags that are still
 *   string lists (their copies are dropped: safe whatever the sender meant).
 *
 * @param raw - The published text.
 */
export function decodeBusMessage(raw: string): DecodedBusMessage {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return rejected('not JSON', undefined);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    return rejected('not a JSON object', undefined);
  const fields = parsed as Record<string, unknown>;
  const { v, s, k, u, t } = fields;
  if (v !== undefined && v !== BUS_FORMAT_VERSION) {
    const known = typeof v === 'number' && Number.isInteger(v) && v > BUS_FORMAT_VERSION;
    return rejected(known ? `unknown format version ${String(v)}` : 'malformed format version', fields);
  }
  const keys = k === undefined ? NO_STRINGS : k;
  const tags = t === undefined ? NO_STRINGS : t;
  if (typeof s !== 'string' || !isStringArray(keys) || !isStringArray(tags))
    return rejected('malformed sender, keys or tags', fields);
  if (v === undefined)
    return { kind: 'message', message: { sender: s, keys, upTo: keys.map(() => undefined), tags } };
  const upTo = u === undefined ? keys.map(() => '') : u;
  if (!isStringArray(upTo) || upTo.length !== keys.length) return rejected('malformed versions', fields);
  const versions: (number | undefined)[] = [];
  for (const text of upTo) {
    if (text === '') versions.push(undefined);
    else if (VERSION_PATTERN.test(text) && Number(text) <= Number.MAX_SAFE_INTEGER)
      versions.push(Number(text));
    else return rejected('malformed versions', fields);
  }
  return { kind: 'message', message: { sender: s, keys, upTo: versions, tags } };
}

function rejected(reason: string, fields: Record<string, unknown> | undefined): DecodedBusMessage {
  const keys = fields?.['k'];
  const tags = fields?.['t'];
  return {
    kind: 'rejected',
    reason,
    keys: isStringArray(keys) ? keys : NO_STRINGS,
    tags: isStringArray(tags) ? tags : NO_STRINGS,
  };
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
