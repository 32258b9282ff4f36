import { StrataError } from '@strata/core';

/** Stable codes of the errors `@strata/cdc` throws. Match on `error.code`, never on the message. */
export type CdcErrorCode =
  /** The database cannot stream changes: `wal_level` is not `logical`, or the role may not replicate. */
  | 'E_CDC_UNAVAILABLE'
  /** A mapped table is missing, or its `REPLICA IDENTITY` does not send what its mapping reads. */
  | 'E_CDC_TABLE'
  /** The publication or slot is missing and could not be created, or is of another kind. */
  | 'E_CDC_SETUP'
  /** A column a change did not carry was read by a mapping (its table's fallback applied). */
  | 'E_CDC_COLUMN_NOT_SENT';

/**
 * An error of the change-data-capture consumer. At boot (`StrataCdcModule`, `CdcConsumer.start`)
 * its message names the table, setting or object concerned and the SQL that fixes it.
 */
export class CdcError extends StrataError {
  /** A stable, machine-readable code. */
  declare readonly code: CdcErrorCode;
  constructor(code: CdcErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
