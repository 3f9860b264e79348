import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { z } from 'zod';
import { BadUserInputError } from '@omo/lib/core/errors';

const emailSchema = z.email();
const JAPANESE_NATIONAL_NUMBER = /^(?:[5789]0\d{8}|800\d{7}|(?![5789]0|800)\d{9})$/;

export function normalizeEmail(input: string): string {
  const email = input.normalize('NFKC').trim().toLowerCase();
  if (email.length > 254 || !emailSchema.safeParse(email).success) {
    throw new BadUserInputError('The e-mail address is not valid', { field: 'email' });
  }
  return email;
}

/**
 * One phone number, one string: 090-1234-5678, ０９０１２３４５６７８ and +81 90 1234 5678 all become +819012345678.
 * Numbers without a country code are read as Japanese.
 */
export function normalizePhone(input: string): string {
  const phone = parsePhoneNumberFromString(input.normalize('NFKC'), 'JP');
  // isPossible (length and shape), not isValid: number-range tables age, and a real customer's number must never be
  // refused. After the leading 0, Japanese numbers have 10 digits for mobile (070/080/090), IP (050) and 0800,
  // and 9 for fixed lines and 0120.
  const japanese = phone?.countryCallingCode === '81';
  if (!phone?.isPossible() || (japanese && !JAPANESE_NATIONAL_NUMBER.test(phone.nationalNumber))) {
    throw new BadUserInputError('The phone number is not valid', { field: 'phone' });
  }
  return phone.number;
}
