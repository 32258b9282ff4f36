import { describe, expect, it } from 'vitest';
import { isEarlyRefreshDue } from '../src/reads/xfetch.js';
import { recordEvents, staleReadVariants, storedEntry } from './stale-reads.support.js';
import { deferred, eventually, sleep, useFakeDate } from './support.js';

const variants = staleReadVariants();

describe('isEarlyRefreshDue (XFetch)', () => {
  const at = (r: number, beta = 1) => ({ beta, random: () => r });

  it('follows now - loadMs × beta × ln(random()) ≥ freshUntil', () => {
    // -ln(e^-2) = 2: due exactly when 2 × loadMs × beta reaches the time left.
    expect(isEarlyRefreshDue(1_000, 1_200, 100, at(Math.exp(-2)))).toBe(true);
    expect(isEarlyRefreshDue(1_000, 1_201, 100, at(Math.exp(-2)))).toBe(false);
    expect(isEarlyRefreshDue(1_000, 1_400, 100, at(Math.exp(-2), 2))).toBe(true);
    expect(isEarlyRefreshDue(1_000, 1_401, 100, at(Math.exp(-2), 2))).toBe(false);
    // random() = 1: never before expiry; random() = 0: always.
    expect(isEarlyRefreshDue(1_000, 1_001, 100, at(1))).toBe(false);
    expect(isEarlyRefreshDue(1_000, 1e12, 100, at(0))).toBe(true);
    // No load time (a set value): never.
    expect(isEarlyRefreshDue(1_000, 1_001, undefined, at(0))).toBe(false);
  });
});

describe.each(variants)('early refresh (XFetch): $name', (variant) => {
  // A still Date: the time left, and so the draws computed from it below, hold exactly.
  useFakeDate();

  it('refreshes a fresh entry exactly when the formula says, once at a time, and stores the load time', async () => {
    let r = 1;
    const stack = await variant.make({ earlyRefresh: { random: () => r } });
    const events = recordEvents(stack, 'refresh');
    let calls = 0;
    const release = deferred();
    const loader = async (): Promise<string> => {
      calls++;
      // The load time is measured on the real clock (`performance.now()`).
      if (calls === 1) await sleep(40);
      else await release.promise;
      return `v${calls}`;
    };
    expect(await stack.getOrLoad('k', loader, { ttl: 2_000 })).toBe('v1');
    const entry = await storedEntry(stack, 'k');
    expect(entry?.loadMs).toBeGreaterThanOrEqual(40);
    const loadMs = entry?.loadMs ?? 0;
    const freshUntil = entry?.freshUntil ?? 0;
    // A draw whose gap (loadMs × -ln r) is half the time left: not due.
    r = Math.exp(-(0.5 * (freshUntil - Date.now())) / loadMs);
    expect(await stack.getOrLoad('k', loader)).toBe('v1');
    // A refresh that did not start emits nothing to wait for: give one the time to call the loader.
    await sleep(20);
    expect(calls).toBe(1);

    // A draw whose gap is twice the time left: due. 20 hits start one refresh, served the fresh value.
    r = Math.exp(-(2 * (freshUntil - Date.now())) / loadMs);
    const values = await Promise.all(Array.from({ length: 20 }, () => stack.getOrLoad('k', loader)));
    expect(values.every((v) => v === 'v1')).toBe(true);
    expect(await eventually(() => calls === 2, 2_000, 5)).toBe(true);
    // Nothing marks a second refresh that did not start: give one the time to call the loader.
    await sleep(20);
    expect(calls).toBe(2);

    release.resolve();
    expect(await eventually(() => events.refresh.length === 1, 2_000, 10)).toBe(true);
    expect(events.refresh[0]).toMatchObject({ trigger: 'early', outcome: 'loaded' });
    r = 1;
    expect(await stack.getOrLoad('k', loader)).toBe('v2');
    expect((await storedEntry(stack, 'k'))?.freshUntil).toBeGreaterThan(freshUntil);
  });

  it('is off by default and per call; never refreshes entries that were set, not loaded', async () => {
    const stack = await variant.make({ earlyRefresh: { random: () => 0 } });
    let calls = 0;
    await stack.set('set', 'v');
    expect(await stack.getOrLoad('set', () => ++calls)).toBe('v');
    await stack.getOrLoad('loaded', async () => {
      // A load time above zero: entries loaded in no time are never refreshed early.
      await sleep(5);
      return ++calls;
    });
    expect(await stack.getOrLoad('loaded', () => ++calls, { earlyRefresh: false })).toBe(1);
    // A refresh that did not start emits nothing to wait for: give one the time to call the loader.
    await sleep(20);
    expect(calls).toBe(1);
    // On by default here: random() = 0 makes every hit due.
    expect(await stack.getOrLoad('loaded', () => ++calls)).toBe(1);
    expect(await eventually(() => calls === 2, 1_000, 10)).toBe(true);
  });
});
