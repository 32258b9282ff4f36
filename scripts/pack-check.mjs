// Packaging check: pack each publishable package as npm would publish it, install the tarballs
// into a scratch consumer OUTSIDE the workspace, then type-check a consumer against the shipped
// .d.ts files and run it against the shipped ESM. This catches a broken exports map, missing
// files, CommonJS leaking into ESM, and types that only resolve inside the workspace. Then it runs
// the README's quick start, as copied, in that project: a second GET is an HTTP cache hit.
// It also checks the packed packages' API: the root export lists against scripts/api/ (see
// api-surface.mjs), the `@strata/core/internal` subpath, and that `@strata/nestjs` and `@strata/cdc` pin the exact
// `@strata/core` version (the internal entry point makes no semver promise).
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkApiSurface, loadTypeScript } from './api-surface.mjs';
import { extractSnippets } from './check-docs.mjs';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const publishable = ['packages/core', 'packages/nestjs', 'packages/cdc'];
const scratch = mkdtempSync(join(tmpdir(), 'strata-pack-check-'));
const run = (cmd, args, cwd) =>
  execFileSync(cmd, args, { cwd, stdio: 'inherit', env: { ...process.env, npm_config_loglevel: 'error' } });

try {
  const tarballs = [];
  for (const dir of publishable) {
    const before = new Set(readdirSync(scratch));
    run('pnpm', ['pack', '--pack-destination', scratch], join(root, dir));
    const created = readdirSync(scratch).filter((f) => f.endsWith('.tgz') && !before.has(f));
    if (created.length !== 1) throw new Error(`pnpm pack in ${dir} produced ${created.length} tarballs`);
    tarballs.push(join(scratch, created[0]));
  }

  const consumer = join(scratch, 'consumer');
  execFileSync('mkdir', ['-p', join(consumer, 'src')]);
  writeFileSync(
    join(consumer, 'package.json'),
    JSON.stringify({ name: 'consumer', private: true, type: 'module' }, null, 2),
  );
  writeFileSync(
    join(consumer, 'tsconfig.json'),
    JSON.stringify(
      {
        compilerOptions: {
          target: 'ES2023',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          strict: true,
          noUncheckedIndexedAccess: true,
          experimentalDecorators: true,
          emitDecoratorMetadata: true,
          outDir: 'dist',
          rootDir: 'src',
          // As in Nest's starter: cache-manager 5's bundled lru-cache 10 typings do not check under TS 6 libs.
          skipLibCheck: true,
          types: ['node'],
        },
        include: ['src'],
      },
      null,
      2,
    ),
  );
  writeFileSync(
    join(consumer, 'src', 'main.ts'),
    `import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CacheStack, StrataConfigError, StrataError, type CacheStackOptions } from '@strata/core';
import { KeyBuilder, parseDuration } from '@strata/core/internal';
import { Cacheable, CacheService, StrataModule } from '@strata/nestjs';
import { CdcConsumer, CdcError, StrataCdcModule, type CdcOptions } from '@strata/cdc';

if (parseDuration('1m') !== 60_000 || typeof KeyBuilder !== 'function') {
  throw new Error('@strata/core/internal did not load');
}

const options: CacheStackOptions = { prefix: 'consumer', ttl: '1m' };
const stack = new CacheStack(options);
let loads = 0;
const first: number = await stack.getOrLoad('k', async () => ++loads);
const second: number = await stack.getOrLoad('k', async () => ++loads);
if (first !== 1 || second !== 1) throw new Error('CacheStack did not cache');

const cdcOptions: CdcOptions = { connection: 'postgres://127.0.0.1:1/none', tables: {} };
try {
  new CdcConsumer(stack, cdcOptions);
  throw new Error('a consumer without mapped tables was accepted');
} catch (error) {
  if (!(error instanceof StrataConfigError) || error.option !== 'cdc.tables') throw error;
}
if (!(new CdcError('E_CDC_TABLE', 'x') instanceof StrataError) || typeof StrataCdcModule.forRoot !== 'function') {
  throw new Error('@strata/cdc did not load');
}
await stack.close();

try {
  new CacheStack({ ttl: 'soon' });
  throw new Error('bad ttl accepted');
} catch (error) {
  if (!(error instanceof StrataConfigError) || error.option !== 'ttl') throw error;
}

@Injectable()
class Service {
  calls = 0;
  @Cacheable({ key: (id: string) => 'item:' + id })
  async find(id: string): Promise<string> {
    this.calls++;
    return 'value ' + id;
  }
}

@Module({ imports: [StrataModule.forRoot({ prefix: 'consumer' })], providers: [Service] })
class AppModule {}

const app = await NestFactory.createApplicationContext(AppModule, { logger: false });
const service = app.get(Service);
await service.find('1');
await service.find('1');
const cache = app.get(CacheService);
if (service.calls !== 1 || (await cache.get<string>('item:1')) !== 'value 1') throw new Error('@Cacheable did not cache');
await app.close();
console.log('pack-check: consumer type-checked and ran against the packed tarballs');
`,
  );
  const quickStart = extractSnippets(readFileSync(join(root, 'README.md'), 'utf8'), 'README.md').find(
    (snippet) => snippet.code.includes('NestFactory.create(AppModule)'),
  );
  if (!quickStart)
    throw new Error('README.md has no quick start block calling NestFactory.create(AppModule)');
  writeFileSync(join(consumer, 'src', 'quickstart.ts'), quickStart.code);
  run(
    'npm',
    [
      'install',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      ...tarballs,
      '@nestjs/common@^12',
      '@nestjs/core@^12',
      '@nestjs/platform-express@^12',
      'reflect-metadata@^0.2',
      'rxjs@^7',
      '@types/node@^20',
    ],
    consumer,
  );
  checkPackedApi(consumer);
  run(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
    consumer,
  );
  run(process.execPath, ['dist/main.js'], consumer);
  run(join(consumer, 'node_modules', '.bin', 'strata-cdc'), ['--help'], consumer);
  checkSourceMaps(consumer);
  await runQuickStart(consumer);
  console.log('pack-check: the README quick start ran as copied (MISS, HIT, update drops the page)');
} finally {
  rmSync(scratch, { recursive: true, force: true });
}

