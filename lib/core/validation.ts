import { z } from 'zod';
import { BadUserInputError } from '@omo/lib/core/errors';

/** Validates input with a zod schema; the first problem becomes BAD_USER_INPUT naming the field. */
export function parseInput<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue?.path.join('.') || 'input';
    throw new BadUserInputError(`${field} ${issue?.message ?? 'is invalid'}`, { field });
  }
  return result.data;
}

/** An ObjectId as its 24 hex digits, in either case (`new Types.ObjectId` reads both). */
export const OBJECT_ID = /^[0-9a-f]{24}$/i;
/** An ObjectId as the services write it (lower case): for ids compared as strings, e.g. across services. */
export const CANONICAL_OBJECT_ID = /^[0-9a-f]{24}$/;

export const isObjectId = (value: unknown): value is string => typeof value === 'string' && OBJECT_ID.test(value);

/** A zod string that must be an ObjectId (any case). */
export const objectIdSchema = (message = 'must be an id') => z.string().regex(OBJECT_ID, message);
