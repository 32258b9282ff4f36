// A turn of the event loop (not a microtask): the async context must survive a real hop.
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { CacheTransactions } from './cache-transactions.js';

describe('CacheTransactions', () => {
  it('defers operations until the transaction resolves, then applies them in order', async () => {
    const transactions = new CacheTransactions();
    const applied: string[] = [];
    const op = (name: string) => async (): Promise<void> => {
      applied.push(name);
    };
    const result = await transactions.run(async () => {
      await transactions.defer(op('a'));
      await nextTurn();
      await transactions.defer(op('b'));
      expect(applied).toEqual([]);
      return 'done';
    });
    expect(result).toBe('done');
    expect(applied).toEqual(['a', 'b']);
  });

  it('keeps deferring in a transaction that outlives one started beside it, and applies at once outside', async () => {
    const transactions = new CacheTransactions();
    const applied: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((resolve) => (release = resolve));
    const long = transactions.run(async () => {
      await gate;
      // The short transaction has committed: this one is still open.
      expect(transactions.active).toBe(true);
      await transactions.defer(async () => void applied.push('long'));
      expect(applied).toEqual(['short']);
    });
    await transactions.run(async () => {
      await nextTurn();
      await transactions.defer(async () => void applied.push('short'));
    });
    release();
    await long;
    expect(applied).toEqual(['short', 'long']);
    expect(transactions.active).toBe(false);
    await transactions.defer(async () => void applied.push('outside'));
    expect(applied).toEqual(['short', 'long', 'outside']);
  });

  it('drops the deferred operations when the transaction throws', async () => {
    const transactions = new CacheTransactions();
    const applied: string[] = [];
    await expect(
      transactions.run(async () => {
        await transactions.defer(async () => void applied.push('dropped'));
        throw new Error('rollback');
      }),
    ).rejects.toThrow('rollback');
    expect(applied).toEqual([]);
    expect(transactions.active).toBe(false);
  });
});
