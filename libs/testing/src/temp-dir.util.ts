import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { trackTempDir, untrackTempDir } from './process-registry.util.js';

/**
 * Creates a private temp dir (mode 0700) that is removed on process exit if nobody removes it before.
 *
 * @param prefix - Name prefix, e.g. `strata-redis-`.
 * @returns Absolute path of the new directory.
 */
export async function makeTempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  trackTempDir(dir);
  return dir;
}

/**
 * Removes a temp dir made by {@link makeTempDir}; never throws.
 *
 * @param dir - The directory to remove.
 */
export async function removeTempDir(dir: string): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true, maxRetries: 3 });
  } catch {
    // Best effort; the exit hook tries again.
    return;
  }
  untrackTempDir(dir);
}
