import { z } from 'zod';
import { BadUserInputError } from '@omo/lib/core/errors';
import { OBJECT_ID } from '@omo/lib/core/validation';

/** The largest value a GraphQL Int carries. */
export const MAX_INT = 2_147_483_647;
export const MAX_YEN = 1_000_000_000;

/**
 * One value checked by a zod schema. Rule inputs are checked field by field, each with a message of its own that
 * says what the field must be (staff read them in the admin screens), rather than zod's issue text.
 */
function checked<T>(schema: z.ZodType<T>, value: unknown, field: string, mustBe: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new BadUserInputError(`${field} ${mustBe}`, { field });
  return result.data;
}

const schemas = new Map<string, z.ZodType>();

/**
 * The schema of one shape, built once: zod 4 builds a schema at a cost far above checking a value with it, and a
 * settlement checks its stored rules again each time (building them per call was ~1.3% of the points service's
 * CPU per sale). Shapes come from the code's constants, so the map stays small.
 */
function schemaOf<T>(key: string, build: () => z.ZodType<T>): z.ZodType<T> {
  let schema = schemas.get(key) as z.ZodType<T> | undefined;
  if (!schema) {
    schema = build();
    schemas.set(key, schema);
  }
  return schema;
}

export function wholeNumber(value: unknown, field: string, min: number, max: number): number {
  const schema = schemaOf(`int:${min}:${max}`, () => z.number().int().min(min).max(max));
  return checked(schema, value, field, `must be a whole number from ${min} to ${max}`);
}

const objectId = z.string().regex(OBJECT_ID);

/** Ids of members, stores and campaigns are MongoDB ObjectIds in hex, kept in lower case. */
export function objectIdString(value: unknown, field: string): string {
  return checked(objectId, value, field, 'is not a valid id').toLowerCase();
}

const date = z.date();

export function validDate(value: unknown, field: string): Date {
  return checked(date, value, field, 'must be a date-time');
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string): T {
  const schema = schemaOf(`enum:${JSON.stringify(allowed)}`, () => z.enum(allowed as [T, ...T[]]));
  return checked(schema, value, field, `must be one of ${allowed.join(', ')}`);
}

/** A list without duplicates, each item checked by `item`. */
export function uniqueList<T>(values: unknown, field: string, maxLength: number, item: (value: unknown) => T): T[] {
  const schema = schemaOf(`list:${maxLength}`, () => z.array(z.unknown()).max(maxLength));
  const list = checked(schema, values, field, `must be a list of at most ${maxLength} items`);
  return [...new Set(list.map(item))];
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
