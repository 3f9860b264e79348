/** Japan Standard Time's offset from UTC. JST has no daylight saving: a fixed offset, no time-zone database needed. */
export const JST_OFFSET_MS = 9 * 3_600_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

/** The JST calendar year and month (1-12) of an instant: birthdays and months are dates in Japan, whatever the server's zone. */
export function jstMonthOf(at: Date): { year: number; month: number } {
  const jst = new Date(at.getTime() + JST_OFFSET_MS);
  return { year: jst.getUTCFullYear(), month: jst.getUTCMonth() + 1 };
}

/** The JST month of an instant as a report labels it: "2026-11". */
export function jstMonthLabel(at: Date): string {
  const { year, month } = jstMonthOf(at);
  return `${year}-${String(month).padStart(2, '0')}`;
}

/** The last millisecond of the JST calendar day containing `at`: what "until the end of the day" means in Japan. */
export function endOfJstDay(at: Date): Date {
  const jstDay = Math.floor((at.getTime() + JST_OFFSET_MS) / DAY_MS);
  return new Date((jstDay + 1) * DAY_MS - JST_OFFSET_MS - 1);
}

/** Seconds from `since` to `now`, 0 when there is nothing (`since` absent) or it is still ahead: how late the first due item is. */
export function secondsLate(since: Date | undefined | null, now: Date): number {
  return since ? Math.max(0, (now.getTime() - since.getTime()) / 1000) : 0;
}

/** A period [from, to) of a report. */
export interface Period {
  from: Date;
  to: Date;
}

/**
 * A campaign's window so far, [startsAt, min(endsAt, now)) (empty before it starts), and the period of the same
 * length immediately before it: what both campaign reports (points and purchases) compare.
 */
export function campaignPeriods(startsAt: Date, endsAt: Date, now: Date): { during: Period; before: Period } {
  const end = Math.max(startsAt.getTime(), Math.min(endsAt.getTime(), now.getTime()));
  const length = end - startsAt.getTime();
  return { during: { from: startsAt, to: new Date(end) }, before: { from: new Date(startsAt.getTime() - length), to: startsAt } };
}

/** during / before, null when there was nothing before: a report's change ratio. */
export function changeRatio(during: number, before: number): number | null {
  return before === 0 ? null : during / before;
}
