/** The languages customers are answered in. */
export type Locale = 'ja' | 'en';
export const LOCALES: readonly Locale[] = ['ja', 'en'];

/** One customer-facing text in every locale: the catalogue's unit (subgraphs/line/src/i18n/README.md). */
export interface Text {
  ja: string;
  en: string;
}

/**
 * The locale for a language tag as LINE gives it (the profile's `language`, LIFF's getLanguage(), a page's
 * `lang`): Japanese for "ja", English for any other language named, Japanese when none is known. A customer whose
 * LINE is set to another language (zh-TW, th, ko...) more likely reads English than Japanese.
 */
export function localeOf(language: string | null | undefined): Locale {
  const primary = language?.trim().toLowerCase().split(/[-_]/)[0];
  if (!primary) return 'ja';
  return primary === 'ja' ? 'ja' : 'en';
}

/** A catalogue text in a locale. */
export function say(text: Text, locale: Locale): string {
  return text[locale];
}
