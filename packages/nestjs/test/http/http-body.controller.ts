import { Controller, Get, Header, Param } from '@nestjs/common';
import { HttpCache } from '@strata/nestjs';

/** How many times each handler ran, by `route:id`. */
const calls = new Map<string, number>();

function bump(key: string): number {
  const n = (calls.get(key) ?? 0) + 1;
  calls.set(key, n);
  return n;
}

/** Reads the handler run count of `route:id`. */
export function bodyRuns(key: string): number {
  return calls.get(key) ?? 0;
}

/** A UTF-8 text that JSON and HTTP would escape or mangle if anything re-encoded it. */
export const TRICKY_TEXT = 'héllo ✓ "quoted" \\ 🙂 \u2028';

/** Valid UTF-8 with a byte order mark: stored as text, sent as these exact bytes. */
export const BOM_BYTES = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(TRICKY_TEXT, 'utf8')]);

/** Routes whose bodies take each path of sendBytes: one `:id` per test. */
@Controller('b')
@HttpCache({ ttl: '1m' })
export class HttpBodyTestController {
  @Get('json/:id')
  json(@Param('id') id: string): object {
    return { id, n: bump(`json:${id}`), text: TRICKY_TEXT };
  }

  @Get('text/:id')
  text(@Param('id') id: string): string {
    bump(`text:${id}`);
    return TRICKY_TEXT;
  }

  @Get('utf8-bytes/:id')
  utf8Bytes(@Param('id') id: string): Buffer {
    bump(`utf8-bytes:${id}`);
    return BOM_BYTES;
  }

  @Get('bom-text/:id')
  @Header('Content-Type', 'text/plain; charset=utf-8')
  bomText(@Param('id') id: string): Buffer {
    bump(`bom-text:${id}`);
    return BOM_BYTES;
  }

  @Get('odd-type/:id')
  @Header('Content-Type', 'application/json;charset=UTF-8')
  oddType(@Param('id') id: string): object {
    return { id, n: bump(`odd-type:${id}`) };
  }

  @Get('vendor-type/:id')
  @Header('Content-Type', 'application/vnd.api+json')
  vendorType(@Param('id') id: string): object {
    return { id, n: bump(`vendor-type:${id}`) };
  }
}
