import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shop's package folder (`apps/shop`), found upwards from this file, so the migrations and
 * the default PGlite folder are the same whether the code runs from `src` (tests) or `dist`.
 */
export function shopPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'drizzle', 'meta', '_journal.json'))) {
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error('apps/shop/drizzle (the migrations) not found above ' + import.meta.url);
    dir = parent;
  }
  return dir;
}
