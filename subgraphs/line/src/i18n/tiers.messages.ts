import { say, type Locale, type Text } from './locale';

/** The tiers the points service ranks members in, lowest first. */
export type TierCode = 'REGULAR' | 'SILVER' | 'GOLD' | 'PLATINUM';

/** Tier names as customers read them (chat, notifications, the member page). */
export const TIER_NAMES = {
  REGULAR: { ja: 'レギュラー', en: 'Regular' },
  SILVER: { ja: 'シルバー', en: 'Silver' },
  GOLD: { ja: 'ゴールド', en: 'Gold' },
  PLATINUM: { ja: 'プラチナ', en: 'Platinum' },
} satisfies Record<TierCode, Text>;

const isTierCode = (tier: string): tier is TierCode => Object.hasOwn(TIER_NAMES, tier);

/** A tier added by the points service later, not named here yet, is shown by its code rather than failing. */
export function tierName(tier: string, locale: Locale): string {
  return isTierCode(tier) ? say(TIER_NAMES[tier], locale) : tier;
}
