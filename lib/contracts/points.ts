import { z } from 'zod';
import { MAX_YEN } from '@omo/lib/core/limits';
import { objectIdSchema } from '@omo/lib/core/validation';
import { contract, instant, route } from '@omo/lib/contracts/contract';
import { pointsConditionSchema, segmentFilterRoute } from '@omo/lib/contracts/segment-filter';

const memberId = objectIdSchema();
const key = z.string().min(1).max(200);
const actor = z.string().min(1).max(200);
const yen = z.number().int().min(0).max(MAX_YEN);
const points = z.number().int();
const tier = z.enum(['REGULAR', 'SILVER', 'GOLD', 'PLATINUM']);
const ledgerEntryType = z.enum(['EARN', 'REDEEM', 'ADJUST', 'EXPIRE', 'REVERSAL', 'BONUS', 'MERGE_OUT', 'MERGE_IN', 'IMPORT']);

/** Coupons one purchase may present. */
export const MAX_COUPONS_PER_PURCHASE = 5;
/** A coupon's code as a register scans it or a customer types it (case and surrounding spaces do not matter). */
export const couponCodeSchema = z.string().trim().min(1).max(40).transform((code) => code.toUpperCase());

/**
 * How a settlement treats its coupons. STRICT (a register's sale): each coupon is consumed by this purchase or the
 * settlement is refused with the coupon's code and writes nothing. RECORD (an online order: Shopify has applied the
 * discount already, so it cannot be refused): consumed if it still can be; one that cannot is reported, not refused.
 */
export const couponPolicySchema = z.enum(['STRICT', 'RECORD']);

/**
 * How categories compare, in item rules and the policy's exclusions (points) and in segments (purchases, line): NFKC,
 * trimmed and lower-cased, so "Gift-Card", "gift-card " and a full-width "ｇｉｆｔ－ｃａｒｄ" from a register are one.
 */
export function normaliseCategory(value: string): string {
  return value.normalize('NFKC').trim().toLowerCase();
}

/**
 * A line of a settled purchase, for item rules (docs/item-rules.md): its category as the register sent it (null or
 * absent: none, so only sku rules can match it).
 */
export const settleLineSchema = z.object({
  sku: z.string().min(1).max(200),
  // lenient: a register's odd line must never refuse a sale's points (a longer category matches no rule anyway)
  category: z.string().max(1000).nullish(),
  unitPrice: yen,
  quantity: z.number().int().min(1).max(MAX_YEN),
});
export const MAX_SETTLE_LINES = 1000;

export const settleSchema = z.object({
  purchaseId: key,
  memberId,
  storeId: key,
  channel: z.enum(['STORE', 'ONLINE']),
  /** The yen amount that earns points (paid, after discounts and redeemed points). */
  amount: yen,
  pointsToRedeem: z.number().int().min(0).max(MAX_YEN),
  occurredAt: z.coerce.date(),
  actor,
  /** The coupons the purchase uses (quoted by couponQuote when it was recorded), each with the discount it gave. */
  coupons: z.array(z.object({ couponId: objectIdSchema(), discount: yen })).max(MAX_COUPONS_PER_PURCHASE).default([]),
  couponPolicy: couponPolicySchema.default('STRICT'),
  /**
   * When the member's usable points are fewer than pointsToRedeem. REFUSE (default): INSUFFICIENT_POINTS, nothing
   * written. ALLOW (issue 17, a Smaregi register that spent points its stale copy showed: the sale has happened):
   * the usable points are spent, then points still pending (as a refund's take-back does, so they cannot expire
   * while the member is in debt), and the rest becomes points owed (a negative balance, which blocks redemption
   * until paid off by later earnings); the result's `overdrawn` says how many are owed.
   */
  overdraft: z.enum(['REFUSE', 'ALLOW']).default('REFUSE'),
  /**
   * The purchase's lines, which `amount` is pro-rated over to earn by item rules and leave excluded lines out of
   * the tier spend. Absent (an older caller): the amount earns as one, as before item rules.
   */
  lines: z.array(settleLineSchema).max(MAX_SETTLE_LINES).optional(),
});

