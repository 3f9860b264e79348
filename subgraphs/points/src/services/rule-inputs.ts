import { BadUserInputError } from '@omo/lib/core/errors';

/** The largest value a GraphQL Int carries. */
export const MAX_INT = 2_147_483_647;
export const MAX_YEN = 1_000_000_000;

export function wholeNumber(value: unknown, field: string, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new BadUserInputError(`${field} must be a whole number from ${min} to ${max}`, { field });
  }
  return value;
}

/** Ids of members, stores and campaigns are MongoDB ObjectIds in hex. */
export function objectIdString(value: unknown, field: string): string {
  if (typeof value !== 'string' || !/^[0-9a-f]{24}$/i.test(value)) {
    throw new BadUserInputError(`${field} is not a valid id`, { field });
  }
  return value.toLowerCase();
}

export function validDate(value: unknown, field: string): Date {
  if (!(value instanceof Date) || Number.isNaN(value.getTime())) {
    throw new BadUserInputError(`${field} must be a date-time`, { field });
  }
  return value;
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  const match = allowed.find((candidate) => candidate === value);
  if (match === undefined) throw new BadUserInputError(`${field} must be one of ${allowed.join(', ')}`, { field });
  return match;
}

/** A list without duplicates, each item checked by `item`. */
export function uniqueList<T>(values: unknown, field: string, maxLength: number, item: (value: unknown) => T): T[] {
  if (!Array.isArray(values) || values.length > maxLength) {
    throw new BadUserInputError(`${field} must be a list of at most ${maxLength} items`, { field });
  }
  return [...new Set(values.map(item))];
}

export function isGiven<T>(value: T | null | undefined): value is T {
  return value !== null && value !== undefined;
}

export function assertWindow(startsAt: Date, endsAt: Date): void {
  if (endsAt.getTime() <= startsAt.getTime()) throw new BadUserInputError('endsAt must be after startsAt', { field: 'endsAt' });
}

export function assertFuture(endsAt: Date, now: Date): void {
  if (endsAt.getTime() <= now.getTime()) throw new BadUserInputError('endsAt must be in the future', { field: 'endsAt' });
}
