import { wallClockMs } from './children/protocol.js';
import { formatNs } from './report.js';

/** A child serving `clock`: its wall clock (ms), for the parent's offset estimate. */
interface Clocked {
  request(command: 'clock'): Promise<number>;
}

/** A child's clock offset against this process's and its uncertainty, in ms. */
export interface ClockOffset {
  readonly offset: number;
  readonly bound: number;
}

/**
 * The child's clock minus this process's, from the IPC ping with the shortest round trip of 50,
 * and the uncertainty of that estimate (half that round trip), in ms.
 */
export async function clockOffset(child: Clocked): Promise<ClockOffset> {
  let best = { offset: 0, bound: Number.POSITIVE_INFINITY };
  for (let i = 0; i < 50; i++) {
    const sent = wallClockMs();
    const theirs = await child.request('clock');
    const back = wallClockMs();
    if ((back - sent) / 2 < best.bound)
      best = { offset: theirs - (sent + back) / 2, bound: (back - sent) / 2 };
  }
  return best;
}

/** The readers' offsets against the writer's, as text: `12.3 µs ± 40.1 µs and …`. */
export function describeSkew(writer: ClockOffset, readers: readonly ClockOffset[]): string {
  return readers
    .map((o) => `${signedMs(o.offset - writer.offset)} ± ${signedMs(o.bound + writer.bound)}`)
    .join(' and ');
}

/** Milliseconds as µs or ms, signed. */
export function signedMs(ms: number): string {
  return `${ms < 0 ? '-' : ''}${formatNs(Math.abs(ms) * 1e6)}`;
}
