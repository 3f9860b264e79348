/**
 * Dates as staff in Japan mean them: a day or a month is Japan time (UTC+9, no daylight saving), and what they type
 * in a date-time field is Japan time whatever the browser's own zone.
 */
const JST = '+09:00';

/** The instant a "2026-11" month or a "2026-11-05" day starts in Japan. */
export function jstStart(label: string): string {
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

/** A datetime-local field's "2026-11-05T10:30" read as Japan time; undefined when empty. */
export function fromJstInput(value: string): string | undefined {
  return value ? new Date(`${value}:00${JST}`).toISOString() : undefined;
}
