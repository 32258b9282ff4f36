import { describe, expect, it } from 'vitest';
import { BUS_FORMAT_VERSION, decodeBusMessage, encodeBusMessage } from './bus-message.js';

describe('bus message layout', () => {
  it('round-trips keys with their versions (exact past 2^53 / 1000) and tags', () => {
    const message = {
      sender: 'a',
      keys: ['p:n:k1', 'p:n:k2'],
      upTo: [1_796_530_326_759_835, undefined],
      tags: ['p:{p:tags}:t:x'],
    };
    const raw = encodeBusMessage(message);
    expect(JSON.parse(raw)).toStrictEqual({
      v: BUS_FORMAT_VERSION,
      s: 'a',
      k: ['p:n:k1', 'p:n:k2'],
      u: ['1796530326759835', ''],
      t: ['p:{p:tags}:t:x'],
    });
    expect(decodeBusMessage(raw)).toStrictEqual({ kind: 'message', message });
  });

  it('reads the first layout (no version field) with every version unknown', () => {
    expect(decodeBusMessage(JSON.stringify({ s: 'old', k: ['k'] }))).toStrictEqual({
      kind: 'message',
      message: { sender: 'old', keys: ['k'], upTo: [undefined], tags: [] },
    });
  });

  it.each([
    ['not JSON', 'not json', [], []],
    ['a JSON array', '["k"]', [], []],
    ['null', 'null', [], []],
    ['a newer layout', JSON.stringify({ v: 3, s: 'x', k: ['k'], t: ['t'], extra: 1 }), ['k'], ['t']],
    ['a malformed layout version', JSON.stringify({ v: '2', s: 'x', k: ['k'] }), ['k'], []],
    ['a sender that is not a string', JSON.stringify({ v: 2, s: 1, k: ['k'], u: [''] }), ['k'], []],
    ['keys that are not strings', JSON.stringify({ v: 2, s: 'x', k: 'k', t: ['t'] }), [], ['t']],
    ['versions of another length', JSON.stringify({ v: 2, s: 'x', k: ['a', 'b'], u: ['1'] }), ['a', 'b'], []],
    ['a version that is not digits', JSON.stringify({ v: 2, s: 'x', k: ['a'], u: ['1e3'] }), ['a'], []],
    ['a negative version', JSON.stringify({ v: 2, s: 'x', k: ['a'], u: ['-1'] }), ['a'], []],
    ['a version past 2^53', JSON.stringify({ v: 2, s: 'x', k: ['a'], u: ['9999999999999999'] }), ['a'], []],
    ['a numeric version', JSON.stringify({ v: 2, s: 'x', k: ['a'], u: [5] }), ['a'], []],
  ])('rejects %s, keeping the keys and tags it still names', (_name, raw, keys, tags) => {
    const decoded = decodeBusMessage(raw);
    expect(decoded.kind).toBe('rejected');
    if (decoded.kind !== 'rejected') return;
    expect(decoded.keys).toStrictEqual(keys);
    expect(decoded.tags).toStrictEqual(tags);
    expect(decoded.reason).not.toBe('');
  });
});
