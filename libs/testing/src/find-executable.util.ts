import { constants } from 'node:fs';
import { access, readdir } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

async function isExecutable(path: string): Promise<boolean> {
  try {
    await access(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Looks an executable up in the given directories only.
 *
 * @param name - File name.
 * @param dirs - Directories searched in order.
 * @returns The first executable found, or `undefined`.
 */
export async function findExecutableIn(name: string, dirs: readonly string[]): Promise<string | undefined> {
  for (const dir of dirs) {
    const candidate = join(dir, name);
    if (await isExecutable(candidate)) return candidate;
  }
  return undefined;
}

/**
 * Looks an executable up in `PATH`, then in extra directories.
 *
 * @param name - File name, e.g. `redis-server`.
 * @param extraDirs - Directories searched after `PATH`, in order.
 * @returns The first executable found, or `undefined`.
 */
export async function findExecutable(
  name: string,
  extraDirs: readonly string[] = [],
): Promise<string | undefined> {
  const pathDirs = (process.env['PATH'] ?? '').split(delimiter).filter((dir) => dir !== '');
  return findExecutableIn(name, [...pathDirs, ...extraDirs]);
}

/**
 * Lists the subdirectories of `parent` whose names are version numbers, newest first
 * (for layouts such as Debian's `/usr/lib/postgresql/<major>/bin`).
 *
 * @param parent - Directory holding one folder per version.
 * @returns Absolute paths of the version folders; empty if `parent` does not exist.
 */
export async function listVersionDirs(parent: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(parent);
  } catch {
    return [];
  }
  return names
    .filter((name) => /^\d+(\.\d+)*$/.test(name))
    .sort((a, b) => b.localeCompare(a, 'en', { numeric: true }))
    .map((name) => join(parent, name));
}
