import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  checkApiSurface,
  diffExports,
  loadTypeScript,
  namesMissingFrom,
  parseSnapshot,
  rootExports,
} from './api-surface.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const ts = loadTypeScript(REPO);

describe('root export lists', () => {
  it('marks what exists at run time as a value and the rest as a type, sorted by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'api-surface-'));
    try {
      writeFileSync(
        join(dir, 'index.ts'),
        [
          'export class Zebra {}',
          'export interface Apple { a: number }',
          'export const MAX = 1;',
          'export type Alias = string;',
          'export function make(): void {}',
          'const hidden = 2;',
          'export { hidden as renamed };',
        ].join('\n'),
      );
      expect(rootExports(ts, join(dir, 'index.ts'))).toEqual([
        'type Alias',
        'type Apple',
        'value MAX',
        'value Zebra',
        'value make',
        'value renamed',
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads a snapshot without its comments and blank lines', () => {
    expect(parseSnapshot('# header\n\nvalue A\r\ntype B\n')).toEqual(['value A', 'type B']);
  });

  it('reports added and removed names by name, and a changed kind as both', () => {
    expect(diffExports(['value A', 'type B', 'value C'], ['value A', 'value B', 'value D'])).toEqual([
      '- type B',
      '+ value B',
      '- value C',
      '+ value D',
    ]);
    expect(diffExports(['value A'], ['value A'])).toEqual([]);
  });

  it('finds a name only as a whole word', () => {
    expect(
      namesMissingFrom(['CacheStack', 'Stack', 'MAX_TTL_MS'], ['new CacheStack()', 'MAX_TTL_MS_X']),
    ).toEqual(['Stack', 'MAX_TTL_MS']);
  });
});

describe('the packages of this repository', () => {
  it('export from their roots exactly the snapshots of scripts/api/, each shown to users', () => {
    const problems = checkApiSurface({
      root: REPO,
      ts,
      entryOf: (pkg) => join(REPO, pkg.dir, 'src', 'index.ts'),
      where: 'sources',
    });
    expect(problems).toEqual([]);
  }, 60_000);
});