/**
 * What coupons take off a sale, checked against the member, the store, the channel and the time, read-only: the
 * coupons are consumed by the purchase's settlement. Refusals: NOT_FOUND (no such code), COUPON_ALREADY_USED,
 * COUPON_ENDED (expired or cancelled), COUPON_NOT_APPLICABLE (another member's, not valid at this store or channel,
 * its item not in the sale, or the same coupon twice); `couponCode` in the error's extensions names the coupon.
 */
export const couponQuoteSchema = z.object({
  codes: z.array(couponCodeSchema).min(1).max(MAX_COUPONS_PER_PURCHASE),
  /** The member the sale is for; null: the coupons' member (all of them must be the same member's). */
  memberId: memberId.nullable(),
  storeId: key,
  channel: z.enum(['STORE', 'ONLINE']),
  lines: z.array(z.object({ sku: z.string().min(1).max(64), unitPrice: yen, quantity: z.number().int().min(1) })).min(1).max(200),
  /** The sale's total before coupons (after the register's own discount): no coupon takes more than what is left. */
  amount: yen,
  /** When the sale happened: a coupon is valid for a sale made before its expiresAt. */
  occurredAt: z.coerce.date(),
  /**
   * STRICT (a register's sale): any coupon that cannot be used refuses the quote. RECORD (an order already paid with
   * the codes, e.g. online): only NOT_FOUND refuses; a coupon that is used, ended or another member's is answered
   * with its `refusal`, so the settlement's RECORD consumption can deal with it (take back points it gave back).
   */
  policy: couponPolicySchema.default('STRICT'),
});

const couponQuoteResponse = z.object({
  memberId: z.string(),
  /** In the order the codes were given; each discount is taken from what the ones before it left. */
  coupons: z.array(
    z.object({
      couponId: z.string(),
      code: z.string(),
      discount: yen,
      rewardId: z.string().nullable(),
      /** RECORD only: why a STRICT quote would have refused this coupon (null: usable). */
      refusal: z.enum(['COUPON_ALREADY_USED', 'COUPON_ENDED', 'COUPON_NOT_APPLICABLE']).nullable().default(null),
    }),
  ),
});
export type CouponQuote = z.output<typeof couponQuoteResponse>;

export const reverseSchema = z.object({
  refundId: key,
  purchaseId: key,
  memberId,
  /** Yen refunded so far on this purchase, this refund included; equal to purchaseAmount for a full refund. */
  refundedAmountTotal: yen,
  /** The refund's own yen amount (lowers qualifying spend). */
  refundAmount: yen,
  purchaseAmount: yen,
  /** When the refunded purchase was made: the refund lowers the spend of that day, leaving the tier window with it. */
  purchaseOccurredAt: z.coerce.date(),
  actor,
  /**
   * The sale never happened (an attempt that settled lost to a refusal): its coupons are released whatever their
   * reward says. A full refund releases only those whose reward restores them; a partial one none.
   */
  voidsPurchase: z.boolean().default(false),
  /**
   * Every unit and every yen of the purchase has been refunded now (purchases decides, from its lines and amounts).
   * Absent (an older caller): refundedAmountTotal equal to purchaseAmount, as before. A refund of a purchase whose
   * coupons brought its total to 0 is full only when this says so.
   */
  fullyRefunded: z.boolean().optional(),
  /**
   * A refund of lines (purchases' refund.lines): the units it returns. With refundedQuantities, points and tier spend
   * are taken back by the lines returned (docs/item-rules.md step 6). Absent (a refund of yen, an older caller): by
   * the yen, as before.
   */
  lines: z.array(z.object({ sku: z.string().min(1).max(200), quantity: z.number().int().min(1).max(MAX_YEN) })).max(MAX_SETTLE_LINES).optional(),
  /** With lines: the units of each sku refunded so far on the purchase, this refund's included. */
  refundedQuantities: z.record(z.string().min(1).max(200), z.number().int().min(0).max(MAX_YEN)).optional(),
});

