#!/usr/bin/env node
/**
 * Fails when the relative imports of the packages' sources (`packages/*\/src/**\/*.ts`, specs
 * excluded) form a cycle: a cycle means two files cannot be understood, tested or moved apart,
 * and lower layers end up depending on higher ones.
 *
 *   node scripts/check-imports.mjs
 *
 * Type-only imports (`import type`, `export type`) are edges too: a file that names another's
 * type cannot be read without it either.
 *
 * In `packages/core/src`, the folders are also layered (see LAYERS): a file may import, values and
 * types alike, only from its own folder, a folder of its own layer, or a lower layer. The files at
 * `src/` itself (`index.ts`, `internal.ts`) are the entry points and may import anything.
 *
 * Prints each cycle as `a.ts -> b.ts -> a.ts` and each upward import as
 * `a.ts imports b.ts: folder X may not import folder Y`, and exits 1 if there is any.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

const root = resolve(dirname(new URL(import.meta.url).pathname), '..');
const IMPORT =
  /(?:^|\n)\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"](\.{1,2}\/[^'"]+)['"]|\bimport\(\s*['"](\.{1,2}\/[^'"]+)['"]\s*\)/g;

/**
 * The folders of `packages/core/src`, lowest layer first: the building blocks, then the layers and
 * what connects them, the `Tiers` that owns them, the write path, the read path over it, the
 * engine that assembles both, the `CacheStack` facade, and the features built on a stack.
 */
const LAYERS = [
  [
    'duration',
    'errors',
    'codec',
    'keys',
    'events',
    'clock',
    'circuit-breaker',
    'single-flight',
    'async',
    'tracing',
    'ttl',
    'options',
    'batching',
  ],
  ['redis', 'layers', 'bus', 'lease', 'dependencies', 'migration'],
  ['tiers'],
  ['writes'],
  ['reads'],
  ['engine'],
  ['stack'],
  ['strategies', 'write-behind'],
];
const layerOf = new Map(LAYERS.flatMap((folders, layer) => folders.map((folder) => [folder, layer])));

/** Every non-spec `.ts` file under `dir`. */
function sources(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return sources(path);
    return name.endsWith('.ts') && !name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** The file a relative specifier names (`./x.js` is `./x.ts`; a folder is its `index.ts`). */
function target(from, specifier) {
  const base = resolve(dirname(from), specifier).replace(/\.js$/, '');
  for (const candidate of [`${base}.ts`, join(base, 'index.ts')]) {
    try {
      if (statSync(candidate).isFile()) return candidate;
    } catch {
      // Not this form: try the next one.
    }
  }
  return undefined;
}

const packages = join(root, 'packages');
const files = readdirSync(packages)
  .map((name) => join(packages, name, 'src'))
  .filter((dir) => statSync(dir, { throwIfNoEntry: false })?.isDirectory() === true)
  .flatMap(sources);
const graph = new Map(
  files.map((file) => {
    const text = readFileSync(file, 'utf8');
    const edges = [...text.matchAll(IMPORT)]
      .map((match) => target(file, match[1] ?? match[2]))
      .filter((path) => path !== undefined && !path.endsWith('.spec.ts'));
    return [file, [...new Set(edges)]];
  }),
);

// Tarjan's strongly connected components: each component of more than one file holds a cycle.
let counter = 0;
const index = new Map();
const low = new Map();
const stack = [];
const onStack = new Set();
const components = [];
function visit(file) {
  index.set(file, counter);
  low.set(file, counter++);
  stack.push(file);
  onStack.add(file);
  for (const next of graph.get(file) ?? []) {
    if (!index.has(next)) {
      visit(next);
      low.set(file, Math.min(low.get(file), low.get(next)));
    } else if (onStack.has(next)) low.set(file, Math.min(low.get(file), index.get(next)));
  }
  if (low.get(file) !== index.get(file)) return;
  const component = [];
  let member;
  do {
    member = stack.pop();
    onStack.delete(member);
    component.push(member);
  } while (member !== file);
  if (component.length > 1 || (graph.get(file) ?? []).includes(file)) components.push(component);
}
for (const file of graph.keys()) if (!index.has(file)) visit(file);

/** One cycle through `start` inside its component, for the message. */
function cycleFrom(start, members) {
  const inside = new Set(members);
  const previous = new Map([[start, undefined]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift();
    for (const next of graph.get(file) ?? []) {
      if (next === start) {
        const path = [start];
        for (let at = file; at !== start; at = previous.get(at)) path.splice(1, 0, at);
        return [...path, start];
      }
      if (inside.has(next) && !previous.has(next)) {
        previous.set(next, file);
        queue.push(next);
      }
    }
  }
  return [start, start];
}

/** The folder of a file directly under `packages/core/src`, or `undefined` for the entry points. */
const coreSrc = join(packages, 'core', 'src');
function coreFolder(file) {
  const parts = relative(coreSrc, file).split(sep);
  return parts[0] === '..' || parts.length < 2 ? undefined : parts[0];
}

const upward = [];
for (const [file, edges] of graph) {
  const from = coreFolder(file);
  if (from === undefined) continue;
  if (!layerOf.has(from)) {
    upward.push(`${relative(root, file)}: folder ${from} has no layer (add it to LAYERS in this script)`);
    continue;
  }
  for (const next of edges) {
    const to = coreFolder(next);
    if (to === undefined || to === from) continue;
    if (!layerOf.has(to) || layerOf.get(to) > layerOf.get(from))
      upward.push(
        `${relative(root, file)} imports ${relative(root, next)}: folder ${from} may not import folder ${to}`,
      );
  }
}
for (const message of upward) console.error(message);

for (const component of components) {
  const members = [...component].sort();
  const cycle = cycleFrom(members[0], members);
  console.error(`import cycle: ${cycle.map((file) => relative(root, file)).join(' -> ')}`);
}
if (components.length > 0 || upward.length > 0) process.exit(1);
console.log(`check-imports: ${files.length} files, no import cycle, no upward import`);
