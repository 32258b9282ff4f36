#!/usr/bin/env node
/**
 * The root export lists of the published packages, kept small on purpose and checked against
 * snapshots in `scripts/api/`, so a name never joins (or leaves) the public API by accident:
 *
 *   node scripts/api-surface.mjs           # compare packages/*\/src/index.ts with the snapshots
 *   node scripts/api-surface.mjs --update  # rewrite the snapshots after a deliberate API change
 *
 * `scripts/pack-check.mjs` runs the same check on the `.d.ts` files of the packed tarballs.
 * Each snapshot line is `value <name>` (something a program can use at run time: a class, function
 * or constant) or `type <name>` (types only), sorted by name. Every root export must also be named
 * in a user-facing document or example (`README.md`, `docs/*.md`, `packages/*\/README.md`,
 * `apps/shop/src`): a public name nobody shows is either undocumented or not public.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * @typedef {object} PublicPackage
 * @property {string} name      Package name.
 * @property {string} dir       Repository-relative package folder.
 * @property {string} snapshot  Repository-relative snapshot of its root exports.
 * @property {number} maxNames  The most root exports it may have (values and types together).
 */

/** @type {readonly PublicPackage[]} */
export const PUBLIC_PACKAGES = [
  { name: '@strata/core', dir: 'packages/core', snapshot: 'scripts/api/core.exports.txt', maxNames: 40 },
  {
    name: '@strata/nestjs',
    dir: 'packages/nestjs',
    snapshot: 'scripts/api/nestjs.exports.txt',
    maxNames: 30,
  },
  { name: '@strata/cdc', dir: 'packages/cdc', snapshot: 'scripts/api/cdc.exports.txt', maxNames: 25 },
];

/**
 * The root exports of a module, as snapshot lines (`value X` / `type X`), sorted by name.
 * @param {typeof import('typescript')} ts
 * @param {string} entry an `index.ts` or `index.d.ts`
 * @returns {string[]}
 */
