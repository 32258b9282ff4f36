import { queryRows } from './postgres-database.util.js';
import type { PostgresSettings } from './postgres-server.types.js';
import { TestServerError } from './test-server.error.js';

const NAME_PATTERN = /^[a-z_][a-z0-9_.]*$/;
const FORBIDDEN_IN_VALUE = /[\0\r\n]/;

/** One validated setting: its name, the value asked for, and that value as `-c` text. */
interface SettingRequest {
  readonly name: string;
  readonly wanted: string | number;
  readonly text: string;
}

/** What the server reports for one setting. */
interface SettingRow {
  readonly name: string;
  /** As `SHOW` prints it (units included); `null` when the server does not know the setting. */
  readonly shown: string | null;
  /** `pg_settings.setting`: a number in the setting's base unit; `null` for unknown or custom settings. */
  readonly raw: string | null;
}

/**
 * Checks every name and value and returns them in order.
 *
 * @param settings - Settings from `StartPostgresOptions.settings`.
 * @returns The settings as name, value and `-c` text.
 * @throws TestServerError `E_START_FAILED` naming the first malformed setting.
 */
function validSettings(settings: PostgresSettings | undefined): SettingRequest[] {
  const requests: SettingRequest[] = [];
  for (const [name, wanted] of Object.entries(settings ?? {})) {
    const refuse = (why: string): TestServerError =>
      new TestServerError('E_START_FAILED', `PostgreSQL setting ${JSON.stringify(name)}: ${why}`);
    if (!NAME_PATTERN.test(name)) {
      throw refuse(
        'not a setting name (use lowercase letters, digits, _ and ., starting with a letter or _)',
      );
    }
    const valueType: string = typeof wanted;
    if (valueType !== 'string' && valueType !== 'number') {
      throw refuse('the value must be a string or a number');
    }
    if (typeof wanted === 'number' && !Number.isFinite(wanted)) {
      throw refuse(`${wanted} is not a usable number`);
    }
    const text = String(wanted);
    if (FORBIDDEN_IN_VALUE.test(text)) throw refuse('the value must not contain NUL or line breaks');
    requests.push({ name, wanted, text });
  }
  return requests;
}

/**
 * Validates settings without contacting a server, so malformed ones are refused before any start.
 *
 * @param settings - Settings from `StartPostgresOptions.settings`.
 * @throws TestServerError `E_START_FAILED` naming the first malformed setting.
 */
export function assertPostgresSettings(settings: PostgresSettings | undefined): void {
  validSettings(settings);
}

/**
 * The `postgres` command-line arguments for settings: `-c name=value` for each, in order.
 *
 * @param settings - Settings from `StartPostgresOptions.settings`.
 * @returns Arguments to append after the fixture's own `-c` flags (later ones win).
 * @throws TestServerError `E_START_FAILED` naming the first malformed setting.
 */
export function postgresSettingArgs(settings: PostgresSettings | undefined): string[] {
  return validSettings(settings).flatMap(({ name, text }) => ['-c', `${name}=${text}`]);
}

/** Whether the server's value satisfies the request: a number is a minimum, a string must match. */
function satisfies(request: SettingRequest, row: SettingRow | undefined): boolean {
  if (row?.shown === null || row?.shown === undefined) return false;
  if (typeof request.wanted === 'number') {
    const current = Number(row.raw ?? row.shown);
    return Number.isFinite(current) && current >= request.wanted;
  }
  const wanted = request.wanted.toLowerCase();
  return row.shown.toLowerCase() === wanted || row.raw?.toLowerCase() === wanted;
}

/** `'text'` as an SQL string literal. */
const sqlLiteral = (text: string): string => `'${text.replaceAll("'", "''")}'`;

/**
 * Checks that a server this test did not start already has the settings asked for, since it cannot
 * be reconfigured from here. Reads each value as `SHOW` prints it (`current_setting`) and, for
 * numbers, in base units from `pg_settings`.
 *
 * @param url - URL of a database on the server.
 * @param settings - Settings from `StartPostgresOptions.settings`; a string must equal the
 *   server's value, a number is a minimum.
 * @throws TestServerError `E_EXTERNAL_SERVER` naming each setting that falls short, its current value,
 *   what is needed and how to change it; `E_START_FAILED` for a malformed setting.
 */
export async function checkPostgresSettings(
  url: string,
  settings: PostgresSettings | undefined,
): Promise<void> {
  const requests = validSettings(settings);
  if (requests.length === 0) return;
  const rows = await queryRows<SettingRow>(
    url,
    `select n.name, current_setting(n.name, true) as shown,
            (select s.setting from pg_settings s where s.name = n.name) as raw
       from unnest($1::text[]) as n(name)`,
    [requests.map(({ name }) => name)],
  );
  const byName = new Map(rows.map((row) => [row.name, row]));
  const missing = requests.filter((request) => !satisfies(request, byName.get(request.name)));
  if (missing.length === 0) return;
  const problems = missing.map(({ name, wanted, text }) => {
    const shown = byName.get(name)?.shown;
    const current =
      shown === null || shown === undefined ? 'is unknown to this server' : `is ${sqlLiteral(shown)}`;
    const needed = typeof wanted === 'number' ? `at least ${text}` : sqlLiteral(text);
    return `${name} ${current}, needs ${needed}`;
  });
  const fixes = missing.map(({ name, text }) => `ALTER SYSTEM SET ${name} = ${sqlLiteral(text)};`);
  const { hostname, port } = new URL(url);
  throw new TestServerError(
    'E_EXTERNAL_SERVER',
    `the PostgreSQL server from DATABASE_URL (${hostname || '127.0.0.1'}:${port || '5432'}) lacks settings ` +
      `this test needs, and a server this test did not start cannot be reconfigured: ${problems.join('; ')}. ` +
      `Change them on that server (${fixes.join(' ')}) and restart it, or run the test without ` +
      `DATABASE_URL so it starts a private server.`,
  );
}
