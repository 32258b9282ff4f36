#!/usr/bin/env node
/**
 * Type-checks every TypeScript code block of the documentation against the built packages, so a
 * snippet a reader copies compiles: `README.md`, `docs/*.md` and `packages/*\/README.md`.
 *
 *   node scripts/check-docs.mjs      # after `pnpm run build` (snippets resolve to packages' dist)
 *
 * Conventions for writers:
 * - A block fenced with ```ts or ```typescript is checked; other languages are not.
 * - Each block is its own ES module (imports, top-level `await`), type-checked with the
 *   repository's `tsconfig.base.json` (strict, decorator metadata). Write the imports it needs.
 * - A block that truly cannot stand alone (a method shown outside its class, a `{ … }` body) is
 *   marked as a fragment with `<!-- fragment -->` as the last non-blank line before its fence;
 *   it is then skipped. Prefer a complete block: a fragment is not checked at all.
 *
 * The blocks are written to `.docs-check/` (gitignored), whose `node_modules` links
 * `@strata/core`, `@strata/nestjs` and `@strata/cdc` to the workspace packages (their `dist`
 * types) and the packages' own dependencies (Nest, rxjs, ioredis, prom-client, pg…). Errors are printed as
 * `file.md:line:column: message` at the line of the Markdown file, and the exit code is 1.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';

/** The marker, alone on the last non-blank line before a fence, that skips the block. */
export const FRAGMENT_MARKER = '<!-- fragment -->';

const CHECKED_LANGUAGES = new Set(['ts', 'typescript']);

/**
 * @typedef {object} Snippet
 * @property {string} file      Markdown file, repository-relative.
 * @property {number} line      1-based line of the opening fence; the code starts on the next line.
 * @property {number} indent    Columns of indentation stripped from each line (fences inside lists).
 * @property {string} code      The block's text, without the fences.
 * @property {boolean} fragment Marked with {@link FRAGMENT_MARKER}: not checked.
 */

/**
 * Every ```ts / ```typescript block of a Markdown text. Fences of other languages are tracked too,
 * so a TypeScript fence shown inside a Markdown example is not taken for a real one.
 * @param {string} markdown
 * @param {string} file
 * @returns {Snippet[]}
 */
