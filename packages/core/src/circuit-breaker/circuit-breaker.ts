/** State of a {@link CircuitBreaker}. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** Options of a {@link CircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. */
  readonly failureThreshold: number;
  /** How long the circuit stays open before one trial call is let through, in ms. */
  readonly breakDurationMs: number;
  /** Called when the state changes. */
  readonly onStateChange?: (state: CircuitState) => void;
}

/**
 * Skips a failing dependency for a while, then lets one trial call through: success closes the
 * circuit, failure opens it again. Time is read from `Date.now()` (fake timers work); nothing
 * is scheduled, so there is no timer to clear at shutdown.
 */
export class CircuitBreaker {
  private failures = 0;
  private openedAt = 0;
  private current: CircuitState = 'closed';
  private trialInFlight = false;

  constructor(private readonly options: CircuitBreakerOptions) {}

  /** The current state. */
  get state(): CircuitState {
    return this.current;
  }

  /** Whether a call may go through now. In half-open state, only one trial call at a time. */
  allows(): boolean {
    if (this.current === 'closed') return true;
    if (this.current === 'open') {
      if (Date.now() - this.openedAt < this.options.breakDurationMs) return false;
      this.transition('half-open');
    }
    if (this.trialInFlight) return false;
    this.trialInFlight = true;
    return true;
  }

  /** Records a successful call. */
  succeed(): void {
    this.failures = 0;
    this.trialInFlight = false;
    if (this.current !== 'closed') this.transition('closed');
  }

  /** Records a failed call. */
  fail(): void {
    this.trialInFlight = false;
    this.failures++;
    if (this.current === 'half-open' || this.failures >= this.options.failureThreshold) {
      this.openedAt = Date.now();
      if (this.current !== 'open') this.transition('open');
    }
  }

  private transition(state: CircuitState): void {
    this.current = state;
    this.options.onStateChange?.(state);
  }
}
