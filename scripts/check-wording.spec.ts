import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { checkRepository, findPlanningWords, formatFinding } from './check-wording.mjs';

const SCRIPT = fileURLToPath(new URL('./check-wording.mjs', import.meta.url));
const REPO = fileURLToPath(new URL('..', import.meta.url));

const matches = (text: string): string[] => findPlanningWords(text, 'f.md').map((f) => f.match);

describe('planning-word check', () => {
  it('refuses issue numbers and references, in any case', () => {
    expect(matches('Issue 7 in the shop')).toEqual(['Issue 7']);
    expect(matches('see issues 3 and 4')).toEqual(['issues 3']);
    expect(matches('a target (issue #12)')).toEqual(['issue #12']);
    expect(matches("the issue's goal")).toEqual(["issue's"]);
    expect(matches('fixes #42, see #7 (#9)')).toEqual(['fixes #42', 'see #7', '(#9)']);
    expect(matches('ticket 1234')).toEqual(['ticket 1234']);
  });

  it('refuses planning documents and vocabulary', () => {
    expect(matches('costs ~5× JSON (DESIGN.md §4)')).toEqual(['DESIGN.md']);
    expect(matches('the headers the brief lists')).toEqual(['the brief']);
    expect(matches("the seeds' promise")).toEqual(["seeds'"]);
    expect(matches('Planning notes; acceptance criteria; this session')).toEqual([
      'Planning',
      'acceptance criteria',
      'this session',
    ]);
  });

  it('leaves product text alone', () => {
    const product = [
      'const ticket = await stack.writeTicket(key); // a write ticket',
      'parsed.error.issues.map((issue) => issue.message)',
      "if (issue?.code === 'invalid_union') return issue;",
      'color: #333; background: #1e1e1e',
      'a backlog remains; seeds 10,000 products; the seed is deterministic',
      '`design:returntype` is emitted with decorator metadata',
    ].join('\n');
    expect(findPlanningWords(product, 'f.ts')).toEqual([]);
  });

  it('reports the file, line and column of each finding', () => {
    const [finding] = findPlanningWords('first line\n  // Issue 7: metrics', 'src/app.module.ts');
    expect(finding).toMatchObject({ line: 2, column: 6 });
    expect(formatFinding(finding!)).toBe('src/app.module.ts:2:6: "Issue 7": an issue number');
  });

  it('passes on this repository', () => {
    expect(checkRepository(REPO).map(formatFinding)).toEqual([]);
  });

  describe('run as a command', () => {
    let dir: string | undefined;
    afterEach(() => {
      if (dir) rmSync(dir, { recursive: true, force: true });
      dir = undefined;
    });

    const repoWith = (files: Record<string, string>): string => {
      const root = mkdtempSync(join(tmpdir(), 'check-wording-'));
      dir = root;
      execFileSync('git', ['init', '-q'], { cwd: root });
      for (const [name, text] of Object.entries(files)) writeFileSync(join(root, name), text);
      execFileSync('git', ['add', '.'], { cwd: root });
      return root;
    };

    it('exits 1 naming file:line for tracked files, skipping untracked files and lockfiles', () => {
      const root = repoWith({
        'notes.md': 'Fine.\nSee issue 12 for why.\n',
        'pnpm-lock.yaml': 'issue 1\n',
      });
      writeFileSync(join(root, 'untracked.md'), 'issue 5\n');
      const run = spawnSync(process.execPath, [SCRIPT], { cwd: root, encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(run.stderr).toContain('notes.md:2:5: "issue 12": an issue number');
      expect(run.stderr).not.toContain('pnpm-lock.yaml');
      expect(run.stderr).not.toContain('untracked.md');
    });

    it('exits 0 when nothing is found', () => {
      const root = repoWith({ 'notes.md': 'A write ticket orders the set.\n' });
      const run = spawnSync(process.execPath, [SCRIPT], { cwd: root, encoding: 'utf8' });
      expect(run.stderr).toBe('');
      expect(run.status).toBe(0);
    });
  });
});
