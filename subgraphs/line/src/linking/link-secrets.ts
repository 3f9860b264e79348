import { createHmac, randomBytes, randomInt } from 'node:crypto';

/**
 * 32 symbols without the look-alikes 0/O and 1/I, so a code read off a screen and typed on a phone survives.
 * 8 symbols: 32^8 ≈ 1.1 × 10^12 codes. With at most a handful live at a time and 5 failed tries per LINE user
 * per 10 minutes, a guesser needs on the order of 10^10 years; the attempt limit only keeps the noise down.
 */
export const LINK_CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export const LINK_CODE_LENGTH = 8;
const CODE_PATTERN = new RegExp(`^[${LINK_CODE_ALPHABET}]{${LINK_CODE_LENGTH}}$`);

/**
 * A fresh link code. Every code holds at least one digit, so ordinary 8-letter words typed in the chat
 * ("FEEDBACK") are never taken for a code attempt; that costs a tenth of the code space.
 */
export function generateLinkCode(): string {
  for (;;) {
    let code = '';
    for (let i = 0; i < LINK_CODE_LENGTH; i += 1) code += LINK_CODE_ALPHABET[randomInt(LINK_CODE_ALPHABET.length)];
    if (/\d/.test(code)) return code;
  }
}

/** The code in a chat message (any case, full-width, spaced or hyphenated as people copy it), or null. */
export function parseLinkCode(text: string): string | null {
  const code = text.normalize('NFKC').toUpperCase().replace(/[\s\-\u2212\u30fc]/g, '');
  return CODE_PATTERN.test(code) && /\d/.test(code) ? code : null;
}

/** 256 random bits, base64url: LINE asks for at least 128 bits and a URL-safe string. */
export function generateNonce(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * What we store instead of a link token, nonce or code: an HMAC keyed with the service secret, so a copy of the
 * database cannot be turned back into working secrets (8-character codes would fall to a plain hash in minutes).
 * Rotating the secret only voids what is outstanding, at most 10 minutes' worth.
 */
export function secretDigest(secret: string, kind: 'token' | 'nonce' | 'code', value: string): string {
  return createHmac('sha256', secret).update(`${kind}:${value}`).digest('base64url');
}
