import {
  Controller,
  Get,
  Header,
  Headers,
  NotFoundException,
  Param,
  Post,
  Res,
  ServiceUnavailableException,
  StreamableFile,
} from '@nestjs/common';
import { HttpCache, NoHttpCache } from '@strata/nestjs';
import type { HttpCacheRequest } from '../../src/http/http-cache.options.js';

/** How many times each handler ran, by `route:id`. */
export const calls = new Map<string, number>();

function bump(key: string): number {
  const n = (calls.get(key) ?? 0) + 1;
  calls.set(key, n);
  return n;
}

/** Reads the handler run count of `route:id`. */
export function runs(key: string): number {
  return calls.get(key) ?? 0;
}

/** The bytes of `GET /t/bytes/:id`: not UTF-8, so any re-encoding would show. */
export const RAW_BYTES = Buffer.from([0xff, 0x00, 0xfe, 0x80, 0x7b, 0x22, 0xc3]);

/** Sets a response header on Express (`res.header`) and Fastify (`reply.header`) alike. */
interface HeaderSetter {
  header(name: string, value: string): unknown;
}

/** Sends a body on Express (`res.send`) and Fastify (`reply.send`) alike. */
interface Sender {
  send(body: string): unknown;
}

/** Per `:id`: a promise the `swr` handler waits for, so a test can hold a refresh. */
export const gates = new Map<string, Promise<void>>();

/** Per `:id`: how the `sie` handler fails (`throw`: a plain error, `503`: an HttpException). */
export const failures = new Map<string, 'throw' | '503' | '404'>();

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const user = (req: HttpCacheRequest): string | undefined => {
  const value = req.headers['x-user'];
  return typeof value === 'string' ? value : undefined;
};

/** Routes of the HTTP cache e2e suite: each test uses its own `:id`. */
@Controller('t')
export class HttpCacheTestController {
  @Get('plain/:id')
  @HttpCache({ ttl: '1m', tags: (req) => [`item:${req.params.id ?? ''}`] })
  plain(@Param('id') id: string): { id: string; n: number; text: string } {
    return { id, n: bump(`plain:${id}`), text: 'héllo ✓' };
  }

  @Post('plain/:id')
  update(@Param('id') id: string): { updated: string } {
    bump(`post:${id}`);
    return { updated: id };
  }

  @Get('bytes/:id')
  @HttpCache({ ttl: '1m' })
  bytes(@Param('id') id: string): Buffer {
    bump(`bytes:${id}`);
    return RAW_BYTES;
  }

  @Get('me/:id')
  @HttpCache({ ttl: '1m' })
  me(@Param('id') id: string, @Headers('authorization') auth: string | undefined): object {
    return { auth: auth ?? null, n: bump(`me:${id}`) };
  }

  @Get('private/:id')
  @HttpCache({ ttl: '1m', scope: 'private', varyBy: user })
  mine(@Param('id') id: string, @Headers('x-user') who: string | undefined): object {
    return { user: who ?? null, n: bump(`private:${id}`) };
  }

  @Get('cookie/:id')
  @HttpCache({ ttl: '1m' })
  cookie(@Param('id') id: string, @Res({ passthrough: true }) res: HeaderSetter): object {
    const n = bump(`cookie:${id}`);
    res.header('Set-Cookie', `token=${id}-${n}; HttpOnly`);
    return { n };
  }

  @Get('host/:id')
  @HttpCache({ ttl: '1m' })
  host(@Param('id') id: string, @Headers() headers: Record<string, string | undefined>): object {
    return { link: `https://${headers['x-forwarded-host'] ?? 'shop.example'}/`, n: bump(`host:${id}`) };
  }

  @Get('lang/:id')
  @HttpCache({ ttl: '1m', tags: (req) => [`lang:${req.params.id ?? ''}`] })
  @Header('Vary', 'Accept-Language')
  lang(@Param('id') id: string, @Headers('accept-language') lang: string | undefined): object {
    return { lang: lang ?? null, n: bump(`lang:${id}`) };
  }

