import { createContext, useContext, useState, type ReactNode } from 'react';

/**
 * Japanese and English: each label is written in both next to where it is shown, so no screen can miss one. The
 * choice is kept in the browser; the default follows the browser's language.
 */
export type Language = 'ja' | 'en';
const KEY = 'omo-console-language';

interface I18n {
  language: Language;
  setLanguage: (language: Language) => void;
  /** The label in the chosen language: t(english, japanese). */
  t: (en: string, ja: string) => string;
  /** Numbers, dates and times as staff in Japan read them (Asia/Tokyo). */
  number: (value: number) => string;
  dateTime: (iso: string) => string;
}

const Context = createContext<I18n | undefined>(undefined);

function initial(): Language {
  const stored = localStorage.getItem(KEY);
  if (stored === 'ja' || stored === 'en') return stored;
  return navigator.language.toLowerCase().startsWith('ja') ? 'ja' : 'en';
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, set] = useState<Language>(initial);
  const locale = language === 'ja' ? 'ja-JP' : 'en-GB';
  const value: I18n = {
    language,
    setLanguage: (next) => {
      localStorage.setItem(KEY, next);
      document.documentElement.lang = next;
      set(next);
    },
    t: (en, ja) => (language === 'ja' ? ja : en),
    number: (n) => n.toLocaleString(locale),
    dateTime: (iso) => new Date(iso).toLocaleString(locale, { timeZone: 'Asia/Tokyo', dateStyle: 'medium', timeStyle: 'short' }),
  };
  return <Context.Provider value={value}>{children}</Context.Provider>;
}

export function useI18n(): I18n {
  const value = useContext(Context);
  if (!value) throw new Error('useI18n outside I18nProvider');
  return value;
}
