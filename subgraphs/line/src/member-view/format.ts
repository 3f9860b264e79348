import type { AccountSummary } from '@omo/lib/contracts/points';
import { JST_OFFSET_MS } from '@omo/lib/core/time';
import { ENTRY_TYPE_NAMES, FORMAT } from '../i18n/format.messages';
import { say, type Locale } from '../i18n/locale';

const GROUPED = new Intl.NumberFormat('ja-JP', { maximumFractionDigits: 0 });

/** The calendar fields of an instant as a clock in Japan shows it. */
function jstParts(at: Date) {
  const jst = new Date(at.getTime() + JST_OFFSET_MS);
  return {
    year: jst.getUTCFullYear(),
    month: jst.getUTCMonth() + 1,
    day: jst.getUTCDate(),
    weekday: jst.getUTCDay(),
    hours: jst.getUTCHours(),
    minutes: jst.getUTCMinutes(),
  };
}

/** "2027年5月10日(月)" / "Mon, May 10, 2027": a deadline, on the calendar in Japan. */
export function formatJstDate(at: Date, locale: Locale): string {
  return say(FORMAT.longDate(jstParts(at)), locale);
}

/** "2026/5/10": compact, for rows of a list; year first reads the same in either language. */
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

/** How far the member is towards the next tier, 0-100; 100 at the top tier. */
export function tierProgressPercent(account: Pick<AccountSummary, 'qualifyingSpend' | 'nextTier' | 'spendToNextTier'>): number {
  const target = account.qualifyingSpend + account.spendToNextTier;
  return account.nextTier === null || target <= 0 ? 100 : Math.min(100, Math.floor((account.qualifyingSpend * 100) / target));
}

/** "1,234 pt". */
export function formatPoints(points: number): string {
  return `${formatNumber(points)} pt`;
}

/** "+600 pt" / "-50 pt": a ledger movement always shows its direction. */
export function formatPointsChange(points: number): string {
  return `${points > 0 ? '+' : ''}${formatPoints(points)}`;
}

/** "90,000円" / "¥90,000". */
export function formatYen(yen: number, locale: Locale): string {
  return say(FORMAT.yen(formatNumber(yen)), locale);
}

/** "2912 3456 7890 3": groups of four, easy to read out or type at a register when a scan fails. */
export function formatMemberCode(code: string): string {
  return code.replace(/(.{4})(?=.)/g, '$1 ');
}

const isEntryType = (type: string): type is keyof typeof ENTRY_TYPE_NAMES => Object.hasOwn(ENTRY_TYPE_NAMES, type);

/** A movement the chat does not know yet is shown by its code rather than failing. */
export function entryTypeName(type: string, locale: Locale): string {
  return isEntryType(type) ? say(ENTRY_TYPE_NAMES[type], locale) : type;
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
