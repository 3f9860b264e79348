/** Japan Standard Time's offset from UTC. JST has no daylight saving: a fixed offset, no time-zone database needed. */
export const JST_OFFSET_MS = 9 * 3_600_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
