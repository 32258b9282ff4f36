import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** How long to wait for a Docker engine that seems configured to answer. */
const DETECT_TIMEOUT_MS = 5_000;

let detection: Promise<boolean> | undefined;

/**
 * Places where Testcontainers looks for an engine. If none exists, no engine can answer and the
 * (slow to import) Testcontainers module is never loaded: a machine with the docker CLI but no
 * engine decides in microseconds.
 */
function engineMayExist(): boolean {
  if (process.env['DOCKER_HOST'] !== undefined) return true;
  if (process.platform === 'win32') return true;
  const home = homedir();
  const candidates = [
    '/var/run/docker.sock',
    join(home, '.testcontainers.properties'),
    join(home, '.docker', 'run', 'docker.sock'),
    join(home, '.docker', 'desktop', 'docker.sock'),
    ...(process.env['XDG_RUNTIME_DIR'] ? [join(process.env['XDG_RUNTIME_DIR'], 'docker.sock')] : []),
    ...(typeof process.getuid === 'function' ? [`/run/user/${process.getuid()}/docker.sock`] : []),
  ];
  return candidates.some((path) => existsSync(path));
}

async function detect(): Promise<boolean> {
  const setting = process.env['STRATA_TESTING_DOCKER'];
  if (setting === '0' || setting === 'false') return false;
  if (!engineMayExist()) return false;
  let timer: NodeJS.Timeout | undefined;
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), DETECT_TIMEOUT_MS);
      timer.unref();
    });
    return await Promise.race([getContainerRuntimeClient().then(() => true), timeout]);
  } catch {
    // Testcontainers not installed (optional dependency) or no engine answering.
    return false;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Whether a Docker (or compatible) engine answers, so servers can run in containers.
 * Decided once per process. Set `STRATA_TESTING_DOCKER=0` to never use Docker.
 *
 * @returns `true` when Testcontainers can reach an engine.
 */
export function isDockerAvailable(): Promise<boolean> {
  detection ??= detect();
  return detection;
}