export const mergeSchema = z.object({ mergeId: key, fromMemberId: memberId, toMemberId: memberId, actor });

export const redemptionSchema = z.object({ purchaseId: key });

export const signupBonusSchema = z.object({ memberId, actor });

export const accountSummarySchema = z.object({ memberId });

/** Members in one importBalances call: the member import's batch (500 rows at most). */
export const MAX_IMPORT_BALANCE_ITEMS = 500;
/** Lots one imported member may bring: one per expiry date. */
export const MAX_IMPORT_LOTS = 50;

/**
 * members (outbox, the member import): each imported member's old balance and tier. `key` is the import's key of
 * the member (`import:<legacy code>`), the ledger entry's and the tier spend's idempotency key.
 */
export const importBalancesSchema = z.object({
  items: z
    .array(
      z.object({
        memberId,
        key,
        /** One lot per expiry date; each expires at its `expiresAt` (the end of that day in Japan). */
        lots: z.array(z.object({ points: z.number().int().min(1).max(MAX_YEN), expiresAt: z.coerce.date() })).max(MAX_IMPORT_LOTS),
        /** The old card's tier, held for one tier window from the import; null: none (REGULAR). */
        tier: tier.nullable(),
      }),
    )
    .min(1)
    .max(MAX_IMPORT_BALANCE_ITEMS),
  actor,
});

const importBalancesResponse = z.object({
  results: z.array(
    z.object({
      /** The member who holds the points: the item's, or the survivor of a merge made before the import reached it. */
      memberId: z.string(),
      key: z.string(),
      /** The points the IMPORT entry added (the first call's, on a replay); 0 when no lot was still live. */
      points,
      /** Lots already expired when the entry was written: not imported. */
      expiredLots: z.number().int().min(0),
    }),
  ),
});

export const memberRewardsSchema = z.object({ memberId });

/** line (chat postback): the customer's own redemption, the one redeemReward makes; the key makes a retry the same. */
export const redeemForMemberSchema = z.object({ memberId, rewardId: objectIdSchema(), idempotencyKey: key });

const benefit = z.object({
  kind: z.enum(['YEN_OFF', 'PERCENT_OFF', 'FREE_ITEM']),
  yenOff: yen.nullable(),
  percentOff: z.number().int().nullable(),
  capYen: yen.nullable(),
  sku: z.string().nullable(),
});
/** What a reward's coupon gives, for the chat to say. */
export type RewardBenefit = z.output<typeof benefit>;

const memberRewardsResponse = z.object({
  /** What the member may redeem now (active, in its window, their tier), oldest reward first; stock and limits checked on redeeming. */
  rewards: z.array(z.object({ rewardId: z.string(), nameJa: z.string(), nameEn: z.string(), pointsCost: points, benefit })),
  /** Their ISSUED coupons, newest first. */
  coupons: z.array(z.object({ couponId: z.string(), code: z.string(), nameJa: z.string(), nameEn: z.string(), expiresAt: instant })),
});
export type MemberRewards = z.output<typeof memberRewardsResponse>;

const redeemedCoupon = z.object({
  couponId: z.string(),
  code: z.string(),
  nameJa: z.string(),
  nameEn: z.string(),
  pointsCost: points,
  expiresAt: instant,
  /** The member's usable balance once the coupon is paid for. */
  balance: points,
});
export type RedeemedCoupon = z.output<typeof redeemedCoupon>;

/** What a purchase or a refund came to in points (net of its reversals). */
const settlementResult = z.object({ pointsEarned: points, pointsRedeemed: points });

/**
 * A settlement's result and, for a RECORD settlement, the coupons it could not consume: USED by another purchase,
 * or CANCELLED / EXPIRED first (their returned points then taken back by an ADJUST of this purchase).
 */
const settleResult = settlementResult.extend({
  /** overdraft ALLOW: the points redeemed beyond what the member had (usable and pending), now owed (0 otherwise). */
  overdrawn: points.min(0).default(0),
  unconsumedCoupons: z.array(z.object({ couponId: z.string(), code: z.string(), state: z.enum(['USED', 'CANCELLED', 'EXPIRED']) })).default([]),
});