  @Get('fail/:id')
  @HttpCache({ ttl: '1m' })
  fail(@Param('id') id: string): never {
    bump(`fail:${id}`);
    throw new ServiceUnavailableException('down');
  }

  @Get('missing/:id')
  @HttpCache({ ttl: '1m', negativeTtl: '10s' })
  missing(@Param('id') id: string): never {
    bump(`missing:${id}`);
    throw new NotFoundException(`no item ${id}`);
  }

  @Get('slow/:id')
  @HttpCache({ ttl: '1m' })
  async slow(@Param('id') id: string): Promise<object> {
    const n = bump(`slow:${id}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    return { id, n };
  }

  @Post('slow/:id')
  updateSlow(@Param('id') id: string): { updated: string } {
    bump(`post-slow:${id}`);
    return { updated: id };
  }

  @Get('slowlang/:id')
  @HttpCache({ ttl: '1m' })
  @Header('Vary', 'Accept-Language')
  async slowLang(
    @Param('id') id: string,
    @Headers('accept-language') lang: string | undefined,
  ): Promise<object> {
    const n = bump(`slowlang:${id}`);
    await pause(100);
    return { lang: lang ?? null, n };
  }

  @Get('slowcookie/:id')
  @HttpCache({ ttl: '1m' })
  async slowCookie(@Param('id') id: string, @Res({ passthrough: true }) res: HeaderSetter): Promise<object> {
    const n = bump(`slowcookie:${id}`);
    res.header('Set-Cookie', `token=${n}`);
    await pause(100);
    return { n };
  }

  @Get('public/:id')
  @HttpCache({ ttl: '1m', scope: 'public' })
  everyone(@Param('id') id: string): object {
    return { n: bump(`public:${id}`) };
  }

  @Get('etag/:id')
  @HttpCache({ ttl: '1m' })
  @Header('ETag', 'W/"v1"')
  ownEtag(@Param('id') id: string): object {
    return { n: bump(`etag:${id}`) };
  }

  @Get('raw/:id')
  @HttpCache({ ttl: '1m' })
  raw(@Param('id') id: string, @Res() res: Sender): void {
    res.send(`raw ${bump(`raw:${id}`)}`);
  }

  @Get('file/:id')
  @HttpCache({ ttl: '1m' })
  file(@Param('id') id: string): StreamableFile {
    return new StreamableFile(Buffer.from(`file ${bump(`file:${id}`)}`));
  }

  @Get('swr/:id')
  @HttpCache({ ttl: 300, staleWhileRevalidate: '10s', tags: (req) => [`swr:${req.params.id ?? ''}`] })
  async swr(@Param('id') id: string, @Res({ passthrough: true }) res: HeaderSetter): Promise<object> {
    const n = bump(`swr:${id}`);
    res.header('X-Handler', String(n));
    await gates.get(id);
    // Set again after the wait: on Express this would throw if the response were already sent.
    res.header('X-Handler-Done', String(n));
    return { id, n };
  }

  @Post('swr/:id')
  updateSwr(@Param('id') id: string): { updated: string } {
    return { updated: id };
  }

  @Get('sie/:id')
  @HttpCache({ ttl: 300, staleIfError: 1500, tags: (req) => [`sie:${req.params.id ?? ''}`] })
  sie(@Param('id') id: string, @Res({ passthrough: true }) res: HeaderSetter): object {
    const n = bump(`sie:${id}`);
    res.header('X-Handler', String(n));
    const failure = failures.get(id);
    if (failure !== undefined) res.header('X-Failed', failure);
    if (failure === 'throw') throw new Error('database down');
    if (failure === '404') throw new NotFoundException(`no item ${id}`);
    if (failure === '503') throw new ServiceUnavailableException('down');
    return { id, n };
  }

  @Get('never/:id')
  @NoHttpCache()
  never(@Param('id') id: string): object {
    return { n: bump(`never:${id}`) };
  }
}
