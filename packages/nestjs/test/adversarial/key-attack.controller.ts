import {
  Controller,
  Get,
  HttpCode,
  type INestApplication,
  Param,
  Post,
  Req,
  type Type,
} from '@nestjs/common';
import { HttpCache, HttpCacheModule, StrataModule } from '@strata/nestjs';
import type { HttpCacheRequest } from '../../src/http/http-cache.options.js';
import type { StrataModuleOptions } from '../../src/module/strata-module.options.js';
import { uniquePrefix } from '../support/app.js';
import { createHttpCacheApp, type HttpAdapterName } from '../support/http-app.js';
import type { RedisHandle } from '../support/redis.js';

/** What an echo handler saw of its request. */
export interface HandlerView {
  /** The path the router matched on (Express `req.path`; Fastify: the URL up to `?` or `#`). */
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: unknown;
}

/** The request fields the echo handlers read, on Express and Fastify alike. */
interface EchoRequest extends HttpCacheRequest {
  readonly url: string;
  readonly path?: string;
}

const viewOf = (req: EchoRequest): HandlerView => ({
  path: typeof req.path === 'string' ? req.path : (req.url.split(/[?#]/)[0] ?? ''),
  params: { ...req.params },
  query: req.query,
});

const userOf = (req: HttpCacheRequest): string | undefined => {
  const user = req.headers['x-user'];
  return typeof user === 'string' ? user : undefined;
};

/** Routes laid out as real apps lay them out, for the attacks on the key. */
@Controller('atk')
export class KeyAttackController {
  /** A private page next to a public one with a parameter: the common `me` / `:id` layout. */
  @Get('users/me')
  @HttpCache({ ttl: '60s', scope: 'private', varyBy: userOf })
  me(@Req() req: HttpCacheRequest): { user: string | undefined; secret: string } {
    const user = userOf(req);
    return { user, secret: `the secret of ${user ?? 'nobody'}` };
  }

  @Get('users/:id')
  @HttpCache({ ttl: '60s', scope: 'public' })
  user(@Param('id') id: string): { id: string; public: true } {
    return { id, public: true };
  }

  /** A write to a user: its 2xx drops the cached GETs of its path. */
  @Post('users/:id')
  @HttpCode(204)
  touch(): void {
    return undefined;
  }

  /** Shows the query and path the handler received. */
  @Get('echo')
  @HttpCache({ ttl: '60s' })
  echo(@Req() req: EchoRequest): HandlerView {
    return viewOf(req);
  }

  @Get('echo/:id')
  @HttpCache({ ttl: '60s' })
  echoParam(@Req() req: EchoRequest): HandlerView {
    return viewOf(req);
  }

  /** A page that builds absolute links from `Host`, as many do. */
  @Get('links')
  @HttpCache({ ttl: '60s' })
  links(@Req() req: HttpCacheRequest): { self: string } {
    return { self: `http://${String(req.headers.host)}/atk/links` };
  }
}

/** The three stack shapes: memory only, Redis alone (`l1: false`), L1 in front of Redis. */
export function attackBackends(redis: RedisHandle): { name: string; options: () => StrataModuleOptions }[] {
  return [
    { name: 'memory', options: () => ({ prefix: uniquePrefix(), jitter: 0 }) },
    {
      name: 'redis only (l1: false)',
      options: () => ({ prefix: uniquePrefix(), jitter: 0, redis: { url: redis.url }, l1: false }),
    },
    { name: 'l1 + redis', options: () => ({ prefix: uniquePrefix(), jitter: 0, redis: { url: redis.url } }) },
  ];
}

/**
 * An app on `adapter` whose stack has the shape of `backend`, with the HTTP cache bound to every
 * route, serving `controller` (the key-attack routes by default).
 */
export function startAttackApp(
  adapter: HttpAdapterName,
  backend: { readonly options: () => StrataModuleOptions },
  controller: Type = KeyAttackController,
): Promise<INestApplication> {
  return createHttpCacheApp(adapter, {
    imports: [StrataModule.forRoot(backend.options()), HttpCacheModule.forRoot({})],
    controllers: [controller],
  });
}
