/**
 * Whether `error` is a reply from Redis (an error reply such as `OOM …` or `WRONGTYPE …`), as
 * opposed to a timeout or a lost connection: Redis answered, so it is up.
 */
export function isRedisReply(error: unknown): boolean {
  // ioredis rejects with redis-errors' `ReplyError`, whose `name` is its class name.
  return error instanceof Error && error.name === 'ReplyError';
}

/**
 * Whether `error` is Redis refusing a command that could grow memory while it is over
 * `maxmemory` with the `noeviction` policy. A refusal, not an outage: it does not count toward
 * the circuit breaker.
 */
export function isOutOfMemoryReply(error: unknown): boolean {
  return isRedisReply(error) && (error as Error).message.startsWith('OOM ');
}
