import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';

/**
 * The reaper: a tiny Node process that outlives this one. It learns over its stdin which server
 * pids and temp dirs exist; when stdin reaches EOF — because this process ended in any way,
 * including SIGTERM or SIGKILL, which skip `process.on('exit')` — it SIGKILLs the pids and removes
 * the dirs. Vitest ends fork workers with SIGTERM, so without it every server of a test that did
 * not dispose would survive the run. It ignores terminal signals so Ctrl-C cannot kill it first.
 */
const REAPER_SOURCE = `
const { rmSync } = require('node:fs');
const pids = new Set();
const dirs = new Set();
let pending = '';
let reaping = false;
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => {});
function apply(line) {
  const op = line.slice(0, 2);
  const arg = line.slice(3);
  if (op === 'P+') pids.add(Number(arg));
  else if (op === 'P-') pids.delete(Number(arg));
  else if (op === 'D+') dirs.add(arg);
  else if (op === 'D-') dirs.delete(arg);
}
function reap() {
  if (reaping) return;
  reaping = true;
  for (const pid of pids) {
    try { process.kill(pid, 'SIGKILL'); } catch {}
  }
  setTimeout(() => {
    for (const dir of dirs) {
      try { rmSync(dir, { recursive: true, force: true, maxRetries: 3 }); } catch {}
    }
    process.exit(0);
  }, pids.size > 0 ? 300 : 0);
}
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  let end;
  while ((end = pending.indexOf('\\n')) >= 0) {
    apply(pending.slice(0, end));
    pending = pending.slice(end + 1);
  }
});
process.stdin.on('end', reap);
process.stdin.on('error', reap);
`;

let reaper: ChildProcess | undefined;
let reaperFailed = false;

function reaperInput(): Socket | undefined {
  if (reaperFailed) return undefined;
  if (reaper === undefined) {
    const env = { ...process.env };
    delete env['NODE_OPTIONS'];
    try {
      reaper = spawn(process.execPath, ['-e', REAPER_SOURCE], {
        stdio: ['pipe', 'ignore', 'ignore'],
        detached: true,
        env,
      });
    } catch {
      reaperFailed = true;
      return undefined;
    }
    reaper.once('error', () => {
      reaperFailed = true;
    });
    reaper.unref();
    // A net.Socket at runtime (stdio 'pipe'); unref it so it does not keep this process alive.
    (reaper.stdin as Socket | null)?.unref();
    reaper.stdin?.on('error', () => {
      reaperFailed = true;
    });
  }
  return (reaper.stdin as Socket | null) ?? undefined;
}

/**
 * Tells the reaper about a resource to clean up if this process dies, or that it is gone.
 * Best effort: if the reaper cannot run, the `exit` hook in the registry is the only safety net.
 *
 * @param op - `P+`/`P-` to add/remove a pid, `D+`/`D-` to add/remove a directory.
 * @param value - The pid or absolute directory path.
 */
export function notifyReaper(op: 'P+' | 'P-' | 'D+' | 'D-', value: number | string): void {
  const input = reaperInput();
  if (input === undefined || input.destroyed) return;
  input.write(`${op} ${value}\n`);
}
