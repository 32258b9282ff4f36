import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { Cacheable } from '@strata/nestjs';
import { eq } from 'drizzle-orm';
import { DATABASE, type Database } from '../db/database.js';
import { users } from '../db/schema.js';
import type { ShopUser } from './shop-user.js';

/**
 * Bearer tokens to users. Every authenticated request resolves its token, so the lookup is cached;
 * the key is a hash of the token, so tokens never appear in Redis keys.
 */
@Injectable()
export class UsersService {
  constructor(@Inject(DATABASE) private readonly db: Database) {}

  /** The user holding `token`, or `null` (cached too: a burst of bad tokens stays off the database). */
  byToken(token: string): Promise<ShopUser | null> {
    return this.lookup(createHash('sha256').update(token).digest('base64url'), token);
  }

  // The `users` namespace is sensitive when the shop has CACHE_ENCRYPTION_KEY (shop-config.ts).
  @Cacheable({
    key: (hash: string) => `user-token:${hash}`,
    namespace: 'users',
    ttl: '5m',
    nullTtl: '10s',
    tags: ['users'],
  })
  protected async lookup(_hash: string, token: string): Promise<ShopUser | null> {
    const [row] = await this.db
      .select({ id: users.id, name: users.name, role: users.role })
      .from(users)
      .where(eq(users.token, token));
    return row ?? null;
  }
}