const accountSummaryResponse = z.object({
  /** Usable now, minus points owed; may be negative after a refund of spent points. */
  balance: points,
  /** Earned but still in the return window. */
  pendingBalance: points,
  tier,
  /** Yen in the tier window. */
  qualifyingSpend: z.number().int(),
  nextTier: tier.nullable(),
  spendToNextTier: z.number().int(),
  /** Soonest first. */
  expiring: z.array(z.object({ points, expiresAt: instant })),
  /** Newest first. */
  history: z.array(
    z.object({
      type: ledgerEntryType,
      amount: points,
      createdAt: instant,
      /** Where it happened (a purchase's channel and store); null for entries of no sale (bonus, adjustment, expiry). Optional for older points services. */
      channel: z.enum(['STORE', 'ONLINE']).nullable().optional(),
      storeId: z.string().nullable().optional(),
      /** BONUS: what for, "signup" or "birthday"; null for any other entry (a reason staff wrote is never shown). */
      reason: z.string().nullable().optional(),
    }),
  ),
});

/** A member's points at a glance, for the LINE chat. */
export type AccountSummary = z.output<typeof accountSummaryResponse>;

/**
 * The points service's internal routes. Every write is idempotent by its key (purchase, refund, merge or member
 * id), so a caller that retries after a timeout or a crash completes what is missing and repeats nothing.
 */
export const pointsContract = contract('points', {
  /** purchases (outbox): a purchase's redeem, then its earn; INSUFFICIENT_POINTS writes nothing. */
  settle: route('/internal/settlements', settleSchema, settleResult),
  /** purchases: whether a purchase's redemption is in the ledger (after INSUFFICIENT_POINTS, before REJECTED). */
  redemption: route('/internal/settlements/redemption', redemptionSchema, z.object({ redeemed: z.boolean() })),
  /** purchases (outbox): a refund's take-back of earned points and give-back of redeemed ones. */
  reverse: route('/internal/reversals', reverseSchema, settlementResult),
  /** purchases (recordPurchase, Shopify orders): what the presented coupons take off the sale; consumes nothing. */
  couponQuote: route('/internal/coupons/quote', couponQuoteSchema, couponQuoteResponse),
  /** members (outbox): a merged member's points move to the survivor. */
  merge: route('/internal/merges', mergeSchema, z.object({ moved: points })),
  /** members (outbox): the sign-up bonus, once per member. */
  signupBonus: route('/internal/signup-bonuses', signupBonusSchema, z.object({ points })),
  /** members (outbox, the member import): imported balances and tiers, once per member key. */
  importBalances: route('/internal/imports/balances', importBalancesSchema, importBalancesResponse),
  /** line: balance, tier, expiring points and recent entries in one call, for the chat. */
  accountSummary: route('/internal/accounts/summary', accountSummarySchema, accountSummaryResponse),
  /** line: the rewards a member may redeem now and their ISSUED coupons, for the chat. */
  memberRewards: route('/internal/rewards/for-member', memberRewardsSchema, memberRewardsResponse),
  /**
   * line: redeems a reward as the member themselves (CouponService.redeem, as redeemReward does); the same key
   * answers the same coupon. Refusals: INSUFFICIENT_POINTS, OUT_OF_STOCK, LIMIT_REACHED, REWARD_UNAVAILABLE, NOT_FOUND.
   */
  redeemForMember: route('/internal/rewards/redeem', redeemForMemberSchema, redeemedCoupon),
  /**
   * purchases (Smaregi connector, issue 17): the member's balance as the connector mirrors it, read now: the head
   * entry's seq, the usable balance minus points owed, and when it was read (see purchases' smaregiBalance).
   */
  balanceState: route(
    '/internal/accounts/balance-state',
    z.object({ memberId }),
    z.object({ memberId: z.string(), seq: z.number().int().min(0), balance: points, asOf: instant }),
  ),
  segmentFilter: segmentFilterRoute(pointsConditionSchema),
});
