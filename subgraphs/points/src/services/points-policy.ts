import { DAY_MS, endOfJstDay } from '@omo/lib/core/time';
import type { Channel, PointsPolicy, PolicyRevisionDoc } from '../models/points-policy.model';
import { pick } from './rule-revisions';

/**
 * Online orders come back by post after they are delivered: without a stated return policy, Japan's Act on
 * Specified Commercial Transactions lets a mail-order buyer return goods within 8 days of receiving them, and
 * delivery and the return's own shipping come on top. Points that wait this long are rarely spent and then taken back.
 */
const DEFAULT_ONLINE_PENDING_DAYS = 14;

export const POLICY_FIELDS = [
  'rounding',
  'pendingDays',
  'onlinePendingDays',
  'expiryMode',
  'lotValidityDays',
  'inactivityDays',
  'signupBonusPoints',
  'birthdayBonusPoints',
  'tierWindowDays',
  'excludedCategories',
  'channelRates',
  'tiers',
] as const satisfies readonly (keyof PointsPolicy)[];

/**
 * What a register sends for a gift card and for shipping (docs/item-rules.md): selling a gift card is taking money
 * in advance, and the goods it later pays for earn their points then; shipping is not goods.
 */
export const DEFAULT_EXCLUDED_CATEGORIES = ['gift-card', 'shipping'];

/** The rules in force until staff change them. */
export function defaultPolicy(): PointsPolicy {
  return {
    rounding: 'FLOOR',
    pendingDays: 0,
    onlinePendingDays: DEFAULT_ONLINE_PENDING_DAYS,
    expiryMode: 'PER_LOT',
    lotValidityDays: 365,
    inactivityDays: 365,
    signupBonusPoints: 100,
    // opt-in: a retailer decides to give points for birthdays, and how many
    birthdayBonusPoints: 0,
    tierWindowDays: 365,
    excludedCategories: [...DEFAULT_EXCLUDED_CATEGORIES],
    channelRates: [
      { channel: 'STORE', ratePoints: 1, ratePerYen: 100 },
      { channel: 'ONLINE', ratePoints: 1, ratePerYen: 100 },
    ],
    tiers: [
      { tier: 'REGULAR', minSpend: 0, multiplierPercent: 100 },
      { tier: 'SILVER', minSpend: 50_000, multiplierPercent: 110 },
      { tier: 'GOLD', minSpend: 150_000, multiplierPercent: 125 },
      { tier: 'PLATINUM', minSpend: 400_000, multiplierPercent: 150 },
    ],
  };
}

/** The policy a stored revision stands for. */
export function policyOf(doc: PolicyRevisionDoc): PointsPolicy {
  return {
    ...pick(doc, POLICY_FIELDS),
    // before ONLINE had its own window, pendingDays applied to every purchase
    onlinePendingDays: doc.onlinePendingDays ?? doc.pendingDays,
    birthdayBonusPoints: doc.birthdayBonusPoints ?? 0,
    excludedCategories: doc.excludedCategories ? [...doc.excludedCategories] : [...DEFAULT_EXCLUDED_CATEGORIES],
    channelRates: doc.channelRates.map((rate) => pick(rate, ['channel', 'ratePoints', 'ratePerYen'])),
    tiers: doc.tiers.map((rule) => pick(rule, ['tier', 'minSpend', 'multiplierPercent'])),
  };
}

/** The days a purchase's points stay pending, by its channel. */
export function pendingDaysOf(policy: PointsPolicy, channel: Channel): number {
  return channel === 'ONLINE' ? policy.onlinePendingDays : policy.pendingDays;
}

/** When a lot created at `at` expires under the policy in force: N days later, at the end of that JST day. */
export function lotExpiry(policy: PointsPolicy, at: Date, lastPurchaseAt: Date | null): Date {
  if (policy.expiryMode === 'AFTER_LAST_PURCHASE') {
    const base = lastPurchaseAt && lastPurchaseAt.getTime() > at.getTime() ? lastPurchaseAt : at;
    return endOfJstDay(new Date(base.getTime() + policy.inactivityDays * DAY_MS));
  }
  return endOfJstDay(new Date(at.getTime() + policy.lotValidityDays * DAY_MS));
}
