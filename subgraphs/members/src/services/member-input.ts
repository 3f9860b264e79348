import { z } from 'zod';
import { BadUserInputError } from '@omo/lib/core/errors';
import type { MarketingConsentDoc, RegistrationChannel } from '../models/member.model';

export interface RegisterMemberInput {
  displayName: string;
  email?: string | null;
  phone?: string | null;
  registeredVia: RegistrationChannel;
  registeredStoreId?: string | null;
  tags?: string[] | null;
  /** YYYY-MM-DD; omitted or null: not given. */
  birthday?: string | null;
  /** Omitted: false (a new member who was not asked did not consent). */
  marketingConsent?: boolean | null;
  /** Where the choice was made; omitted: POS for a POS key, STAFF otherwise (a service caller names its own). */
  consentSource?: MarketingConsentDoc['source'];
}

export interface UpdateMemberInput {
  displayName?: string | null;
  email?: string | null;
  phone?: string | null;
  tags?: string[] | null;
  /** YYYY-MM-DD; null removes it; omitted stays. */
  birthday?: string | null;
  /** Omitted or null: stays. */
  marketingConsent?: boolean | null;
}

/** A member's tags: at registration, on update, and the two members' together in a merge. */
export const MAX_TAGS = 20;

export const displayNameSchema = z
  .string()
  .transform((s) => s.normalize('NFKC').trim())
  .pipe(z.string().min(1, 'must not be empty').max(50, 'must be at most 50 characters'));
export const tagsSchema = z.array(z.string().regex(/^[\w:-]{1,40}$/, 'tags are 1-40 letters, digits, -, _ or :')).max(MAX_TAGS);

/** Validates one input value; the first problem becomes BAD_USER_INPUT, "<field> <problem>", naming the field. */
export function parseField<T>(schema: z.ZodType<T>, value: unknown, field: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw new BadUserInputError(`${field} ${result.error.issues[0]?.message ?? 'is invalid'}`, { field });
  return result.data;
}