export function extractSnippets(markdown, file) {
  const lines = markdown.split(/\r?\n/);
  /** @type {Snippet[]} */
  const snippets = [];
  let index = 0;
  while (index < lines.length) {
    const open = /^( {0,3})(`{3,}|~{3,})\s*([\w+-]*)/.exec(lines[index] ?? '');
    if (!open) {
      index++;
      continue;
    }
    const [, indentText = '', fence = '```', language = ''] = open;
    const closing = new RegExp(`^ {0,3}${fence[0] === '`' ? '`' : '~'}{${fence.length},}\\s*$`);
    const start = index;
    index++;
    /** @type {string[]} */
    const body = [];
    while (index < lines.length && !closing.test(lines[index] ?? '')) {
      const text = lines[index] ?? '';
      // Strip only the fence's own indentation, as CommonMark does.
      body.push(text.startsWith(indentText) ? text.slice(indentText.length) : text.trimStart());
      index++;
    }
    index++; // the closing fence (or the end of the file)
    if (!CHECKED_LANGUAGES.has(language.toLowerCase())) continue;
    let previous = start - 1;
    while (previous >= 0 && (lines[previous] ?? '').trim() === '') previous--;
    snippets.push({
      file,
      line: start + 1,
      indent: indentText.length,
      code: body.join('\n') + '\n',
      fragment: previous >= 0 && (lines[previous] ?? '').trim() === FRAGMENT_MARKER,
    });
  }
  return snippets;
}

/**
 * The file name a snippet is written under: readable, unique per block, valid as a module name.
 * @param {Snippet} snippet
 * @returns {string}
 */
export function snippetFileName(snippet) {
  return `${snippet.file.replace(/\.md$/i, '').replace(/[^\w-]+/g, '_')}.L${snippet.line}.ts`;
}

/**
 * Maps `tsc --pretty false` output back to the Markdown: a diagnostic in a snippet's file becomes
 * `file.md:line:column: message`; its continuation lines (indented) follow it. Diagnostics in
 * other files are kept as they are, so nothing is hidden.
 * @param {string} output tsc's output
 * @param {ReadonlyMap<string, Snippet>} byFileName snippets by {@link snippetFileName}
 * @returns {string[]} one entry per diagnostic
 */
export function mapDiagnostics(output, byFileName) {
  /** @type {string[]} */
  const diagnostics = [];
  for (const line of output.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const located = /^(.*?)\((\d+),(\d+)\): (.*)$/.exec(line);
    if (!located) {
      if (/^\s/.test(line) && diagnostics.length > 0) diagnostics[diagnostics.length - 1] += `\n${line}`;
      else diagnostics.push(line);
      continue;
    }
    const [, path = '', row = '0', column = '0', message = ''] = located;
    const snippet = byFileName.get(path.split(/[\\/]/).pop() ?? '');
    if (!snippet) {
      diagnostics.push(line);
      continue;
    }
    diagnostics.push(
      `${snippet.file}:${snippet.line + Number(row)}:${snippet.indent + Number(column)}: ${message}`,
    );
  }
  return diagnostics;
}

/**
 * The Markdown files whose snippets are checked, repository-relative.
 * @param {string} root
 * @returns {string[]}
 */
export function documentationFiles(root) {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  const packages = readdirSync(join(root, 'packages'))
    .map((name) => `packages/${name}/README.md`)
    .filter((path) => existsSync(join(root, path)));
  return ['README.md', ...docs.sort(), ...packages.sort()];
}

/**
 * Links the packages the snippets import into `<dir>/node_modules`: the workspace packages
 * themselves, then every dependency of theirs, so that types resolve to the same files (one
 * `@nestjs/common`) as in the packages.
 * @param {string} root
 * @param {string} dir
 */
function linkModules(root, dir) {
  const modules = join(dir, 'node_modules');
  /** @param {string} name @param {string} target */
  const link = (name, target) => {
    const path = join(modules, name);
    if (existsSync(path)) return;
    mkdirSync(join(path, '..'), { recursive: true });
    symlinkSync(relative(join(path, '..'), target), path, 'dir');
  };
  // Packages a scratch repository lacks (the check's own test links core and nestjs only) are skipped.
  const packages = ['nestjs', 'core', 'cdc'].filter((name) => existsSync(join(root, 'packages', name)));
  for (const name of packages) link(`@strata/${name}`, join(root, 'packages', name));
  for (const pkg of packages.map((name) => `packages/${name}`)) {
    const source = join(root, pkg, 'node_modules');
    if (!existsSync(source)) continue;
    for (const entry of readdirSync(source)) {
      if (entry.startsWith('.')) continue;
      if (!entry.startsWith('@')) link(entry, join(source, entry));
      else
        for (const scoped of readdirSync(join(source, entry)))
          link(`${entry}/${scoped}`, join(source, entry, scoped));
    }
  }
}

/**
 * Writes the snippets out, type-checks them and returns the mapped diagnostics.
 * @param {string} root
 * @returns {{ checked: number; fragments: number; diagnostics: string[] }}
 */
export function checkDocs(root) {
  const snippets = documentationFiles(root).flatMap((file) =>
    extractSnippets(readFileSync(join(root, file), 'utf8'), file),
  );
  const dir = join(root, '.docs-check');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'src'), { recursive: true });
  linkModules(root, dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ private: true, type: 'module' }));
  writeFileSync(
    join(dir, 'tsconfig.json'),
    JSON.stringify({
      extends: '../tsconfig.base.json',
      compilerOptions: { noEmit: true, rootDir: '.', declaration: false, declarationMap: false },
      include: ['src'],
    }),
  );
  /** @type {Map<string, Snippet>} */
  const byFileName = new Map();
  for (const snippet of snippets) {
    if (snippet.fragment) continue;
    const name = snippetFileName(snippet);
    byFileName.set(name, snippet);
    writeFileSync(join(dir, 'src', name), snippet.code);
  }
  const tsc = spawnSync(
    process.execPath,
    [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(dir, 'tsconfig.json'), '--pretty', 'false'],
    { cwd: dir, encoding: 'utf8' },
  );
  const diagnostics = tsc.status === 0 ? [] : mapDiagnostics(`${tsc.stdout}${tsc.stderr}`, byFileName);
  if (tsc.status !== 0 && diagnostics.length === 0) diagnostics.push(`tsc exited with ${tsc.status}`);
  return { checked: byFileName.size, fragments: snippets.length - byFileName.size, diagnostics };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim();
  const { checked, fragments, diagnostics } = checkDocs(root);
  for (const diagnostic of diagnostics) console.error(diagnostic);
  if (diagnostics.length > 0) {
    console.error(
      `\n${diagnostics.length} error(s) in documentation snippets. Make the block complete (imports, ` +
        `declarations), or mark it with ${FRAGMENT_MARKER} when it truly is a fragment.`,
    );
    process.exit(1);
  }
  console.log(`check-docs: ${checked} TypeScript block(s) type-check (${fragments} fragment(s) skipped)`);
}
