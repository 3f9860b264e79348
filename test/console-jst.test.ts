import { fromJstInput, jstEndOfDayOrNow, monthRange, monthsAgo, nextMonth } from '../console/src/jst';

/** The console's Japan-time periods: what a month or a typed date-time means, whatever the browser's zone. */
describe('the console’s Japan-time dates', () => {
  it('spans each month from its first midnight in Japan to the next month’s, leap February and December included', () => {
    const days = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
    for (let month = 1; month <= 12; month++) {
      const label = `2024-${String(month).padStart(2, '0')}`;
      const { from, to } = monthRange(label, label);
      expect(from).toBe(new Date(Date.UTC(2024, month - 1, 1) - 9 * 3_600_000).toISOString());
      expect((new Date(to).getTime() - new Date(from).getTime()) / 86_400_000).toBe(days[month - 1]);
    }
    expect(monthRange('2025-11', '2026-02')).toEqual({ from: '2025-10-31T15:00:00.000Z', to: '2026-02-28T15:00:00.000Z' });
    expect(nextMonth('2026-12')).toBe('2027-01');
  });

  it('names this month as Japan has it: 1 December 00:30 in Japan is still 30 November in UTC', () => {
    const now = new Date('2026-11-30T15:30:00.000Z');
    expect(monthsAgo(0, now)).toBe('2026-12');
    expect(monthsAgo(11, now)).toBe('2026-01');
    expect(monthsAgo(-1, now)).toBe('2027-01');
  });

  it('reads a typed date-time as Japan time, and a day’s end as no later than now', () => {
    expect(fromJstInput('2026-11-05T10:30')).toBe('2026-11-05T01:30:00.000Z');
    expect(fromJstInput('')).toBeUndefined();
    const now = new Date('2026-11-05T03:00:00.000Z');
    expect(jstEndOfDayOrNow('2026-11-04', now)).toBe('2026-11-04T15:00:00.000Z');
    expect(jstEndOfDayOrNow('2026-11-05', now)).toBe(now.toISOString());
  });
});
