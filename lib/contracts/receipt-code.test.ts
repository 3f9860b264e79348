import { compactReceiptCode, formatReceiptCode, parseReceiptCode, RECEIPT_CODE_ALPHABET, receiptCheckSymbol } from '@omo/lib/contracts/receipt-code';

const BODY = '7KQ4M2XD9HR';
const CODE = BODY + receiptCheckSymbol(BODY);

describe('receipt codes', () => {
  it('reads a code however it is typed: case, full width, spaces, hyphens, the long vowel mark', () => {
    expect(compactReceiptCode(' ７kq４-m２xd ９hr' + CODE.slice(-1).toLowerCase())).toBe(CODE);
    expect(compactReceiptCode(`${CODE.slice(0, 4)}ー${CODE.slice(4, 8)}−${CODE.slice(8)}`)).toBe(CODE);
    expect(parseReceiptCode(formatReceiptCode(CODE))).toEqual({ code: CODE, checked: true });
    expect(formatReceiptCode(CODE)).toMatch(/^.{4}-.{4}-.{4}$/);
  });

  it('catches every single mistyped symbol and every swap of two different neighbours but 2Z, Luhn’s blind pair', () => {
    for (let i = 0; i < CODE.length; i += 1) {
      for (const symbol of RECEIPT_CODE_ALPHABET) {
        if (symbol === CODE[i]) continue;
        expect(parseReceiptCode(CODE.slice(0, i) + symbol + CODE.slice(i + 1))?.checked).toBe(false);
      }
      if (i + 1 < CODE.length && CODE[i] !== CODE[i + 1]) {
        expect(parseReceiptCode(CODE.slice(0, i) + CODE[i + 1] + CODE[i] + CODE.slice(i + 2))?.checked).toBe(false);
      }
    }
  });

  it('misses a swap of 2 and Z, as documented', () => {
    const body = `2Z${'3'.repeat(9)}`;
    const code = body + receiptCheckSymbol(body);
    expect(parseReceiptCode(`Z2${code.slice(2)}`)?.checked).toBe(true);
  });

  it('is not a link code, a member code or a word', () => {
    expect(parseReceiptCode('K7Q4M2XD')).toBeNull();
    expect(parseReceiptCode('2400000123457')).toBeNull();
    expect(parseReceiptCode('ポイント')).toBeNull();
    expect(parseReceiptCode('0KQ4-M2XD-9HRT')).toBeNull();
  });
});
