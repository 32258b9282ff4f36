import { BadRequestException, type PipeTransform } from '@nestjs/common';
import type { z } from 'zod';

/**
 * Validates a request body or query against a zod schema (the same validator as the environment);
 * a bad request gets a 400 listing each problem with its path.
 *
 * @example create(@Body(new ZodPipe(CreateReview)) body: CreateReview)
 */
export class ZodPipe<S extends z.ZodType> implements PipeTransform<unknown, z.infer<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.infer<S> {
    const parsed = this.schema.safeParse(value);
    if (parsed.success) return parsed.data;
    throw new BadRequestException({
      statusCode: 400,
      message: parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`),
      error: 'Bad Request',
    });
  }
}

/** Route parameters that are product or order ids. */
export const idParam = (value: string | undefined): number => {
  const id = Number(value);
  if (!Number.isSafeInteger(id) || id <= 0) throw new BadRequestException(`Invalid id "${value}"`);
  return id;
};