/**
 * The API of the installed tarballs: `@strata/nestjs` and `@strata/cdc` depend on the exact `@strata/core` version
 * (pnpm pack rewrote `workspace:*`), and the root exports, read from the `types` of each package's
 * `exports["."]`, match the snapshots in scripts/api/ and are all shown in the documentation.
 * @param {string} consumer
 */
function checkPackedApi(consumer) {
  /** @param {string} name */
  const manifest = (name) =>
    JSON.parse(readFileSync(join(consumer, 'node_modules', name, 'package.json'), 'utf8'));
  const core = manifest('@strata/core');
  for (const dependent of ['@strata/nestjs', '@strata/cdc']) {
    const pinned = manifest(dependent).dependencies?.['@strata/core'];
    if (pinned !== core.version) {
      throw new Error(
        `the packed ${dependent} depends on @strata/core "${pinned}", not exactly "${core.version}"`,
      );
    }
  }
  if (core.exports?.['./internal']?.types === undefined) {
    throw new Error('the packed @strata/core has no "./internal" entry with types in its exports');
  }
  const problems = checkApiSurface({
    root,
    ts: loadTypeScript(root),
    entryOf: (pkg) => join(consumer, 'node_modules', pkg.name, manifest(pkg.name).exports['.'].types),
    where: 'packed tarballs',
  });
  if (problems.length > 0) throw new Error(`pack-check: API check failed\n${problems.join('\n\n')}`);
  console.log(
    `pack-check: @strata/nestjs and @strata/cdc pin @strata/core ${core.version}; root exports match scripts/api/`,
  );
}

/**
 * Starts the compiled quick start on a free port and drives it as its README shows with curl.
 * @param {string} consumer
 */
async function runQuickStart(consumer) {
  const port = await freePort();
  const app = spawn(process.execPath, ['dist/quickstart.js'], {
    cwd: consumer,
    env: { ...process.env, PORT: String(port), REDIS_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const started = new Promise((resolveStarted, rejectStarted) => {
    const onData = (/** @type {Buffer} */ chunk) => {
      output += chunk.toString();
      if (output.includes('Nest application successfully started')) resolveStarted(undefined);
    };
    app.stdout.on('data', onData);
    app.stderr.on('data', onData);
    app.once('exit', (code) => rejectStarted(new Error(`quick start exited with ${code}:\n${output}`)));
  });
  try {
    await started;
    const url = `http://127.0.0.1:${port}/products/1`;
    const get = async () => {
      const response = await fetch(url);
      return { cache: response.headers.get('x-cache'), body: await response.json() };
    };
    const expect = (/** @type {boolean} */ ok, /** @type {string} */ what) => {
      if (!ok) throw new Error(`quick start: ${what}\n${output}`);
    };
    const first = await get();
    expect(first.cache === 'MISS' && first.body.price === 30, `first GET: ${JSON.stringify(first)}`);
    const second = await get();
    expect(second.cache === 'HIT', `second GET is not a hit: ${JSON.stringify(second)}`);
    const put = await fetch(url, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ price: 25 }),
    });
    expect(put.ok, `PUT answered ${put.status}`);
    const third = await get();
    expect(third.cache === 'MISS' && third.body.price === 25, `GET after PUT: ${JSON.stringify(third)}`);
  } finally {
    if (app.exitCode === null) {
      const exited = once(app, 'exit');
      app.kill('SIGTERM'); // the quick start enables shutdown hooks: Nest closes and the process ends
      await exited;
    }
  }
}

/** @returns {Promise<number>} a port nothing listens on right now */
async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  server.close();
  await once(server, 'close');
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/**
 * Every source map and declaration map shipped must point at files inside the tarball, or stack
 * traces and "go to definition" in a consumer's editor lead nowhere.
 * @param {string} consumer
 */
function checkSourceMaps(consumer) {
  const missing = [];
  for (const pkg of ['core', 'nestjs']) {
    const dist = join(consumer, 'node_modules', '@strata', pkg, 'dist');
    for (const file of readdirSync(dist, { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.map')) continue;
      const map = JSON.parse(readFileSync(join(dist, file), 'utf8'));
      for (const source of map.sources) {
        if (!existsSync(join(dirname(join(dist, file)), map.sourceRoot ?? '', source))) {
          missing.push(`@strata/${pkg}/dist/${file} -> ${source}`);
        }
      }
    }
  }
  if (missing.length > 0) {
    throw new Error(`source maps point outside the tarball:\n${missing.slice(0, 10).join('\n')}`);
  }
}
