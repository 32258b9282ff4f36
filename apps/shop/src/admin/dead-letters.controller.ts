import {
  ConflictException,
  Controller,
  Delete,
  Get,
  HttpCode,
  NotFoundException,
  Param,
  Post,
  Query,
  UseGuards,
} from '@nestjs/common';
import { ApiBearerAuth, ApiQuery, ApiTags } from '@nestjs/swagger';
import {
  DeadLetterNotRedrivableError,
  UnknownDeadLetterError,
  WriteBehindStrategy,
  type DeadLetter,
  type RedriveOutcome,
  type WriteBehindStrategyCache,
} from '@strata/core';
import { NoHttpCache } from '@strata/nestjs';
import { z } from 'zod';
import { AdminGuard } from '../auth/auth.guard.js';
import { ZodPipe } from '../common/zod.pipe.js';

const ListQuery = z.object({ limit: z.coerce.number().int().min(1).max(1_000).default(100) });

/**
 * The write-behind dead letters (`carts`, `views`), for an operator (admin token): list them,
 * re-drive one (its write is journaled again and delivered by the next flush), purge one or all.
 * Every instance sees the same ones with a Redis journal. Unknown cache or dead letter: 404; a dead
 * letter that cannot be re-driven (unreadable, or its key busy with increments): 409.
 */
@ApiTags('admin')
@ApiBearerAuth()
@Controller('admin/write-behind/:cache/dead-letters')
@UseGuards(AdminGuard)
@NoHttpCache()
export class DeadLettersController {
  constructor(private readonly writeBehind: WriteBehindStrategy) {}

  /** The oldest unresolved dead letters (`?limit=`, default 100) and how many there are in all. */
  @Get()
  @ApiQuery({ name: 'limit', required: false })
  async list(
    @Param('cache') cache: string,
    @Query(new ZodPipe(ListQuery)) query: z.infer<typeof ListQuery>,
  ): Promise<{ count: number; deadLetters: DeadLetter[] }> {
    const named = this.cacheNamed(cache);
    const [count, deadLetters] = await Promise.all([
      named.deadLetterCount(),
      named.listDeadLetters(query.limit),
    ]);
    return { count, deadLetters };
  }

  /** Journals the dead letter's write again: `requeued`, or `superseded` by a newer unflushed write. */
  @Post(':id/redrive')
  @HttpCode(200)
  async redrive(
    @Param('cache') cache: string,
    @Param('id') id: string,
  ): Promise<{ outcome: RedriveOutcome }> {
    const named = this.cacheNamed(cache);
    return { outcome: await answer(() => named.redriveDeadLetter(id)) };
  }

  /** Gives one dead letter's write up. */
  @Delete(':id')
  @HttpCode(204)
  async purgeOne(@Param('cache') cache: string, @Param('id') id: string): Promise<void> {
    const named = this.cacheNamed(cache);
    await answer(() => named.purgeDeadLetters(id));
  }

  /** Gives every unresolved dead letter of the cache up. */
  @Delete()
  async purgeAll(@Param('cache') cache: string): Promise<{ purged: number }> {
    return { purged: await this.cacheNamed(cache).purgeDeadLetters() };
  }

  private cacheNamed(name: string): WriteBehindStrategyCache<unknown> {
    const named = this.writeBehind.caches.get(name);
    if (named === undefined) throw new NotFoundException(`No write-behind cache "${name}"`);
    return named;
  }
}

/** The library's typed errors as HTTP answers (the library never throws HTTP exceptions). */
async function answer<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof UnknownDeadLetterError) throw new NotFoundException(error.message);
    if (error instanceof DeadLetterNotRedrivableError) throw new ConflictException(error.message);
    throw error;
  }
}
