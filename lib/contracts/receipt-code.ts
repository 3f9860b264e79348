/**
 * The shape of a receipt claim code, shared by its maker (purchases) and the chat that recognises one (line).
 *
 * 12 symbols of the link codes' alphabet (no 0/O or 1/I to misread off a receipt), printed in groups of four
 * ("7KQ4-M2XD-9HRT"): 11 random symbols (55 bits) and a Luhn mod 32 check symbol, which catches every single
 * mistyped symbol and every swap of two neighbours but "2Z" / "Z2" (Luhn's one blind pair, the first and last
 * symbols) before a lookup is spent on it. A link code is 8 symbols, so
 * the two are never confused however they are typed.
 */
export const RECEIPT_CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';
export const RECEIPT_CODE_RANDOM_SYMBOLS = 11;
const LENGTH = RECEIPT_CODE_RANDOM_SYMBOLS + 1;
const BASE = RECEIPT_CODE_ALPHABET.length;
const SHAPE = new RegExp(`^[${RECEIPT_CODE_ALPHABET}]{${LENGTH}}$`);

/** Luhn mod N over the symbols' values: the symbol that makes the whole code's sum a multiple of 32. */
export function receiptCheckSymbol(body: string): string {
  let sum = 0;
  let factor = 2;
  for (let i = body.length - 1; i >= 0; i -= 1) {
    const addend = factor * RECEIPT_CODE_ALPHABET.indexOf(body[i]!);
    sum += Math.floor(addend / BASE) + (addend % BASE);
    factor = factor === 2 ? 1 : 2;
  }
  return RECEIPT_CODE_ALPHABET[(BASE - (sum % BASE)) % BASE]!;
}

/**
 * Full-width (NFKC), lower case, spaces and the hyphens people type (ASCII, minus sign, the katakana long vowel
 * mark of Japanese keyboards) do not count.
 */
export function compactReceiptCode(text: string): string {
  return text.normalize('NFKC').toUpperCase().replace(/[\s\-\u2212\u30fc\u2010-\u2015]/g, '');
}

/** The code in a text, or null when it has not a receipt code's shape; `checked`: its check symbol matches. */
export function parseReceiptCode(text: string): { code: string; checked: boolean } | null {
  const code = compactReceiptCode(text);
  if (!SHAPE.test(code)) return null;
  return { code, checked: receiptCheckSymbol(code.slice(0, -1)) === code.slice(-1) };
}

/** As printed: three groups of four. */
export function formatReceiptCode(code: string): string {
  return code.match(/.{1,4}/g)!.join('-');
}
