import { ApiBody } from '@nestjs/swagger';
import { z } from 'zod';

type BodySchema = NonNullable<Extract<Parameters<typeof ApiBody>[0], { schema?: unknown }>['schema']>;

/**
 * Describes a route's JSON body in the Swagger document from the same zod schema that validates it
 * (`z.toJSONSchema`, input side: defaults make a field optional), so `/docs` shows and sends
 * real bodies without DTO classes.
 */
export const ZodApiBody = (schema: z.ZodType): MethodDecorator =>
  ApiBody({ schema: z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as BodySchema });
