import { hash } from 'node:crypto';
import { InvalidKeyError } from '../errors/invalid-key.error.js';

/**
 * The default key of a method call: `Class.method:` + a hash of its arguments.
 * `{ a: 1, b: 2 }` and `{ b: 2, a: 1 }` give the same key; `1` and `'1'` do not.
 *
 * @example defaultKey('ProductService', 'findOne', ['42']) // 'ProductService.findOne:Xq3…'
 */
export function defaultKey(className: string, methodName: string, args: readonly unknown[]): string {
  const prefix = `${className}.${methodName}:`;
  if (args.length === 0) return prefix;
  return prefix + hash('sha256', canonicalize(args, 0), 'base64url').slice(0, 27);
}

/**
 * A canonical text of a value: object keys sorted, types kept apart (`1` vs `'1'`, `Date`,
 * `Map`, `Set`, `BigInt`). Functions and symbols have no stable identity and are rejected.
 */
export function canonicalize(value: unknown, depth: number): string {
  if (depth > 100)
    throw new InvalidKeyError('key', '', 'arguments nested too deeply (or cyclic) for a default key');
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Object.is(value, -0) ? '-0' : String(value);
    case 'bigint':
      return `${value}n`;
    case 'boolean':
      return value ? 'true' : 'false';
    case 'undefined':
      return 'undefined';
    case 'object': {
      if (value === null) return 'null';
      if (Array.isArray(value)) return '[' + value.map((v) => canonicalize(v, depth + 1)).join(',') + ']';
      if (value instanceof Date) return `Date(${value.getTime()})`;
      if (value instanceof Map) {
        const entries = [...value].map(
          ([k, v]) => canonicalize(k, depth + 1) + '=>' + canonicalize(v, depth + 1),
        );
        return 'Map{' + entries.sort().join(',') + '}';
      }
      if (value instanceof Set) {
        return (
          'Set{' +
          [...value]
            .map((v) => canonicalize(v, depth + 1))
            .sort()
            .join(',') +
          '}'
        );
      }
      const record = value as Record<string, unknown>;
      const keys = Object.keys(record).sort();
      const parts = keys
        .filter((k) => record[k] !== undefined)
        .map((k) => JSON.stringify(k) + ':' + canonicalize(record[k], depth + 1));
      return '{' + parts.join(',') + '}';
    }
    default:
      throw new InvalidKeyError(
        'key',
        '',
        `a ${typeof value} argument cannot be part of a default key; pass a key function`,
      );
  }
}
