import { randomInt } from 'node:crypto';
import { BadUserInputError } from '@omo/lib/core/errors';

/**
 * Member codes are 13 digits in the JAN/EAN-13 in-store range (prefix "29"), ending in the EAN-13 check digit,
 * so a register rejects a mistyped code before it reaches the database, and every POS scanner reads the barcode.
 */
const PREFIX = '29';
const LENGTH = 13;

export function checkDigit(first12: string): number {
  let sum = 0;
  for (let i = 0; i < 12; i += 1) sum += Number(first12[i]) * (i % 2 === 0 ? 1 : 3);
  return (10 - (sum % 10)) % 10;
}

export function generateMemberCode(): string {
  const body = PREFIX + String(randomInt(0, 10_000_000_000)).padStart(10, '0');
  return body + String(checkDigit(body));
}

/** Normalises what a person or scanner typed (full-width digits, spaces, hyphens) and validates it. */
export function parseMemberCode(input: string): string {
  // Japanese IMEs often type a minus sign or a long-vowel mark where a hyphen was meant
  const code = input.normalize('NFKC').replace(/[\s\-\u2212\u30fc]/g, '');
  if (!new RegExp(`^\\d{${LENGTH}}$`).test(code)) {
    throw new BadUserInputError(`A member code has ${LENGTH} digits`, { field: 'code' });
  }
  if (checkDigit(code.slice(0, 12)) !== Number(code[12])) {
    throw new BadUserInputError('The member code check digit does not match: the code was probably mistyped', {
      field: 'code',
    });
  }
  return code;
}
