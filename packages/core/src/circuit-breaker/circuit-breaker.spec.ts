import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { CircuitBreaker, type CircuitState } from './circuit-breaker.js';

describe('CircuitBreaker', () => {
  let changes: CircuitState[];
  let breaker: CircuitBreaker;

  beforeEach(() => {
    vi.useFakeTimers();
    changes = [];
    breaker = new CircuitBreaker({
      failureThreshold: 3,
      breakDurationMs: 1000,
      onStateChange: (state) => changes.push(state),
    });
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('starts closed and lets calls through', () => {
    expect(breaker.state).toBe('closed');
    expect(breaker.allows()).toBe(true);
    expect(breaker.allows()).toBe(true);
    expect(changes).toStrictEqual([]);
  });

  it('opens after failureThreshold consecutive failures, and skips calls while open', () => {
    breaker.fail();
    breaker.fail();
    expect(breaker.state).toBe('closed');
    expect(breaker.allows()).toBe(true);
    breaker.fail();
    expect(breaker.state).toBe('open');
    expect(changes).toStrictEqual(['open']);
    expect(breaker.allows()).toBe(false);
    vi.advanceTimersByTime(999);
    expect(breaker.allows()).toBe(false);
    expect(breaker.state).toBe('open');
  });

  it('counts consecutive failures only: a success resets the count', () => {
    breaker.fail();
    breaker.fail();
    breaker.succeed();
    breaker.fail();
    breaker.fail();
    expect(breaker.state).toBe('closed');
    breaker.fail();
    expect(breaker.state).toBe('open');
  });

  it('lets exactly one trial call through after breakDuration (half-open)', () => {
    for (let i = 0; i < 3; i++) breaker.fail();
    vi.advanceTimersByTime(1000);
    expect(breaker.allows()).toBe(true);
    expect(breaker.state).toBe('half-open');
    expect(breaker.allows()).toBe(false);
    expect(breaker.allows()).toBe(false);
    expect(changes).toStrictEqual(['open', 'half-open']);
  });

  it('closes when the trial succeeds', () => {
    for (let i = 0; i < 3; i++) breaker.fail();
    vi.advanceTimersByTime(1000);
    expect(breaker.allows()).toBe(true);
    breaker.succeed();
    expect(breaker.state).toBe('closed');
    expect(breaker.allows()).toBe(true);
    expect(breaker.allows()).toBe(true);
    expect(changes).toStrictEqual(['open', 'half-open', 'closed']);
    // The failure count restarted: two failures do not reopen it.
    breaker.fail();
    breaker.fail();
    expect(breaker.state).toBe('closed');
  });

  it('reopens for a full breakDuration when the trial fails', () => {
    for (let i = 0; i < 3; i++) breaker.fail();
    vi.advanceTimersByTime(1500);
    expect(breaker.allows()).toBe(true);
    breaker.fail();
    expect(breaker.state).toBe('open');
    expect(breaker.allows()).toBe(false);
    vi.advanceTimersByTime(999);
    expect(breaker.allows()).toBe(false);
    vi.advanceTimersByTime(1);
    expect(breaker.allows()).toBe(true);
    expect(changes).toStrictEqual(['open', 'half-open', 'open', 'half-open']);
  });

  it('does not report open twice while failures keep coming', () => {
    for (let i = 0; i < 10; i++) breaker.fail();
    expect(changes).toStrictEqual(['open']);
  });

  it('schedules nothing (no timer to clear at shutdown)', () => {
    for (let i = 0; i < 3; i++) breaker.fail();
    expect(vi.getTimerCount()).toBe(0);
  });
});
