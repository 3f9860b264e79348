import { JST_OFFSET_MS } from '@omo/lib/core/time';

const WEEKDAYS = ['日', '月', '火', '水', '木', '金', '土'] as const;
const GROUPED = new Intl.NumberFormat('ja-JP', { maximumFractionDigits: 0 });

/** The calendar fields of an instant as a clock in Japan shows it. */
function jstParts(at: Date) {
  const jst = new Date(at.getTime() + JST_OFFSET_MS);
  return {
    year: jst.getUTCFullYear(),
    month: jst.getUTCMonth() + 1,
    day: jst.getUTCDate(),
    weekday: WEEKDAYS[jst.getUTCDay()] ?? '',
    hours: jst.getUTCHours(),
    minutes: jst.getUTCMinutes(),
  };
}

/** "2027年5月10日(月)": how a Japanese reader expects a deadline. */
export function formatJstDate(at: Date): string {
  const { year, month, day, weekday } = jstParts(at);
  return `${year}年${month}月${day}日(${weekday})`;
}

/** "2026/5/10": compact, for rows of a list. */
export function formatJstShortDate(at: Date): string {
  const { year, month, day } = jstParts(at);
  return `${year}/${month}/${day}`;
}

/** "9:05": 24-hour clock in Japan. */
export function formatJstTime(at: Date): string {
  const { hours, minutes } = jstParts(at);
  return `${hours}:${String(minutes).padStart(2, '0')}`;
}

/** "1,234"; negative balances (points owed after a refund) keep their sign. */
export function formatNumber(value: number): string {
  return GROUPED.format(value);
}

/** "1,234 pt". */
export function formatPoints(points: number): string {
  return `${formatNumber(points)} pt`;
}

/** "+600 pt" / "-50 pt": a ledger movement always shows its direction. */
export function formatPointsChange(points: number): string {
  return `${points > 0 ? '+' : ''}${formatPoints(points)}`;
}

/** "90,000円". */
export function formatYen(yen: number): string {
  return `${formatNumber(yen)}円`;
}

/** "2912 3456 7890 3": groups of four, easy to read out or type at a register when a scan fails. */
export function formatMemberCode(code: string): string {
  return code.replace(/(.{4})(?=.)/g, '$1 ');
}

const TIER_NAMES: Readonly<Record<string, string>> = {
  REGULAR: 'レギュラー',
  SILVER: 'シルバー',
  GOLD: 'ゴールド',
  PLATINUM: 'プラチナ',
};

/** A tier the chat does not know yet (added by the points service later) is shown by its code rather than failing. */
export function tierName(tier: string): string {
  return TIER_NAMES[tier] ?? tier;
}

const ENTRY_TYPE_NAMES: Readonly<Record<string, string>> = {
  EARN: '獲得',
  REDEEM: '利用',
  ADJUST: '調整',
  EXPIRE: '失効',
  REVERSAL: '取消',
  BONUS: 'ボーナス',
  MERGE_OUT: '会員統合',
  MERGE_IN: '会員統合',
};

export function entryTypeName(type: string): string {
  return ENTRY_TYPE_NAMES[type] ?? type;
}

/**
 * Cuts a string to at most `max` UTF-16 units (how LINE counts characters) without splitting an emoji, marking
 * the cut with "…".
 */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let kept = '';
  for (const char of text) {
    if (kept.length + char.length > max - 1) break;
    kept += char;
  }
  return `${kept}…`;
}
