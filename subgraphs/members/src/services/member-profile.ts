import { z } from 'zod';
import { JST_OFFSET_MS } from '@omo/lib/core/time';
import type { ConsentSource, MarketingConsentDoc, MemberDoc } from '../models/member.model';
import { parseField } from './member-input';

/** The earliest birthday taken: anything before is a typing slip, not a living member. */
const EARLIEST_BIRTHDAY = '1900-01-01';

/** Today's date in Japan, YYYY-MM-DD: the members' calendar day, so a birthday of "today" is accepted here all day. */
function jstToday(now: Date): string {
  return new Date(now.getTime() + JST_OFFSET_MS).toISOString().slice(0, 10);
}

/** YYYY-MM-DD naming a day that exists (2030-02-30 does not), between 1900-01-01 and today in Japan. */
function birthdaySchema(now: Date) {
  return z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD')
    .refine((value) => {
      const date = new Date(`${value}T00:00:00.000Z`);
      return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
    }, 'must be a real calendar date')
    .refine((value) => value >= EARLIEST_BIRTHDAY, `must not be before ${EARLIEST_BIRTHDAY}`)
    .refine((value) => value <= jstToday(now), 'must not be in the future');
}

/** The stored birthday fields for a given birthday (null clears both); BAD_USER_INPUT naming `birthday` otherwise. */
export function birthdayFields(value: string | null, now: Date): Pick<MemberDoc, 'birthday' | 'birthMonth'> {
  if (value === null) return { birthday: null, birthMonth: null };
  const birthday = parseField(birthdaySchema(now), value, 'birthday');
  return { birthday, birthMonth: Number(birthday.slice(5, 7)) };
}

/** A choice made now. */
export function consentChoice(granted: boolean, source: MarketingConsentDoc['source'], now: Date): MarketingConsentDoc {
  return { granted, source, updatedAt: now };
}

/**
 * A member's marketing consent as everyone outside sees it: a member registered before consent was kept has no
 * recorded choice and counts as consented, source LEGACY, updatedAt null (lib/contracts/members.ts says why).
 */
export function consentOf(member: Pick<MemberDoc, 'marketingConsent'>): { granted: boolean; source: ConsentSource; updatedAt: Date | null } {
  const recorded = member.marketingConsent;
  return recorded ? { granted: recorded.granted, source: recorded.source, updatedAt: recorded.updatedAt } : { granted: true, source: 'LEGACY', updatedAt: null };
}
