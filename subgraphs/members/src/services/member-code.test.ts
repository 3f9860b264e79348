import { BadUserInputError } from '@omo/lib/core/errors';
import { thrownBy } from '@omo/tools/testing/errors';
import { checkDigit, generateMemberCode, parseMemberCode } from './member-code';

const VALID_CODE = '2900000012349';

function toFullWidth(digits: string): string {
  return digits.replace(/\d/g, (d) => String.fromCharCode(d.charCodeAt(0) + 0xfee0));
}

describe('member codes', () => {
  it('computes the standard EAN-13 check digit', () => {
    // 4006381333931 is the textbook EAN-13 example
    expect(checkDigit('400638133393')).toBe(1);
    expect(checkDigit(VALID_CODE.slice(0, 12))).toBe(Number(VALID_CODE[12]));
  });

  it('generates 13-digit codes with prefix 29 and a valid check digit', () => {
    for (let i = 0; i < 1000; i += 1) {
      const code = generateMemberCode();
      expect(code).toMatch(/^29\d{11}$/);
      expect(Number(code[12])).toBe(checkDigit(code.slice(0, 12)));
      expect(parseMemberCode(code)).toBe(code);
    }
  });

  it.each([
    ['full-width digits', toFullWidth(VALID_CODE)],
    ['spaces', '29 0000 0012 349'],
    ['hyphens', '29-0000-0012-349'],
    ['full-width spaces and hyphens', `${toFullWidth('2900')}\u3000${toFullWidth('0000')}\uff0d${toFullWidth('12349')}`],
    ['surrounding whitespace', `  ${VALID_CODE}\n`],
    ['minus signs and long-vowel marks typed by an IME', '29\u22120000\u30fc0012\u2212349'],
  ])('accepts a code typed with %s', (_label, typed) => {
    expect(parseMemberCode(typed)).toBe(VALID_CODE);
  });

  it.each([
    ['12 digits', VALID_CODE.slice(0, 12)],
    ['14 digits', `${VALID_CODE}0`],
    ['letters', '29000000123AB'],
    ['nothing', ''],
  ])('rejects a code of the wrong shape (%s) as BAD_USER_INPUT', (_label, typed) => {
    const error = thrownBy(() => parseMemberCode(typed));
    expect(error).toBeInstanceOf(BadUserInputError);
    expect(error).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'code' } });
  });

  it('rejects a code whose check digit does not match as BAD_USER_INPUT', () => {
    const wrong = VALID_CODE.slice(0, 12) + String((Number(VALID_CODE[12]) + 1) % 10);
    const error = thrownBy(() => parseMemberCode(wrong));
    expect(error).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'code' } });
    expect((error as Error).message).toMatch(/check digit/);
  });

  it('catches every single-digit typo of a valid code', () => {
    const code = generateMemberCode();
    let typos = 0;
    for (let position = 0; position < 13; position += 1) {
      for (let digit = 0; digit <= 9; digit += 1) {
        if (String(digit) === code[position]) continue;
        const typo = code.slice(0, position) + String(digit) + code.slice(position + 1);
        expect(thrownBy(() => parseMemberCode(typo))).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
        typos += 1;
      }
    }
    expect(typos).toBe(13 * 9);
  });
});
