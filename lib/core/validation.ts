import { z } from 'zod';
import { BadUserInputError } from '@omo/lib/core/errors';
import { DAY_MS } from '@omo/lib/core/time';

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

/** The longest period one report covers: two years of months. */
export const MAX_REPORT_PERIOD_DAYS = 731;

/** A report's period [from, to): to after from, at most MAX_REPORT_PERIOD_DAYS long; BAD_USER_INPUT naming `to` otherwise. */
export function checkReportPeriod(from: Date, to: Date): void {
  if (to.getTime() <= from.getTime()) throw new BadUserInputError('to must be after from', { field: 'to' });
  if (to.getTime() - from.getTime() > MAX_REPORT_PERIOD_DAYS * DAY_MS) throw new BadUserInputError(`The period can be at most ${MAX_REPORT_PERIOD_DAYS} days`, { field: 'to' });
}
