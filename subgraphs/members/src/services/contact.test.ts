import { BadUserInputError } from '@omo/lib/core/errors';
import { thrownBy } from '@omo/tools/testing/errors';
import { normalizeEmail, normalizePhone } from './contact';

describe('phone normalisation', () => {
  it.each([
    ['a domestic number with hyphens', '090-1234-5678'],
    ['an international number with spaces', '+81 90 1234 5678'],
    ['full-width digits and hyphens', '０９０－１２３４－５６７８'],
    ['full-width digits only', '０９０１２３４５６７８'],
    ['bare digits', '09012345678'],
  ])('writes %s as E.164', (_label, input) => {
    expect(normalizePhone(input)).toBe('+819012345678');
  });

  it('accepts a Japanese landline', () => {
    expect(normalizePhone('03-1234-5678')).toBe('+81312345678');
    expect(normalizePhone('(03) 1234 5678')).toBe('+81312345678');
  });

  it('keeps a foreign number given with its country code', () => {
    expect(normalizePhone('+1 202 555 0143')).toBe('+12025550143');
  });

  it.each([['0120 toll-free', '0120-123-456', '+81120123456'], ['050 IP phone', '050-1234-5678', '+815012345678']])(
    'accepts a Japanese %s number',
    (_label, input, expected) => {
      expect(normalizePhone(input)).toBe(expected);
    },
  );

  it.each([
    ['too short', '123'],
    ['letters', 'not a phone'],
    ['empty', ''],
    ['only a country code', '+81'],
    ['a Japanese number with extra digits', '090-1234-5678-9999'],
    ['a Japanese number with a digit missing', '090-1234-567'],
  ])(
    'rejects an invalid phone number (%s) as BAD_USER_INPUT',
    (_label, input) => {
      const error = thrownBy(() => normalizePhone(input));
      expect(error).toBeInstanceOf(BadUserInputError);
      expect(error).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'phone' } });
    },
  );
});

describe('e-mail normalisation', () => {
  it('lower-cases and trims an address', () => {
    expect(normalizeEmail('  Hanako.Yamada@Example.COM ')).toBe('hanako.yamada@example.com');
  });

  it('folds full-width characters', () => {
    expect(normalizeEmail('ｈａｎａｋｏ＠ｅｘａｍｐｌｅ．ｃｏｍ')).toBe('hanako@example.com');
  });

  it.each([['no at sign', 'hanako.example.com'], ['no domain', 'hanako@'], ['no top-level domain', 'a@b'], ['too long', `${'a'.repeat(250)}@example.com`]])(
    'rejects an invalid address (%s) as BAD_USER_INPUT',
    (_label, input) => {
      const error = thrownBy(() => normalizeEmail(input));
      expect(error).toBeInstanceOf(BadUserInputError);
      expect(error).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', field: 'email' } });
    },
  );
});
