import { gzipSync } from 'node:zlib';
import { Controller, Get, Header, Headers, Param } from '@nestjs/common';
import { HttpCache } from '@strata/nestjs';

/** How many times each handler ran, by `route:id`. */
const calls = new Map<string, number>();

function bump(key: string): number {
  const n = (calls.get(key) ?? 0) + 1;
  calls.set(key, n);
  return n;
}

/** Reads the handler run count of `route:id`. */
export function encodingRuns(key: string): number {
  return calls.get(key) ?? 0;
}

/** A JSON page of about 4 KB of varied text (compressible, not one repeated string). */
export function largePage(id: string): object {
  const items = Array.from({ length: 60 }, (_, i) => ({
    i,
    name: `item ${i} of ${id}`,
    note: `héllo ✓ ${(i * 7919).toString(36)} ${'abcdefghij'.slice(i % 10)}`,
  }));
  return { id, items };
}

/** The same page as text bytes, for the routes that return bytes. */
export const largeText = (id: string): string => JSON.stringify(largePage(id));

/** Not compressible: a PNG signature followed by 2 KB of bytes. */
export const PNG_BYTES = Buffer.concat([
  Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
  Buffer.from(Array.from({ length: 2048 }, (_, i) => (i * 31) % 256)),
]);

/** Routes for content codings: one `:id` per test. */
@Controller('enc')
@HttpCache({ ttl: '1m' })
export class HttpEncodingsTestController {
  @Get('json/:id')
  json(@Param('id') id: string): object {
    bump(`json:${id}`);
    return largePage(id);
  }

  @Get('small/:id')
  small(@Param('id') id: string): object {
    bump(`small:${id}`);
    return { id };
  }

  @Get('png/:id')
  @Header('Content-Type', 'image/png')
  png(@Param('id') id: string): Buffer {
    bump(`png:${id}`);
    return PNG_BYTES;
  }

  @Get('no-transform/:id')
  @Header('Cache-Control', 'max-age=60, no-transform')
  noTransform(@Param('id') id: string): object {
    bump(`no-transform:${id}`);
    return largePage(id);
  }

  @Get('pre-encoded/:id')
  @Header('Content-Type', 'application/json; charset=utf-8')
  @Header('Content-Encoding', 'gzip')
  preEncoded(@Param('id') id: string): Buffer {
    bump(`pre-encoded:${id}`);
    return gzipSync(largeText(id));
  }

  @Get('lang/:id')
  @Header('Vary', 'Accept-Language')
  lang(@Param('id') id: string, @Headers('accept-language') language: string | undefined): object {
    bump(`lang:${id}`);
    return { language: language ?? null, ...largePage(id) };
  }

  /** Negotiates on `Accept-Encoding` itself (its body says what it saw): stored as it is, per value. */
  @Get('own-vary/:id')
  @Header('Vary', 'Accept-Encoding')
  ownVary(@Param('id') id: string, @Headers('accept-encoding') accept: string | undefined): object {
    bump(`own-vary:${id}`);
    return { accept: accept ?? null, ...largePage(id) };
  }
}
