import { randomBytes } from 'node:crypto';

/** No 0/O, 1/I/L: a code read aloud or typed from a receipt is not mistaken. 31 symbols. */
const ALPHABET = '23456789ABCDEFGHJKMNPQRSTUVWXYZ';
const LENGTH = 16;

/** A single-use coupon code: 16 symbols (about 79 bits), upper case and digits, valid as Code 128 and QR content. */
export function newCouponCode(): string {
  const bytes = randomBytes(LENGTH * 2);
  let code = '';
  // rejection sampling keeps every symbol equally likely: 31 symbols do not divide 256
  for (const byte of bytes) {
    if (byte >= 248) continue;
    code += ALPHABET[byte % ALPHABET.length];
    if (code.length === LENGTH) return code;
  }
  return code + newCouponCode().slice(code.length);
}
