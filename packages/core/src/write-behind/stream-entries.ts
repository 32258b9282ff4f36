/** One record read from a journal stream: the write of `key` at `version`. */
export interface StreamRecord {
  readonly id: string;
  readonly key: string;
  readonly version: number;
}

/** Parses `[[id, [field, value, …]], …]` stream entries, skipping malformed or deleted ones. */
export function parseEntries(raw: unknown): StreamRecord[] {
  if (!Array.isArray(raw)) return [];
  const records: StreamRecord[] = [];
  for (const item of raw) {
    if (!Array.isArray(item) || typeof item[0] !== 'string' || !Array.isArray(item[1])) continue;
    const fields: unknown[] = item[1];
    let key: string | undefined;
    let version: number | undefined;
    for (let i = 0; i + 1 < fields.length; i += 2) {
      if (fields[i] === 'k' && typeof fields[i + 1] === 'string') key = fields[i + 1] as string;
      if (fields[i] === 'v') version = Number(fields[i + 1]);
    }
    if (key !== undefined && version !== undefined && Number.isSafeInteger(version)) {
      records.push({ id: item[0], key, version });
    }
  }
  return records;
}
