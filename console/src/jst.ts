/**
 * Dates as staff in Japan mean them: a day or a month is Japan time (UTC+9, no daylight saving), and what they type
 * in a date-time field is Japan time whatever the browser's own zone.
 */
const JST = '+09:00';

const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const LOCAL_TIME = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2})(:\d{2})?$/;

/** Whether a field holds a "2026-11" month (a browser without a month picker lets anything be typed). */
export function isMonth(label: string): boolean {
  return MONTH.test(label);
}

/** Whether a field holds a "2026-11-05" day. */
export function isDay(label: string): boolean {
  return DAY.test(label);
}

/** The instant a "2026-11" month or a "2026-11-05" day starts in Japan. */
export function jstStart(label: string): string {
  if (!MONTH.test(label) && !DAY.test(label)) throw new RangeError(`not a month or a day: ${label}`);
  return new Date(`${label.length === 7 ? `${label}-01` : label}T00:00:00${JST}`).toISOString();
}

/** The month after a "2026-11" label: "2026-12"; after "2026-12": "2027-01". */
export function nextMonth(label: string): string {
  const [year = 0, month = 1] = label.split('-').map(Number);
  return month === 12 ? `${year + 1}-01` : `${year}-${String(month + 1).padStart(2, '0')}`;
}

/** The "2026-11" label of the month `months` before this one in Japan (negative: after). */
export function monthsAgo(months: number, now: Date = new Date()): string {
  const jst = new Date(now.getTime() + 9 * 3_600_000);
  return new Date(Date.UTC(jst.getUTCFullYear(), jst.getUTCMonth() - months, 1)).toISOString().slice(0, 7);
}

/** The period from the start of month `from` to the end of month `to` (both "2026-11" labels), in Japan. */
export function monthRange(from: string, to: string): { from: string; to: string } {
  return { from: jstStart(from), to: jstStart(nextMonth(to)) };
}

/** The end of a "2026-11-05" day in Japan, or now if that is sooner (a report cannot be asked about the future). */
export function jstEndOfDayOrNow(day: string, now: Date = new Date()): string {
  const end = new Date(jstStart(day)).getTime() + 86_400_000;
  return new Date(Math.min(end, now.getTime())).toISOString();
}

/** A datetime-local field's "2026-11-05T10:30" (or with seconds) read as Japan time; undefined when empty or not one. */
export function fromJstInput(value: string): string | undefined {
  const match = LOCAL_TIME.exec(value);
  if (!match) return undefined;
  const date = new Date(`${match[1]}${match[2] ?? ':00'}${JST}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
