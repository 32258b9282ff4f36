/**
 * One message of the invalidation bus: which instance sent it, the full entry keys whose L1
 * copies must go, and the full tag/namespace keys to invalidate in L1.
 */
export interface BusMessage {
  /** Id of the sending `CacheStack` (it skips its own messages). */
  readonly sender: string;
  /** Full entry keys (from `KeyBuilder.entry`) set or deleted by the sender. */
  readonly keys: readonly string[];
  /** Full tag and namespace keys (from `KeyBuilder.tag` / `namespace`) invalidated by the sender. */
  readonly tags: readonly string[];
}

/** Wire form: short field names, JSON (keys and tags are plain strings). */
interface WireMessage {
  readonly s: string;
  readonly k?: readonly string[];
  readonly t?: readonly string[];
}

/**
 * Encodes a bus message for `PUBLISH`.
 *
 * @param message - What to announce; empty lists are left out.
 * @returns The JSON text.
 */
export function encodeBusMessage(message: BusMessage): string {
  const wire: WireMessage = {
    s: message.sender,
    ...(message.keys.length > 0 ? { k: message.keys } : {}),
    ...(message.tags.length > 0 ? { t: message.tags } : {}),
  };
  return JSON.stringify(wire);
}

/**
 * Decodes a message received on the bus channel.
 *
 * @param raw - The published text.
 * @returns The message, or `undefined` when it is not one (another publisher on the channel).
 */
export function decodeBusMessage(raw: string): BusMessage | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  const { s, k, t } = parsed as Record<string, unknown>;
  if (typeof s !== 'string') return undefined;
  const keys = k === undefined ? [] : k;
  const tags = t === undefined ? [] : t;
  if (!isStringArray(keys) || !isStringArray(tags)) return undefined;
  return { sender: s, keys, tags };
}

function isStringArray(value: unknown): value is readonly string[] {
  return Array.isArray(value) && value.every((item) => typeof item === 'string');
}
