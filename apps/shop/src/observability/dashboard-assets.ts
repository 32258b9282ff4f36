import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Injectable, type OnModuleInit } from '@nestjs/common';
import { shopPackageRoot } from '../db/package-root.js';

/** A file the dashboard page loads, held in memory. */
export interface DashboardAsset {
  readonly contentType: string;
  readonly body: string;
}

const require = createRequire(import.meta.url);
const pageDir = (): string => join(shopPackageRoot(), 'src', 'observability', 'dashboard');

/**
 * Every file the page may load, by the name in its URL: a fixed list (no path from the request
 * ever reaches the file system). uPlot comes from node_modules, so the demo needs no CDN and no
 * build step; the page's own files sit in `src/observability/dashboard` (found from the package
 * root, so `dist` serves them too).
 */
const FILES: Record<string, { readonly path: () => string; readonly contentType: string }> = {
  'dashboard.html': {
    path: () => join(pageDir(), 'dashboard.html'),
    contentType: 'text/html; charset=utf-8',
  },
  'dashboard.js': {
    path: () => join(pageDir(), 'dashboard.js'),
    contentType: 'text/javascript; charset=utf-8',
  },
  'dashboard.css': { path: () => join(pageDir(), 'dashboard.css'), contentType: 'text/css; charset=utf-8' },
  'uPlot.min.js': {
    path: () => require.resolve('uplot/dist/uPlot.iife.min.js'),
    contentType: 'text/javascript; charset=utf-8',
  },
  'uPlot.min.css': {
    path: () => require.resolve('uplot/dist/uPlot.min.css'),
    contentType: 'text/css; charset=utf-8',
  },
};

/** The dashboard's files, read once at boot (about 60 KB): a missing file fails the boot, not a page view. */
@Injectable()
export class DashboardAssets implements OnModuleInit {
  private readonly files = new Map<string, DashboardAsset>();

  async onModuleInit(): Promise<void> {
    await Promise.all(
      Object.entries(FILES).map(async ([name, file]) => {
        this.files.set(name, { contentType: file.contentType, body: await readFile(file.path(), 'utf8') });
      }),
    );
  }

  /** The file of that name, or `undefined` for any name not on the list. */
  get(name: string): DashboardAsset | undefined {
    return this.files.get(name);
  }
}
