import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { extractSnippets, FRAGMENT_MARKER, mapDiagnostics, snippetFileName } from './check-docs.mjs';

const REPO = fileURLToPath(new URL('..', import.meta.url));

describe('documentation snippet extraction', () => {
  it('takes ts and typescript blocks with the line of their fence, and nothing else', () => {
    const markdown = [
      '# Title', // 1
      '', // 2
      '```ts', // 3
      'const a: number = 1;', // 4
      '```', // 5
      '```sh', // 6
      'npm test', // 7
      '```', // 8
      '```typescript', // 9
      'const b = 2;', // 10
      '```', // 11
      '```TS', // 12
      'const c = 3;', // 13
      '```', // 14
    ].join('\n');
    const snippets = extractSnippets(markdown, 'docs/page.md');
    expect(snippets.map((s) => [s.line, s.code])).toEqual([
      [3, 'const a: number = 1;\n'],
      [9, 'const b = 2;\n'],
      [12, 'const c = 3;\n'],
    ]);
    expect(snippets.every((s) => s.file === 'docs/page.md' && !s.fragment)).toBe(true);
  });

  it('skips a block marked as a fragment on the last non-blank line before its fence, only that one', () => {
    const markdown = [FRAGMENT_MARKER, '', '```ts', 'f() { … }', '```', '```ts', 'const x = 1;', '```'].join(
      '\n',
    );
    expect(extractSnippets(markdown, 'a.md').map((s) => s.fragment)).toEqual([true, false]);
  });

  it('does not mistake a TypeScript fence shown inside another block for a real one', () => {
    const markdown = ['````md', '```ts', 'not code', '```', '````', '~~~ts', 'const y = 1;', '~~~'].join(
      '\n',
    );
    expect(extractSnippets(markdown, 'a.md').map((s) => [s.line, s.code])).toEqual([[6, 'const y = 1;\n']]);
  });

  it('strips the indentation of a fence inside a list, and remembers it for columns', () => {
    const markdown = ['- item', '', '  ```ts', '  const z = 1;', '    nested();', '  ```'].join('\n');
    const [snippet] = extractSnippets(markdown, 'a.md');
    expect(snippet).toMatchObject({ line: 3, indent: 2, code: 'const z = 1;\n  nested();\n' });
  });

  it('keeps an unclosed block to the end of the file (tsc then reports what is wrong)', () => {
    expect(extractSnippets('```ts\nconst w = 1;', 'a.md').map((s) => s.code)).toEqual(['const w = 1;\n']);
  });
});

describe('diagnostic mapping', () => {
  const [snippet] = extractSnippets(
    ['text', '', '  ```ts', '  const a: string = 1;', '  ```'].join('\n'),
    'docs/x.md',
  );
  if (!snippet) throw new Error('no snippet');
  const byFileName = new Map([[snippetFileName(snippet), snippet]]);

  it('names the Markdown file, line and column of the error', () => {
    const output = `src/${snippetFileName(snippet)}(1,7): error TS2322: Type 'number' is not assignable to type 'string'.\n`;
    expect(mapDiagnostics(output, byFileName)).toEqual([
      "docs/x.md:4:9: error TS2322: Type 'number' is not assignable to type 'string'.",
    ]);
  });

  it('keeps continuation lines with their diagnostic and other files as they are', () => {
    const output = [
      `src/${snippetFileName(snippet)}(1,7): error TS2322: Type 'X' is not assignable to type 'Y'.`,
      "  Property 'a' is missing.",
      'node_modules/x/index.d.ts(3,1): error TS1005: oops',
      "error TS5083: Cannot read file 'tsconfig.json'.",
    ].join('\n');
    expect(mapDiagnostics(output, byFileName)).toEqual([
      "docs/x.md:4:9: error TS2322: Type 'X' is not assignable to type 'Y'.\n  Property 'a' is missing.",
      'node_modules/x/index.d.ts(3,1): error TS1005: oops',
      "error TS5083: Cannot read file 'tsconfig.json'.",
    ]);
  });

  it('gives two blocks of one page distinct file names', () => {
    const two = extractSnippets('```ts\nconst a = 1;\n```\n```ts\nconst b = 1;\n```', 'docs/sub dir/p.md');
    const names = two.map(snippetFileName);
    expect(new Set(names).size).toBe(2);
    expect(names[0]).toMatch(/^docs_sub_dir_p\.L1\.ts$/);
  });
});

describe('check-docs on a repository', () => {
  it('fails on a snippet that does not compile, naming file.md:line, and passes once it is fixed', async () => {
    const { checkDocs } = await import('./check-docs.mjs');
    const root = mkdtempSync(join(REPO, '.docs-check-spec-'));
    try {
      // A scratch repository with just what the check reads: the base tsconfig, TypeScript and the
      // built packages (linked), and the Markdown files.
      cpSync(join(REPO, 'tsconfig.base.json'), join(root, 'tsconfig.base.json'));
      mkdirSync(join(root, 'node_modules'));
      symlinkSync(join(REPO, 'node_modules/typescript'), join(root, 'node_modules/typescript'), 'dir');
      mkdirSync(join(root, 'packages'));
      for (const pkg of ['core', 'nestjs']) {
        symlinkSync(join(REPO, 'packages', pkg), join(root, 'packages', pkg), 'dir');
      }
      mkdirSync(join(root, 'docs'));
      const broken = [
        '# Page',
        '',
        '```ts',
        "import { StrataModule } from '@strata/nestjs';",
        '',
        "@Module({ imports: [StrataModule.forRoot({ prefix: 'shop' })] })",
        'export class AppModule {}',
        '```',
      ].join('\n');
      writeFileSync(join(root, 'README.md'), '# Readme\n');
      writeFileSync(join(root, 'docs', 'page.md'), broken);
      const failed = checkDocs(root);
      expect(failed.diagnostics).toEqual([
        "docs/page.md:6:2: error TS2552: Cannot find name 'Module'. Did you mean 'module'?",
      ]);

      const fixed = broken.replace('```ts', "```ts\nimport { Module } from '@nestjs/common';");
      writeFileSync(join(root, 'docs', 'page.md'), fixed);
      expect(checkDocs(root).diagnostics).toEqual([]);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  }, 60_000);
});
