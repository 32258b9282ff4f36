/** CRC16-CCITT (XMODEM), the hash of Redis Cluster key slots, one table entry per byte value. */
const CRC16_TABLE = Uint16Array.from({ length: 256 }, (_, byte) => {
  let crc = byte << 8;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  return crc;
});

const OPEN = 0x7b; // '{'
const CLOSE = 0x7d; // '}'

/**
 * The Redis Cluster slot of `key` (0 to 16383): CRC16 of its UTF-8 bytes modulo 16384, or of its
 * hash tag (the bytes between the first `{` and the next `}`, when not empty), as Redis computes
 * it. Keys of one slot live on one node, so one script call may touch them all.
 */
export function keySlot(key: string): number {
  const bytes = Buffer.from(key);
  let start = 0;
  let end = bytes.length;
  const open = bytes.indexOf(OPEN);
  if (open >= 0) {
    const close = bytes.indexOf(CLOSE, open + 1);
    if (close > open + 1) {
      start = open + 1;
      end = close;
    }
  }
  let crc = 0;
  for (let i = start; i < end; i++)
    crc = ((crc << 8) & 0xffff) ^ (CRC16_TABLE[((crc >> 8) ^ (bytes[i] ?? 0)) & 0xff] ?? 0);
  return crc & 0x3fff;
}
