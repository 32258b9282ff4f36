/**
 * Prepares the build a comparison runs against: the tree of a commit, extracted with `git archive`
 * (no worktree registered in the shared repository), installed offline from its own lockfile, and
 * its `packages/core` and `packages/nestjs` built. Cached by commit id under `apps/bench/.compare/`,
 * so only the first run of a commit pays for it.
 */
import { spawn } from 'node:child_process';
import { createWriteStream, existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

const PNPM = ['-y', 'pnpm@10.34.9'];

/** Runs a command; its output goes to `log` (shown when it fails). Resolves with stdout when `capture`. */
function run(
  command: string,
  args: readonly string[],
  options: { readonly cwd: string; readonly log?: string; readonly capture?: boolean },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const log = options.log === undefined ? undefined : createWriteStream(options.log, { flags: 'a' });
    child.stdout.on('data', (chunk: Buffer) => {
      if (options.capture === true) out += chunk.toString();
      log?.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => log?.write(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      log?.end();
      if (code === 0) resolve(out);
      else
        reject(
          new Error(
            `${command} ${args.join(' ')} exited with ${String(code)} in ${options.cwd}${options.log === undefined ? '' : ` (see ${options.log})`}`,
          ),
        );
    });
  });
}

/** The repository's root and a commit id for `ref`. */
export async function resolveCommit(ref: string, cwd: string): Promise<{ sha: string; repo: string }> {
  const repo = (await run('git', ['rev-parse', '--show-toplevel'], { cwd, capture: true })).trim();
  const sha = (
    await run('git', ['rev-parse', '--verify', `${ref}^{commit}`], { cwd: repo, capture: true })
  ).trim();
  return { sha, repo };
}

/** `HEAD`'s short id, and whether the library's sources differ from it. */
export async function describeWorkingTree(repo: string): Promise<string> {
  const head = (await run('git', ['rev-parse', '--short', 'HEAD'], { cwd: repo, capture: true })).trim();
  const status = await run('git', ['status', '--porcelain', '--', 'packages/core', 'packages/nestjs'], {
    cwd: repo,
    capture: true,
  });
  return `working tree at ${head}${status.trim() === '' ? '' : ' with uncommitted changes to the packages'}`;
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * Fails when a package's `dist` is older than its sources: a stale build would compare the
 * baseline with code that is not the code under test.
 */
export function assertBuilt(root: string): void {
  for (const pkg of ['core', 'nestjs']) {
    const dist = join(root, 'packages', pkg, 'dist', 'index.js');
    if (!existsSync(dist)) throw new Error(`${dist} is missing: run \`pnpm run build\` at the root first`);
    const src = newestMtime(join(root, 'packages', pkg, 'src'));
    if (src > statSync(dist).mtimeMs)
      throw new Error(
        `packages/${pkg}/dist is older than its sources: run \`pnpm run build\` at the root first`,
      );
  }
}

/**
 * The root of the built checkout of `sha`, under `cacheDir/<sha>/src`. A `ready` file marks a
 * complete build; a folder without it (an interrupted run) is started over.
 */
export async function prepareBaseline(
  repo: string,
  sha: string,
  cacheDir: string,
  say: (line: string) => void,
): Promise<string> {
  const dir = join(cacheDir, sha);
  const root = join(dir, 'src');
  const ready = join(dir, 'ready');
  if (existsSync(ready) && (await readFile(ready, 'utf8')).trim() === sha) return root;
  await rm(dir, { recursive: true, force: true });
  await mkdir(root, { recursive: true });
  const log = join(dir, 'prepare.log');
  const started = performance.now();
  say(`preparing ${sha.slice(0, 10)} in ${dir} (log: ${log})`);
  await run('sh', ['-c', `git -C "${repo}" archive ${sha} | tar -x -C "${root}"`], { cwd: repo, log });
  await run('npx', [...PNPM, 'install', '--frozen-lockfile', '--offline'], { cwd: root, log });
  // `--filter` runs the builds in dependency order: core before nestjs.
  await run('npx', [...PNPM, '--filter', '@strata/core', '--filter', '@strata/nestjs', 'run', 'build'], {
    cwd: root,
    log,
  });
  await writeFile(ready, `${sha}\n`);
  say(`prepared in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  return root;
}
