import { z } from 'zod';
import type { MemberPageTextKey } from '../i18n/member-page.messages';
import { MemberPageError } from './member-page.errors';

/** A birthday as the page's date field sends it; empty means none given. */
const birthday = z
  .string()
  .trim()
  .transform((value) => value || null)
  .pipe(z.string().regex(/^\d{4}-\d{2}-\d{2}$/).nullable());

const joinSchema = z.object({
  name: z.string().trim().min(1).max(100),
  contact: z.string().trim().min(1).max(254),
  termsAccepted: z.literal(true),
  marketingConsent: z.boolean(),
  birthday: birthday.nullish().transform((value) => value ?? null),
});

const linkSchema = z.object({
  memberCode: z.string().trim().min(1).max(40),
  contact: z.string().trim().min(1).max(254),
});

const claimSchema = z.object({ code: z.string().trim().min(1).max(40) });

const profileSchema = z
  .object({ birthday: birthday.nullable().optional(), marketingConsent: z.boolean().optional() })
  .refine((input) => input.birthday !== undefined || input.marketingConsent !== undefined);

export type JoinInput = z.output<typeof joinSchema>;
export type LinkInput = z.output<typeof linkSchema>;
export type ProfileInput = z.output<typeof profileSchema>;
export type ClaimInput = z.output<typeof claimSchema>;

/** The text naming what is wrong with a field, for the first field zod refused. */
const FIELD_TEXT: Record<string, MemberPageTextKey> = {
  name: 'nameRequired',
  contact: 'contactRequired',
  termsAccepted: 'termsRequired',
  birthday: 'birthdayInvalid',
};

/** Parses a request body, or refuses it (BAD_USER_INPUT, with the text of its first wrong field) before anything is written. */
function parse<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body ?? {});
  if (result.success) return result.data;
  const field = String(result.error.issues[0]?.path[0] ?? '');
  throw new MemberPageError('BAD_USER_INPUT', FIELD_TEXT[field] ?? 'badInput', 400);
}

export const parseJoin = (body: unknown): JoinInput => parse(joinSchema, body);
export const parseLink = (body: unknown): LinkInput => parse(linkSchema, body);
export const parseProfile = (body: unknown): ProfileInput => parse(profileSchema, body);
export const parseClaim = (body: unknown): ClaimInput => parse(claimSchema, body);
