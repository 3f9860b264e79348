import type { Text } from './locale';

/** The calendar fields of a day as a clock in Japan shows it: month 1-12, weekday 0 (Sunday) to 6. */
export interface DayParts {
  year: number;
  month: number;
  day: number;
  weekday: number;
}

const WEEKDAYS_JA = ['日', '月', '火', '水', '木', '金', '土'] as const;
const WEEKDAYS_EN = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'] as const;
const MONTHS_EN = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'] as const;

/** How numbers, money and days read to a customer; the digits come formatted (grouped) already. */
export const FORMAT = {
  /** "2027年5月10日(月)" / "Mon, May 10, 2027": how a reader expects a deadline. */
  longDate: ({ year, month, day, weekday }: DayParts): Text => ({
    ja: `${year}年${month}月${day}日(${WEEKDAYS_JA[weekday] ?? ''})`,
    en: `${WEEKDAYS_EN[weekday] ?? ''}, ${MONTHS_EN[month - 1] ?? ''} ${day}, ${year}`,
  }),
  /** "1,000円" / "¥1,000". */
  yen: (grouped: string): Text => ({ ja: `${grouped}円`, en: grouped.startsWith('-') ? `-¥${grouped.slice(1)}` : `¥${grouped}` }),
} satisfies Record<string, (...args: never[]) => Text>;

/** A point movement's kind in a history row. */
export const ENTRY_TYPE_NAMES = {
  EARN: { ja: '獲得', en: 'Earned' },
  REDEEM: { ja: '利用', en: 'Used' },
  ADJUST: { ja: '調整', en: 'Adjusted' },
  EXPIRE: { ja: '失効', en: 'Expired' },
  REVERSAL: { ja: '取消', en: 'Reversed' },
  BONUS: { ja: 'ボーナス', en: 'Bonus' },
  MERGE_OUT: { ja: '会員統合', en: 'Merged' },
  MERGE_IN: { ja: '会員統合', en: 'Merged' },
  IMPORT: { ja: '移行', en: 'Carried over' },
} satisfies Record<string, Text>;
