import type { ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { notifyReaper } from './orphan-reaper.util.js';

const processes = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let hookInstalled = false;

/**
 * Cleanup when the test process exits normally (or through `process.exit`): SIGKILL every server process still running
 * and remove every temp dir still registered. `exit` handlers must be synchronous, which both are.
 * Deaths that skip `exit` handlers (SIGTERM, SIGKILL) are covered by the reaper process.
 */
function cleanUpOnExit(): void {
  for (const child of processes) {
    try {
      child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
  processes.clear();
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Best effort: a temp dir left behind is harmless.
    }
  }
  tempDirs.clear();
}

function installExitHook(): void {
  if (hookInstalled) return;
  hookInstalled = true;
  process.on('exit', cleanUpOnExit);
}

/**
 * Registers a spawned server process so it is SIGKILLed if the test process exits or dies while it runs.
 * The process is unregistered automatically when it exits.
 *
 * @param child - The spawned process.
 */
export function trackProcess(child: ChildProcess): void {
  installExitHook();
  const pid = child.pid;
  if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  processes.add(child);
  notifyReaper('P+', pid);
  child.once('exit', () => {
    processes.delete(child);
    notifyReaper('P-', pid);
  });
}

/**
 * Registers a temp dir for best-effort removal when the test process exits or dies.
 *
 * @param dir - Absolute path of the directory.
 */
export function trackTempDir(dir: string): void {
  installExitHook();
  tempDirs.add(dir);
  notifyReaper('D+', dir);
}

/**
 * Forgets a temp dir, after it has been removed normally.
 *
 * @param dir - The path given to {@link trackTempDir}.
 */
export function untrackTempDir(dir: string): void {
  tempDirs.delete(dir);
  notifyReaper('D-', dir);
}
