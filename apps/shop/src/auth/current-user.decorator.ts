import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import type { ShopRequest, ShopUser } from './shop-user.js';

/** The user the auth guard resolved (use on routes behind `AuthGuard`). */
export const CurrentUser = createParamDecorator((_data: unknown, context: ExecutionContext): ShopUser => {
  const user = context.switchToHttp().getRequest<ShopRequest>().user;
  if (!user) throw new Error('CurrentUser used on a route without AuthGuard');
  return user;
});

/** `varyBy` of per-user cached pages: the verified user id (never a value the client chooses). */
export const byUser = (request: ShopRequest): string | undefined =>
  request.user ? String(request.user.id) : undefined;
