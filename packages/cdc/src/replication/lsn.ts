/**
 * A PostgreSQL log sequence number (`16/B374D848`) as a bigint, for comparing positions and
 * measuring lag in bytes.
 *
 * @throws TypeError when `lsn` is not of that form.
 */
export function parseLsn(lsn: string): bigint {
  const match = /^([0-9A-Fa-f]{1,8})\/([0-9A-Fa-f]{1,8})$/.exec(lsn);
  if (match === null) throw new TypeError(`not a log sequence number: ${JSON.stringify(lsn)}`);
  return (BigInt(`0x${match[1]}`) << 32n) | BigInt(`0x${match[2]}`);
}

/** The `X/Y` form of a position. */
export function formatLsn(position: bigint): string {
  return `${(position >> 32n).toString(16).toUpperCase()}/${(position & 0xffffffffn).toString(16).toUpperCase()}`;
}

/** The later of two positions in `X/Y` form. */
export function laterLsn(a: string, b: string): string {
  return parseLsn(a) >= parseLsn(b) ? a : b;
}
