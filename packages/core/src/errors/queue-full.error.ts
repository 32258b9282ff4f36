import { StrataError } from './strata.error.js';

/** A write-behind cache's queue holds `maxQueueLength` unflushed writes and `onFull` is `'reject'`. */
export class QueueFullError extends StrataError {
  /** The named cache whose queue is full. */
  readonly cache: string;

  constructor(cache: string, maxQueueLength: number) {
    super(
      'E_QUEUE_FULL',
      `The write-behind queue of cache "${cache}" holds ${maxQueueLength} unflushed writes`,
    );
    this.cache = cache;
  }
}
