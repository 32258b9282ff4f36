// Starts the demo shop: an incremental build of the packages and the shop, then the shop itself.
//
// Why a script and not a chain of `pnpm run` scripts: every package manager and shell between the
// terminal and the shop also receives Ctrl-C, and pnpm reports a child that stopped on a signal as
// a failed run. Here one `tsc -b` compiles what changed (a restart with nothing changed compiles
// nothing), and the shop runs as the only child; on Ctrl-C it closes itself and exits 0, and this
// script exits with the shop's status.
//
// Nothing in this path deletes `dist`: a second start must not pull files from under a running
// shop. A deleted source file can leave a stale `.js` behind; nothing imports it, so it is harmless
// here. The root `build` (used before the pack check) builds from a clean `dist` instead.
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const shop = join(root, 'apps', 'shop');
// In dependency order: tsc -b builds them in turn, and skips a project whose outputs are newer
// than its inputs.
const projects = ['packages/core', 'packages/nestjs', 'packages/cdc', 'apps/shop'].map((dir) =>
  join(root, dir, 'tsconfig.build.json'),
);
const tsc = createRequire(join(root, 'package.json')).resolve('typescript/bin/tsc');

const built = spawnSync(process.execPath, [tsc, '-b', ...projects, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
if (built.status !== 0) process.exit(built.status ?? 1);

// Ctrl-C reaches the shop directly (same process group); a signal sent to this process alone is
// passed on (the shop ignores a repeat while it is closing). Either way this process waits, so
// the exit status is the shop's own.
const child = spawn(process.execPath, [join(shop, 'dist', 'src', 'main.js')], {
  cwd: shop,
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  // A shop killed by a signal it does not handle (SIGKILL) is a failure, not a quiet stop.
  process.exit(code ?? 128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)));
});
