import type { z } from 'zod';
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
