#!/usr/bin/env node
/**
 * Fails when a tracked file speaks of how the product was planned instead of the product: issue
 * numbers, references to planning documents, planning vocabulary. Docs, comments, test names and
 * reports describe what the code does; a reader has no access to the tracker or the plans.
 *
 *   node scripts/check-wording.mjs          # checks `git ls-files` of the current repository
 *
 * Prints `file:line:column: "match": reason` per finding and exits 1 if there is any.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

/**
 * The phrases refused, each with the reason printed. Chosen to be unambiguous in this codebase:
 * "ticket" alone is a product word (`writeTicket`), so only a numbered ticket is refused; "issue"
 * alone is zod's word for a validation failure, so only a numbered or possessive issue is.
 * @type {readonly { readonly pattern: RegExp; readonly reason: string }[]}
 */
export const RULES = [
  { pattern: /\bissues?\s+#?\d+/gi, reason: 'an issue number' },
  { pattern: /\bissue's\b/gi, reason: 'a reference to an issue' },
  {
    pattern: /\b(?:fix(?:es|ed)?|close[sd]?|resolve[sd]?|see|refs?|PR|pull request)\s+#\d+\b|\(#\d+\)/gi,
    reason: 'an issue or pull request number',
  },
  { pattern: /\btickets?\s+#?\d+\b/gi, reason: 'a ticket number' },
  { pattern: /\bDESIGN\.md\b/gi, reason: 'a planning document' },
  { pattern: /\bplanning\b/gi, reason: 'planning vocabulary' },
  { pattern: /\bacceptance criteri(?:a|on)\b/gi, reason: 'planning vocabulary' },
  { pattern: /\bthis session\b/gi, reason: 'planning vocabulary' },
  { pattern: /\b(?:the|this|your) brief\b/gi, reason: 'a planning document' },
  { pattern: /\bseeds'/gi, reason: 'a planning document' },
];

/**
 * Tracked files never checked: lockfiles (generated), and this script and its test, which
 * spell out the phrases they refuse.
 */
export const IGNORED = [
  /(^|\/)pnpm-lock\.yaml$/,
  /(^|\/)package-lock\.json$/,
  /(^|\/)yarn\.lock$/,
  /(^|\/)node_modules\//,
  /^scripts\/check-wording(\.spec)?\.(mjs|ts)$/,
];

/**
 * @typedef {object} Finding
 * @property {string} file Path relative to the repository root.
 * @property {number} line 1-based.
 * @property {number} column 1-based.
 * @property {string} match The text refused.
 * @property {string} reason Why.
 */

/**
 * The findings in one file's text.
 * @param {string} text
 * @param {string} file
 * @returns {Finding[]}
 */
export function findPlanningWords(text, file) {
  /** @type {Finding[]} */
  const findings = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const line = lines[index] ?? '';
    for (const { pattern, reason } of RULES) {
      for (const found of line.matchAll(pattern)) {
        findings.push({ file, line: index + 1, column: (found.index ?? 0) + 1, match: found[0], reason });
      }
    }
  }
  return findings.sort((a, b) => a.line - b.line || a.column - b.column);
}

/**
 * The findings in every file `git ls-files` lists under `root` (binary files skipped).
 * @param {string} root A directory inside a git work tree.
 * @returns {Finding[]}
 */
export function checkRepository(root) {
  const listed = execFileSync('git', ['ls-files', '-z'], {
    cwd: root,
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  /** @type {Finding[]} */
  const findings = [];
  for (const file of listed.split('\0')) {
    if (file === '' || IGNORED.some((ignored) => ignored.test(file))) continue;
    let buffer;
    try {
      buffer = readFileSync(join(root, file));
    } catch {
      continue; // listed but deleted in the work tree: nothing to read
    }
    if (buffer.includes(0)) continue; // binary
    findings.push(...findPlanningWords(buffer.toString('utf8'), file));
  }
  return findings;
}

/**
 * One line per finding, as editors and CI annotate: `file:line:column: "match": reason`.
 * @param {Finding} finding
 * @returns {string}
 */
export function formatFinding(finding) {
  return `${finding.file}:${finding.line}:${finding.column}: "${finding.match}": ${finding.reason}`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const root = execFileSync('git', ['rev-parse', '--show-toplevel'], { encoding: 'utf8' }).trim();
  const findings = checkRepository(root);
  for (const finding of findings) console.error(formatFinding(finding));
  if (findings.length > 0) {
    console.error(
      `\n${findings.length} planning reference(s) in tracked files. Docs, comments and reports speak ` +
        'of the product only: describe the behaviour instead.',
    );
    process.exit(1);
  }
}
