#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { dropReplication } from '../setup/replication-setup.js';
import { messageOf } from '../errors/as-error.js';

const USAGE = `Usage: strata-cdc drop-slot --connection <postgres url> [--slot strata_cdc] [--publication <name>]

Drops the logical replication slot of @strata/cdc (ending the walsender that still reads it), and
the publication when one is named. Run it when you stop using @strata/cdc: a slot without a
consumer makes PostgreSQL keep its WAL. The connection may also come from DATABASE_URL.`;

/** `strata-cdc`: maintenance commands of `@strata/cdc`. */
async function main(argv: readonly string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    options: {
      connection: { type: 'string' },
      slot: { type: 'string', default: 'strata_cdc' },
      publication: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true || positionals[0] !== 'drop-slot' || positionals.length !== 1) {
    (values.help === true ? console.log : console.error)(USAGE);
    return values.help === true ? 0 : 2;
  }
  const connection = values.connection ?? process.env['DATABASE_URL'];
  if (connection === undefined || connection === '') {
    console.error('strata-cdc: --connection (or DATABASE_URL) is required\n\n' + USAGE);
    return 2;
  }
  const dropped = await dropReplication(connection, values.slot, values.publication);
  console.log(
    `strata-cdc: slot ${values.slot} ${dropped.slot ? 'dropped' : 'did not exist'}` +
      (values.publication === undefined
        ? ''
        : `; publication ${values.publication} ${dropped.publication ? 'dropped' : 'did not exist'}`),
  );
  return 0;
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  console.error(`strata-cdc: ${messageOf(error)}`);
  process.exitCode = 1;
}
