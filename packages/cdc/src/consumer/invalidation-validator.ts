import type { CacheStack } from '@strata/core';
import { engineOf, KeyBuilder } from '@strata/core/internal';
import type { CdcInvalidation } from '../options/row-change.js';

const isStringList = (value: unknown): value is readonly string[] =>
  Array.isArray(value) && value.every((item) => typeof item === 'string');

/**
 * A check of what a mapping returned, with the stack's own key rules: it throws (so the table's
 * fallback applies) on anything the cache would refuse, rather than stall the stream on it.
 */
export function invalidationValidator(stack: CacheStack): (invalidation: CdcInvalidation) => void {
  const keys = engineOf(stack).keys;
  return (invalidation) => {
    if (typeof invalidation !== 'object' || invalidation === null) {
      throw new TypeError('a mapping must return an object of keys, tags and namespaces, or undefined');
    }
    for (const field of ['keys', 'tags', 'namespaces'] as const) {
      const list: unknown = invalidation[field];
      if (list !== undefined && !isStringList(list))
        throw new TypeError(`${field} must be an array of strings`);
    }
    if (invalidation.namespace !== undefined) KeyBuilder.assertNamespace(invalidation.namespace);
    for (const key of invalidation.keys ?? []) keys.entry(key, invalidation.namespace);
    for (const tag of invalidation.tags ?? []) keys.tag(tag);
    for (const namespace of invalidation.namespaces ?? []) KeyBuilder.assertNamespace(namespace);
  };
}
