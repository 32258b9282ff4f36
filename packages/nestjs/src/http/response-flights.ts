/**
 * Request collapsing: concurrent requests for one key wait for the first one (the leader)
 * instead of each running the handler. Unlike a plain single-flight, a follower decides for itself
 * whether the leader's outcome fits it (the same variant, a stored response); if not, it runs its
 * own handler, so the leader's error or personal response is never handed to someone else.
 */
export class ResponseFlights<T> {
  private readonly flights = new Map<string, Promise<T>>();

  /** The flight in progress for `key`, if any. */
  current(key: string): Promise<T> | undefined {
    return this.flights.get(key);
  }

  /**
   * Runs `run` as the flight of `key`; others find it with {@link ResponseFlights.current} until it
   * settles. The flight is removed only after `run` settled, so whatever it stored is visible to a
   * request that arrives after it is gone.
   */
  lead(key: string, run: () => Promise<T>): Promise<T> {
    const flight = run().finally(() => {
      if (this.flights.get(key) === flight) this.flights.delete(key);
    });
    this.flights.set(key, flight);
    return flight;
  }

  /** Number of flights in progress (for tests and metrics). */
  get size(): number {
    return this.flights.size;
  }
}
