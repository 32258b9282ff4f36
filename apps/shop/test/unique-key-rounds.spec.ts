import { describe, expect, it } from 'vitest';
import { uniqueKeyRounds } from '../src/db/unique-key-rounds.js';

describe('uniqueKeyRounds', () => {
  it('puts a coalesced batch in one round, in order', () => {
    const records = [{ key: 'a' }, { key: 'b' }, { key: 'c' }];
    expect(uniqueKeyRounds(records)).toEqual([records]);
  });

  it('moves a repeated key to a later round, so no statement touches a row twice', () => {
    const rounds = uniqueKeyRounds([
      { key: 'a', v: 1 },
      { key: 'b', v: 1 },
      { key: 'a', v: 2 },
      { key: 'a', v: 3 },
    ]);
    expect(rounds).toEqual([
      [
        { key: 'a', v: 1 },
        { key: 'b', v: 1 },
      ],
      [{ key: 'a', v: 2 }],
      [{ key: 'a', v: 3 }],
    ]);
  });
});
