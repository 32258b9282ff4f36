/**
 * `@strata/cdc`: invalidation from the database itself. A PostgreSQL logical replication slot
 * (pgoutput) turns each committed change of a mapped table into Strata invalidations on every
 * instance, at least once. See docs/cdc.md.
 *
 * @packageDocumentation
 */
export { CdcConsumer } from './consumer/cdc-consumer.js';
export type { CdcStatus } from './consumer/cdc-consumer.js';
export type { CdcOptions } from './options/cdc.options.js';
export type { CdcInvalidation, Row, RowChange, TableMapping } from './options/row-change.js';
export { CdcEvents } from './events/cdc-events.js';
export type { CdcEventMap, CdcState } from './events/cdc-events.js';
export { CdcError } from './errors/cdc.error.js';
export type { CdcErrorCode } from './errors/cdc.error.js';
export { dropReplication } from './setup/replication-setup.js';
export { StrataCdcModule } from './nest/strata-cdc.module.js';
export type {
  StrataCdcModuleAsyncOptions,
  StrataCdcModuleExtras,
  StrataCdcModuleOptions,
} from './nest/strata-cdc.module-definition.js';
export { CdcHealthIndicator } from './nest/cdc-health.indicator.js';
