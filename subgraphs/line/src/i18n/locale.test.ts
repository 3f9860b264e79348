import { localeOf, say } from './locale';

describe('localeOf', () => {
  it.each([
    ['ja', 'ja'],
    ['ja-JP', 'ja'],
    ['JA_jp', 'ja'],
    [' ja ', 'ja'],
    ['en', 'en'],
    ['en-US', 'en'],
    ['en_GB', 'en'],
    ['zh-Hant-TW', 'en'],
    ['th', 'en'],
    ['ko', 'en'],
  ] as const)('reads %p as %p', (language, locale) => {
    expect(localeOf(language)).toBe(locale);
  });

  it.each([null, undefined, '', '   ', '-'])('answers Japanese when the language is not known (%p)', (language) => {
    expect(localeOf(language)).toBe('ja');
  });
});

describe('say', () => {
  it('picks the text of the locale', () => {
    const text = { ja: 'ポイント', en: 'Points' };
    expect(say(text, 'ja')).toBe('ポイント');
    expect(say(text, 'en')).toBe('Points');
  });
});
