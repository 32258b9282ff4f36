import { Injectable, type NestMiddleware } from '@nestjs/common';
import { ViewsService } from './views.service.js';

interface PathRequest {
  readonly method: string;
  readonly path?: string;
  readonly url: string;
}

const PRODUCT_PAGE = /^\/products\/(\d+)\/?$/;

/**
 * Counts product page views before the HTTP cache answers, so a page served from the cache (even
 * a 304) is still counted. The increment is awaited: it is one journal append.
 */
@Injectable()
export class ViewCounterMiddleware implements NestMiddleware {
  constructor(private readonly views: ViewsService) {}

  async use(request: PathRequest, _response: unknown, next: (error?: unknown) => void): Promise<void> {
    const match =
      request.method === 'GET' ? PRODUCT_PAGE.exec(request.path ?? request.url.split('?')[0] ?? '') : null;
    try {
      if (match?.[1]) await this.views.recordView(Number(match[1]));
      next();
    } catch (error) {
      next(error);
    }
  }
}
