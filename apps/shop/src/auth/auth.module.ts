import { Global, Module } from '@nestjs/common';
import { AdminGuard, AuthGuard } from './auth.guard.js';
import { UsersService } from './users.service.js';

/** Bearer-token auth for the seeded demo users; global so every controller can use the guards. */
@Global()
@Module({ providers: [UsersService, AuthGuard, AdminGuard], exports: [UsersService, AuthGuard, AdminGuard] })
export class AuthModule {}
