import { Controller, Get, Headers, Param } from '@nestjs/common';
import { HttpCache } from '@strata/nestjs';
import type { HttpCacheRequest } from '../../src/http/http-cache.options.js';

/** How many times each handler ran, by `route:id`. */
const calls = new Map<string, number>();

function bump(key: string): number {
  const n = (calls.get(key) ?? 0) + 1;
  calls.set(key, n);
  return n;
}

/** Reads the handler run count of `route:id`. */
export function pageRuns(key: string): number {
  return calls.get(key) ?? 0;
}

/** What every page shows: the run that produced it and the cookies and credentials it saw. */
export interface CookiePage {
  readonly route: string;
  readonly n: number;
  readonly cookie: string | null;
  readonly auth: string | null;
}

const user = (req: HttpCacheRequest): string | undefined => {
  const value = req.headers['x-user'];
  return typeof value === 'string' ? value : undefined;
};

/**
 * Pages personalised by whatever the request carries, as a real app's would be by `jwt=` or a
 * session: each body echoes the `Cookie` and `Authorization` its handler saw, so a test can tell
 * whose page a caller got.
 */
@Controller('adv')
export class CookiePagesController {
  @Get('shared/:id')
  @HttpCache({ ttl: '1m' })
  shared(@Param('id') id: string, @Headers() headers: Record<string, string | undefined>): CookiePage {
    return page('shared', id, headers);
  }

  @Get('public/:id')
  @HttpCache({ ttl: '1m', scope: 'public' })
  everyone(@Param('id') id: string, @Headers() headers: Record<string, string | undefined>): CookiePage {
    return page('public', id, headers);
  }

  @Get('private/:id')
  @HttpCache({ ttl: '1m', scope: 'private', varyBy: user })
  mine(@Param('id') id: string, @Headers() headers: Record<string, string | undefined>): CookiePage {
    return page('private', id, headers);
  }

  /** No decorator: cached through the module's `defaultPolicy`. */
  @Get('default/:id')
  byDefault(@Param('id') id: string, @Headers() headers: Record<string, string | undefined>): CookiePage {
    return page('default', id, headers);
  }

  @Get('fresh/:id')
  @HttpCache({ ttl: '1m', honorClientNoCache: true })
  fresh(@Param('id') id: string, @Headers() headers: Record<string, string | undefined>): CookiePage {
    return page('fresh', id, headers);
  }
}

function page(route: string, id: string, headers: Record<string, string | undefined>): CookiePage {
  return {
    route,
    n: bump(`${route}:${id}`),
    cookie: headers.cookie ?? null,
    auth: headers.authorization ?? null,
  };
}
