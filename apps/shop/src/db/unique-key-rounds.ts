/**
 * Splits writer records into rounds in which no key appears twice, keeping their order: one
 * multi-row `INSERT … ON CONFLICT DO UPDATE` per round then never touches a row twice (PostgreSQL
 * rejects that). Write-behind batches are coalesced per key, so a batch is normally one round.
 */
export function uniqueKeyRounds<R extends { readonly key: string }>(records: readonly R[]): R[][] {
  const rounds: R[][] = [];
  const roundOf = new Map<string, number>();
  for (const record of records) {
    const round = (roundOf.get(record.key) ?? -1) + 1;
    roundOf.set(record.key, round);
    (rounds[round] ??= []).push(record);
  }
  return rounds;
}
