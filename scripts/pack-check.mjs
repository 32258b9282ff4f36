// Packaging check: pack each publishable package as npm would publish it, install the tarballs
// into a scratch consumer OUTSIDE the workspace, then type-check a consumer against the shipped
// .d.ts files and run it against the shipped ESM. This catches a broken exports map, missing
// files, CommonJS leaking into ESM, and types that only resolve inside the workspace.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(fileURLToPath(new URL('..', import.meta.url)));
const publishable = ['packages/core', 'packages/nestjs'];
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
import { CacheStack, StrataConfigError, type CacheStackOptions } from '@strata/core';
import { Cacheable, CacheService, StrataModule } from '@strata/nestjs';

const options: CacheStackOptions = { prefix: 'consumer', ttl: '1m' };
const stack = new CacheStack(options);
let loads = 0;
const first: number = await stack.getOrLoad('k', async () => ++loads);
const second: number = await stack.getOrLoad('k', async () => ++loads);
if (first !== 1 || second !== 1) throw new Error('CacheStack did not cache');
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
      'reflect-metadata@^0.2',
      'rxjs@^7',
      '@types/node@^20',
    ],
    consumer,
  );
  run(
    process.execPath,
    [join(root, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.json'],
    consumer,
  );
  run(process.execPath, ['dist/main.js'], consumer);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
