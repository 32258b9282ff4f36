import type { Redis } from 'ioredis';

/**
 * Calls per command a Redis server has run since it started (`INFO commandstats`), by lower-case
 * name. The commands a script runs count under their own names (`set`, `getrange`, …) besides the
 * script's call (`evalsha`, or `eval` for a script's first call).
 */
export async function commandCalls(node: Redis): Promise<Map<string, number>> {
  const info = await node.info('commandstats');
  const calls = new Map<string, number>();
  for (const match of info.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
    calls.set(match[1] ?? '', Number(match[2]));
  return calls;
}

/** How many more calls of `names`, together, `node` has run since `before` ({@link commandCalls}). */
export async function callsSince(
  node: Redis,
  before: Map<string, number>,
  ...names: string[]
): Promise<number> {
  const after = await commandCalls(node);
  return names.reduce((sum, name) => sum + (after.get(name) ?? 0) - (before.get(name) ?? 0), 0);
}

/** Script calls (`EVALSHA` + `EVAL`) `node` has run so far. */
export async function scriptCalls(node: Redis): Promise<number> {
  const calls = await commandCalls(node);
  return (calls.get('evalsha') ?? 0) + (calls.get('eval') ?? 0);
}
