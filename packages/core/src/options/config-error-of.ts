import type { z } from 'zod';
import { StrataConfigError } from '../errors/strata-config.error.js';

/**
 * The `StrataConfigError` of options zod refused: it names the innermost option at fault (`l1.ttl`,
 * not `l1`) and the value the caller gave there.
 */
export function configErrorOf(error: z.ZodError, options: unknown): StrataConfigError {
  const issue = innermostIssue(error.issues[0]);
  const path = issue?.path ?? [];
  const keys = issue?.code === 'unrecognized_keys' ? issue.keys : [];
  const option = [...path, ...keys.slice(0, 1)].map(String).join('.') || '(options)';
  const reason = issue?.code === 'unrecognized_keys' ? 'unknown option' : (issue?.message ?? 'invalid');
  return new StrataConfigError(option, valueAt(options, [...path, ...keys.slice(0, 1)]), reason);
}

/**
 * For a union (`l1: false | {…}`) whose branches all failed, zod reports only the union's path:
 * take the branch issue that reached deepest, so the error names `l1.ttl`, not `l1`.
 */
function innermostIssue(issue: z.core.$ZodIssue | undefined): z.core.$ZodIssue | undefined {
  if (issue?.code !== 'invalid_union') return issue;
  let deepest: z.core.$ZodIssue | undefined;
  for (const branch of issue.errors) {
    const first = branch[0];
    if (first !== undefined && first.path.length > (deepest?.path.length ?? 0)) deepest = first;
  }
  if (deepest === undefined) return issue;
  const inner = innermostIssue(deepest) ?? deepest;
  return { ...inner, path: [...issue.path, ...inner.path] };
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current: unknown = root;
  for (const key of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}