export function rootExports(ts, entry) {
  const program = ts.createProgram([entry], {
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2023,
    experimentalDecorators: true,
    skipLibCheck: true,
    noEmit: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) throw new Error(`${entry} is not a module`);
  return checker
    .getExportsOfModule(moduleSymbol)
    .map((symbol) => {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      return { name: symbol.name, value: (target.flags & ts.SymbolFlags.Value) !== 0 };
    })
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(({ name, value }) => `${value ? 'value' : 'type'} ${name}`);
}

/**
 * The entries of a snapshot file: its non-blank lines that are not `#` comments.
 * @param {string} text
 * @returns {string[]}
 */
export function parseSnapshot(text) {
  return text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

/**
 * A snapshot file's text for these entries.
 * @param {PublicPackage} pkg
 * @param {readonly string[]} lines
 * @returns {string}
 */
export function formatSnapshot(pkg, lines) {
  return [
    `# Root exports of ${pkg.name} (${lines.length}): the public API, covered by semver.`,
    '# Checked by scripts/api-surface.mjs and scripts/pack-check.mjs; after a deliberate change run',
    '# `node scripts/api-surface.mjs --update` and commit this file.',
    ...lines,
    '',
  ].join('\n');
}

/**
 * What changed between the snapshot and the actual list, one line per name: `+ value X` for a
 * new export, `- type Y` for a removed one (a name whose kind changed shows both). Empty when equal.
 * @param {readonly string[]} expected
 * @param {readonly string[]} actual
 * @returns {string[]}
 */
export function diffExports(expected, actual) {
  const before = new Set(expected);
  const after = new Set(actual);
  const nameOf = (/** @type {string} */ line) => line.slice(line.indexOf(' ') + 1);
  return [
    ...expected.filter((line) => !after.has(line)).map((line) => `- ${line}`),
    ...actual.filter((line) => !before.has(line)).map((line) => `+ ${line}`),
  ].sort((a, b) => {
    const byName = nameOf(a.slice(2)).localeCompare(nameOf(b.slice(2)));
    return byName !== 0 ? byName : a.localeCompare(b);
  });
}

/**
 * The user-facing documents and examples, repository-relative: the READMEs, `docs/*.md` and the
 * demo shop's sources.
 * @param {string} root
 * @returns {string[]}
 */
export function userFacingFiles(root) {
  const docs = readdirSync(join(root, 'docs'))
    .filter((name) => name.endsWith('.md'))
    .map((name) => `docs/${name}`);
  const readmes = readdirSync(join(root, 'packages'))
    .map((name) => `packages/${name}/README.md`)
    .filter((path) => existsSync(join(root, path)));
  const shop = readdirSync(join(root, 'apps/shop/src'), { recursive: true, encoding: 'utf8' })
    .filter((path) => path.endsWith('.ts'))
    .map((path) => `apps/shop/src/${path.split('\\').join('/')}`);
  return ['README.md', ...docs, ...readmes, ...shop].sort();
}

/**
 * The names that appear, as a whole word, in none of the texts.
 * @param {readonly string[]} names
 * @param {readonly string[]} texts
 * @returns {string[]}
 */
export function namesMissingFrom(names, texts) {
  const all = texts.join('\n');
  return names.filter((name) => {
    const escaped = name.replace(/[$]/g, '\\$');
    return !new RegExp(`(?<![\\w$])${escaped}(?![\\w$])`).test(all);
  });
}

/**
 * Checks the root exports of every public package: equal to its snapshot, within its size limit,
 * and each named in a user-facing document or example.
 * @param {object} input
 * @param {string} input.root repository root
 * @param {typeof import('typescript')} input.ts
 * @param {(pkg: PublicPackage) => string} input.entryOf the file whose exports are checked
 * @param {string} input.where what the entries are, for the messages ("sources", "packed tarballs")
 * @returns {string[]} problems, empty when all is well
 */
export function checkApiSurface({ root, ts, entryOf, where }) {
  /** @type {string[]} */
  const problems = [];
  const texts = userFacingFiles(root).map((path) => readFileSync(join(root, path), 'utf8'));
  for (const pkg of PUBLIC_PACKAGES) {
    const actual = rootExports(ts, entryOf(pkg));
    const snapshotPath = join(root, pkg.snapshot);
    const expected = existsSync(snapshotPath) ? parseSnapshot(readFileSync(snapshotPath, 'utf8')) : [];
    const diff = diffExports(expected, actual);
    if (diff.length > 0) {
      problems.push(
        `${pkg.name}: the root exports of the ${where} differ from ${pkg.snapshot}` +
          ' (+ exported but not in the snapshot, - in the snapshot but not exported):\n' +
          diff.map((line) => `    ${line}`).join('\n') +
          '\n  If the change is deliberate, run `node scripts/api-surface.mjs --update` and commit the snapshot.',
      );
    }
    if (actual.length > pkg.maxNames) {
      problems.push(
        `${pkg.name}: ${actual.length} root exports, more than ${pkg.maxNames}. Keep the root API to ` +
          `what an application writes; what ${pkg.name === '@strata/core' ? '@strata/nestjs needs goes to src/internal.ts' : 'its tests need they import from ../src'}.`,
      );
    }
    const missing = namesMissingFrom(
      actual.map((line) => line.slice(line.indexOf(' ') + 1)),
      texts,
    );
    if (missing.length > 0) {
      problems.push(
        `${pkg.name}: root exports named in no user-facing document or example ` +
          `(README.md, docs/*.md, packages/*/README.md, apps/shop/src): ${missing.join(', ')}.` +
          ' Show them where a user would look, or stop exporting them.',
      );
    }
  }
  return problems;
}

/**
 * The repository's TypeScript compiler.
 * @param {string} root
 * @returns {typeof import('typescript')}
 */
export function loadTypeScript(root) {
  return createRequire(join(root, 'package.json'))('typescript');
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
  const ts = loadTypeScript(root);
  const entryOf = (/** @type {PublicPackage} */ pkg) => join(root, pkg.dir, 'src', 'index.ts');
  if (process.argv.includes('--update')) {
    for (const pkg of PUBLIC_PACKAGES) {
      const lines = rootExports(ts, entryOf(pkg));
      writeFileSync(join(root, pkg.snapshot), formatSnapshot(pkg, lines));
      console.log(`api-surface: wrote ${pkg.snapshot} (${lines.length} names)`);
    }
  }
  const problems = checkApiSurface({ root, ts, entryOf, where: 'sources' });
  if (problems.length > 0) {
    console.error(problems.join('\n\n'));
    process.exitCode = 1;
  } else {
    const snapshots = PUBLIC_PACKAGES.map((pkg) => pkg.snapshot).join(', ');
    console.log(`api-surface: the root exports match ${snapshots} and are all shown to users`);
  }
}
