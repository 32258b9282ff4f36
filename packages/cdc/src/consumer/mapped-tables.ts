import { DEFAULT_NAMESPACE } from '@strata/core/internal';
import pg from 'pg';
import type { CdcInvalidation, TableMapping } from '../options/row-change.js';

/** A mapped table, resolved: its mapping and what it falls back to. */
export interface MappedTable {
  /** `schema.name`. */
  readonly id: string;
  readonly schema: string;
  readonly name: string;
  readonly map: TableMapping;
  /** What a truncate drops, and what drops when its changes cannot be mapped one by one. */
  readonly fallback: CdcInvalidation;
}

/** Tables by `schema.name`. */
export type MappedTables = ReadonlyMap<string, MappedTable>;

/** The fallback of a table without an `onTruncate` entry: every entry of the default namespace. */
export const DEFAULT_FALLBACK: CdcInvalidation = Object.freeze({
  namespaces: Object.freeze([DEFAULT_NAMESPACE]),
});

/**
 * `schema` and `name` of a configured table name: `products` is `public.products`. Names are
 * compared as PostgreSQL stores them (lower case unless created quoted).
 */
export function splitTableName(table: string): { schema: string; name: string } {
  const dot = table.indexOf('.');
  return dot === -1
    ? { schema: 'public', name: table }
    : { schema: table.slice(0, dot), name: table.slice(dot + 1) };
}

/** What a table falls back to (a table not mapped: the default fallback). */
export function fallbackOf(tables: MappedTables): (table: string) => CdcInvalidation {
  return (table) => tables.get(table)?.fallback ?? DEFAULT_FALLBACK;
}

/** `"schema"."name"` of a table, quoted for SQL. */
export function quotedName(table: MappedTable): string {
  return `${pg.escapeIdentifier(table.schema)}.${pg.escapeIdentifier(table.name)}`;
}
