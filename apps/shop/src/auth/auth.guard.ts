import {
  ForbiddenException,
  Injectable,
  UnauthorizedException,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import type { ShopRequest, ShopUser } from './shop-user.js';
import { UsersService } from './users.service.js';

/** `Authorization: Bearer <token>` to a seeded user; 401 without a known token. */
@Injectable()
export class AuthGuard implements CanActivate {
  constructor(private readonly users: UsersService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<ShopRequest>();
    request.user = await this.authenticate(request);
    return this.allows(request.user);
  }

  /** Whether this user may use the route (any signed-in user here). */
  protected allows(_user: ShopUser): boolean {
    return true;
  }

  private async authenticate(request: ShopRequest): Promise<ShopUser> {
    const header = request.headers.authorization;
    const match = typeof header === 'string' ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    const user = match?.[1] ? await this.users.byToken(match[1]) : null;
    if (!user) throw new UnauthorizedException('A valid "Authorization: Bearer <token>" header is required');
    return user;
  }
}

/** Admin routes: a signed-in user with the `admin` role (the seed's `admin-token`); 403 otherwise. */
@Injectable()
export class AdminGuard extends AuthGuard {
  protected override allows(user: ShopUser): boolean {
    if (user.role !== 'admin') throw new ForbiddenException('Admin token required');
    return true;
  }
}
