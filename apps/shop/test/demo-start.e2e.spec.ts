import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
const distDirs = ['packages/core/dist', 'packages/nestjs/dist', 'packages/cdc/dist', 'apps/shop/dist'].map(
  (d) => join(root, d),
);

/** A running `npm run demo:start`, in its own process group as in a terminal. */
interface Demo {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

function startDemo(port: number, dataDir: string, tscArgs: readonly string[] = []): Demo {
  const child = spawn('npm', ['run', 'demo:start', '--', ...tscArgs], {
    cwd: root,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, PORT: String(port), PGLITE_DIR: dataDir, SHOP_SEED_PRODUCTS: '20', NO_COLOR: '1' },
  });
  let text = '';
  child.stdout?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.once('exit', (code, signal) => done({ code, signal })),
  );
  return { child, output: () => text, exited };
}

async function waitForHealth(demo: Demo, port: number): Promise<void> {
  let stopped = false;
  void demo.exited.then(() => (stopped = true));
  for (;;) {
    if (stopped) throw new Error(`demo exited before answering:\n${demo.output()}`);
    const answered = await fetch(`http://127.0.0.1:${port}/health`).then(
      (res) => res.ok,
      () => false,
    );
    if (answered) return;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Ctrl-C in a terminal: SIGINT to every process of the foreground group. */
async function pressCtrlC(demo: Demo): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
  if (demo.child.pid === undefined) throw new Error('demo did not start');
  process.kill(-demo.child.pid, 'SIGINT');
  return demo.exited;
}

function mtimes(): Map<string, number> {
  const seen = new Map<string, number>();
  for (const dir of distDirs) {
    for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      seen.set(path, statSync(path).mtimeMs);
    }
  }
  return seen;
}

describe('npm run demo:start', () => {
  let dataDir: string;
  let running: Demo | undefined;

  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'strata-demo-start-'));
  });

  afterAll(() => {
    if (running?.child.pid !== undefined && running.child.exitCode === null) {
      process.kill(-running.child.pid, 'SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('stops quietly with exit status 0 on Ctrl-C, and a restart with nothing changed compiles nothing', async () => {
    const port = await freePort();

    // A first start brings the build up to date (whatever state dist was in).
    running = startDemo(port, dataDir);
    await waitForHealth(running, port);
    const first = await pressCtrlC(running);
    expect(first, running.output()).toEqual({ code: 0, signal: null });
    expect(running.output()).not.toMatch(/ERR_PNPM|ELIFECYCLE|Command failed|npm error/);

    const before = mtimes();
    running = startDemo(port, dataDir, ['--verbose']);
    await waitForHealth(running, port);
    const second = await pressCtrlC(running);
    const output = running.output();

    expect(second, output).toEqual({ code: 0, signal: null });
    expect(output).not.toMatch(/ERR_PNPM|ELIFECYCLE|Command failed|npm error/);
    for (const project of ['packages/core', 'packages/nestjs', 'packages/cdc', 'apps/shop']) {
      expect(output).toContain(`Project '${project}/tsconfig.build.json' is up to date`);
    }
    expect(mtimes()).toEqual(before);
  }, 180_000);
});
