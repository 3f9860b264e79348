/** The longest old card code taken: what a register sends as memberCode (purchases allows 40 characters). */
export const MAX_LEGACY_CODE = 40;

/**
 * An old card's code as it is stored and looked up: what a person or scanner typed, with full-width characters
 * folded (NFKC), spaces and hyphens (and the minus signs and long-vowel marks Japanese IMEs type for them)
 * removed, letters in upper case. Null when nothing printable is left or it is too long.
 */
export function normalizeLegacyCode(input: string): string | null {
  const code = input.normalize('NFKC').replace(/[\s\-\u2212\u30fc]/g, '').toUpperCase();
  return /^[\x21-\x7e]+$/.test(code) && code.length <= MAX_LEGACY_CODE ? code : null;
}
