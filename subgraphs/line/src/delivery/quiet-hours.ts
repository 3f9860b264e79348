import { DAY_MS, JST_OFFSET_MS } from '@omo/lib/core/time';

/** Quiet hours as minutes after midnight JST; start after end wraps past midnight (21:00-09:00). */
export interface QuietHours {
  start: number;
  end: number;
}

/** "HH:MM-HH:MM" (LINE_QUIET_HOURS) to quiet hours; empty, or the same start and end, means none. */
export function parseQuietHours(spec: string): QuietHours | null {
  const match = /^(\d{2}):(\d{2})-(\d{2}):(\d{2})$/.exec(spec.trim());
  if (!match) {
    if (spec.trim() === '') return null;
    throw new Error(`Quiet hours must be HH:MM-HH:MM, not ${spec}`);
  }
  const [, sh, sm, eh, em] = match.map(Number) as [number, number, number, number, number];
  const start = sh * 60 + sm;
  const end = eh * 60 + em;
  return start === end ? null : { start, end };
}

/** When the quiet hours `at` falls in end, or null when `at` is not in quiet hours. */
export function quietHoursEnd(quiet: QuietHours | null, at: Date): Date | null {
  if (!quiet) return null;
  const local = at.getTime() + JST_OFFSET_MS;
  const dayStart = Math.floor(local / DAY_MS) * DAY_MS;
  const minute = Math.floor((local - dayStart) / 60_000);
  const inside = quiet.start < quiet.end ? minute >= quiet.start && minute < quiet.end : minute >= quiet.start || minute < quiet.end;
  if (!inside) return null;
  let end = dayStart + quiet.end * 60_000;
  if (end <= local) end += DAY_MS;
  return new Date(end - JST_OFFSET_MS);
}
