import { CdcError } from '../errors/cdc.error.js';
import type { Row } from '../options/row-change.js';

/**
 * `row` as a mapping sees it: reading one of `columns` that the change did not carry (absent, or
 * `undefined`: pgoutput's unchanged TOASTed value) throws `E_CDC_COLUMN_NOT_SENT`, so the mapping
 * fails and its table's fallback applies instead of an invalidation built from `undefined`.
 * Reading a name that is not a column of the table (a typo, a renamed column) throws
 * `E_CDC_TABLE` the same way. Members every object has (`toString`, `hasOwnProperty`, …),
 * `toJSON`, `then` and symbols read as on a plain object.
 */
export function sentRow(
  row: Record<string, unknown>,
  columns: ReadonlySet<string>,
  table: string,
  side: 'old' | 'new',
): Row {
  return new Proxy(row, {
    get(target, property, receiver) {
      if (typeof property === 'string' && !columns.has(property) && !isObjectMember(property)) {
        throw new CdcError('E_CDC_TABLE', `${side}.${property} is not a column of ${table}`);
      }
      if (typeof property === 'string' && columns.has(property) && target[property] === undefined) {
        throw new CdcError(
          'E_CDC_COLUMN_NOT_SENT',
          `${side}.${property} of ${table} was not sent with this change (replica identity or an unchanged TOASTed value)`,
        );
      }
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

/** Whether `name` is read from any object by common code (`JSON.stringify`, `await`, `String()`). */
export function isObjectMember(name: string): boolean {
  return name in Object.prototype || name === 'toJSON' || name === 'then';
}
