import { StrataConfigError } from '@strata/core';
import { toPositiveMs } from '@strata/core/internal';
import { DEFAULT_FALLBACK, type MappedTable, splitTableName } from '../consumer/mapped-tables.js';
import { SLOT_NAME } from '../setup/replication-setup.js';
import type { CdcOptions } from './cdc.options.js';

/** {@link CdcOptions} with every default applied, durations in ms. */
export interface ResolvedCdcOptions {
  readonly connection: string;
  readonly publication: string;
  readonly slot: string;
  readonly tables: ReadonlyMap<string, MappedTable>;
  readonly maxInvalidations: number;
  readonly leaseTtlMs: number;
  readonly retryDelayMs: number;
  readonly maxLagBytes: number;
  readonly required: boolean;
}

const TABLE_NAME = /^[^.\s"]+(\.[^.\s"]+)?$/;

/**
 * Validates {@link CdcOptions} and applies the defaults.
 *
 * @throws StrataConfigError naming the option (`cdc.tables.prices`, `cdc.slot`, …).
 */
export function resolveCdcOptions(options: CdcOptions): ResolvedCdcOptions {
  if (typeof options.connection !== 'string' || options.connection === '') {
    throw new StrataConfigError('cdc.connection', '<hidden>', 'a PostgreSQL URL is required');
  }
  const publication = options.publication ?? 'strata_cdc';
  const slot = options.slot ?? 'strata_cdc';
  for (const [option, value] of [
    ['cdc.publication', publication],
    ['cdc.slot', slot],
  ] as const) {
    if (!SLOT_NAME.test(value)) throw new StrataConfigError(option, value, 'use 1 to 63 of a-z, 0-9 and _');
  }
  if (
    typeof options.tables !== 'object' ||
    options.tables === null ||
    Object.keys(options.tables).length === 0
  ) {
    throw new StrataConfigError('cdc.tables', options.tables, 'map at least one table to its invalidations');
  }
  const tables = new Map<string, MappedTable>();
  const fallbacks = options.onTruncate ?? {};
  for (const [table, map] of Object.entries(options.tables)) {
    if (!TABLE_NAME.test(table))
      throw new StrataConfigError(`cdc.tables.${table}`, table, 'not a table name (name or schema.name)');
    if (typeof map !== 'function')
      throw new StrataConfigError(`cdc.tables.${table}`, map, 'a mapping function is required');
    const { schema, name } = splitTableName(table);
    const id = `${schema}.${name}`;
    if (tables.has(id)) throw new StrataConfigError(`cdc.tables.${table}`, table, `${id} is mapped twice`);
    tables.set(id, { id, schema, name, map, fallback: fallbacks[table] ?? DEFAULT_FALLBACK });
  }
  for (const table of Object.keys(fallbacks)) {
    if (!(table in options.tables)) {
      throw new StrataConfigError(
        `cdc.onTruncate.${table}`,
        table,
        'not a mapped table (name it as in cdc.tables)',
      );
    }
  }
  const maxInvalidations = options.maxInvalidations ?? 10_000;
  if (!Number.isSafeInteger(maxInvalidations) || maxInvalidations < 1) {
    throw new StrataConfigError('cdc.maxInvalidations', maxInvalidations, 'a positive integer is required');
  }
  const maxLagBytes = options.maxLagBytes ?? 64 * 1024 * 1024;
  if (!Number.isSafeInteger(maxLagBytes) || maxLagBytes < 1) {
    throw new StrataConfigError('cdc.maxLagBytes', maxLagBytes, 'a positive integer is required');
  }
  return {
    connection: options.connection,
    publication,
    slot,
    tables,
    maxInvalidations,
    leaseTtlMs: toPositiveMs(options.leaseTtl ?? '10s', 'cdc.leaseTtl'),
    retryDelayMs: toPositiveMs(options.retryDelay ?? '500ms', 'cdc.retryDelay'),
    maxLagBytes,
    required: options.required ?? true,
  };
}
