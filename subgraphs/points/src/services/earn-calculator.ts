import { requireAuthenticated, type Caller } from '@omo/lib/core/auth';
import { BadUserInputError, ForbiddenError } from '@omo/lib/core/errors';
import type { CampaignDoc } from '../models/campaign.model';
import type { ItemRuleDoc } from '../models/item-rule.model';
import { CHANNELS, type Channel, type PointsPolicy, type Rounding, type Tier } from '../models/points-policy.model';
import { MAX_INT, MAX_YEN, isGiven, objectIdString, oneOf, validDate, wholeNumber } from './rule-inputs';
import type { CampaignService } from './campaign.service';
import { planLines, type LineEarn, type LinePlan } from './item-rule-earn';
import { itemRuleInScope, type EarnLine } from './item-rule-match';
import type { ItemRuleService } from './item-rule.service';
import type { PolicyService, PolicySource } from './policy.service';
import type { StoreEarnRate, StoreRateService } from './store-rate.service';
import type { TierService } from './tier.service';

/** How a purchase's points were computed; stored on EARN ledger entries and shown by earnPreview. */
export interface EarnBreakdown {
  amount: number;
  /** The part of `amount` on lines not excluded: what counts as tier spend. Absent on entries from before item rules: `amount`. */
  earningAmount?: number;
  ratePoints: number;
  ratePerYen: number;
  basePoints: string;
  tier: Tier;
  tierMultiplierPercent: number;
  campaignMultiplierPercent: number;
  multiplierCampaignId: string | null;
  bonusPoints: number;
  campaignIds: string[];
  rounding: Rounding;
  points: number;
  /** Per line, when the purchase's lines were given (absent on entries from before item rules). */
  lines?: LineEarn[];
}

/** The EARN entry's breakdown as the GraphQL EarnBreakdown resolves it (codegen's mapper: the names would clash). */
export type StoredEarnBreakdown = EarnBreakdown;

export interface EarnInput {
  storeId: string;
  channel: Channel;
  amount: number;
  tier: Tier;
  at: Date;
  /** The purchase's lines; without them the amount earns as one, by the policy and campaigns alone. */
  lines?: readonly EarnLine[] | null;
}

export interface EarnPreviewInput {
  storeId: string;
  channel: Channel;
  amount: number;
  memberId?: string | null;
  lines?: readonly EarnLine[] | null;
}

export interface EarnPreview {
  points: number;
  breakdown: EarnBreakdown;
}

const BASE_POINTS_DECIMALS = 6;

/** Whether a campaign applies to a purchase: inside its window (start inclusive, end exclusive) and its scope. */
export function campaignApplies(campaign: CampaignDoc, purchase: EarnInput): boolean {
  const at = purchase.at.getTime();
  return (
    campaign.startsAt.getTime() <= at &&
    at < campaign.endsAt.getTime() &&
    purchase.amount >= campaign.minAmount &&
    (!campaign.storeIds.length || campaign.storeIds.includes(purchase.storeId)) &&
    (!campaign.channels.length || campaign.channels.includes(purchase.channel)) &&
    (!campaign.tiers.length || campaign.tiers.includes(purchase.tier))
  );
}

export function roundPoints(numerator: bigint, denominator: bigint, rounding: Rounding): bigint {
  return rounding === 'FLOOR' ? numerator / denominator : (2n * numerator + denominator) / (2n * denominator);
}

/** numerator ÷ denominator in decimal, exact when it terminates within 6 decimals, else cut there. */
export function decimalString(numerator: bigint, denominator: bigint): string {
  let remainder = numerator % denominator;
  let digits = '';
  while (remainder !== 0n && digits.length < BASE_POINTS_DECIMALS) {
    remainder *= 10n;
    digits += (remainder / denominator).toString();
    remainder %= denominator;
  }
  const whole = (numerator / denominator).toString();
  return digits ? `${whole}.${digits}` : whole;
}

function storeRateInForce(rate: StoreEarnRate | null, at: Date): StoreEarnRate | null {
  if (!rate) return null;
  const started = !rate.startsAt || rate.startsAt.getTime() <= at.getTime();
  const notEnded = !rate.endsAt || at.getTime() < rate.endsAt.getTime();
  return started && notEnded ? rate : null;
}

const ruleIdOf = (rule: ItemRuleDoc) => rule.itemRuleId.toHexString();

/** What decided a line's multiplier: its item rule when higher than the purchase's campaign (they do not stack). */
function lineMultiplier(plan: LinePlan, campaignPercent: number, campaignWon: boolean): { percent: number; rule: LineEarn['rule'] } {
  if (plan.excludedBy) return { percent: 0, rule: 'EXCLUDED' };
  const itemPercent = plan.multiplier?.multiplierPercent ?? 0;
  if (itemPercent > campaignPercent) return { percent: itemPercent, rule: 'ITEM_RULE' };
  return { percent: campaignPercent, rule: campaignWon ? 'CAMPAIGN' : 'NONE' };
}

/**
 * The points a purchase earns under the given rules (docs/item-rules.md). Each line's share of the amount earns
 * share × rate × tier multiplier × the higher of the best campaign multiplier and the line's best item-rule
 * multiplier (an excluded line: nothing); the purchase's points are the sum over the lines rounded once, dealt to
 * the lines by cumulative rounding (line i gets round(sum up to i) − round(sum before i)), so with no item rule the
 * total is what one rounding of the whole amount gives. Then each line's item fixed bonuses (per unit) and the
 * campaigns' fixed bonuses (per purchase) are added. BigInt throughout: the product of a 10^9 yen amount and three
 * multipliers is beyond exact float arithmetic.
 */
export function breakdownFor(policy: PointsPolicy, storeRate: StoreEarnRate | null, campaigns: CampaignDoc[], itemRules: ItemRuleDoc[], input: EarnInput): EarnBreakdown {
  const rate = storeRateInForce(storeRate, input.at) ?? policy.channelRates.find((r) => r.channel === input.channel);
  const tierRule = policy.tiers.find((r) => r.tier === input.tier);
  if (!rate || !tierRule) throw new Error(`The policy has no rate for ${input.channel} or no rule for ${input.tier}`);

  const givenLines = input.lines?.length ? input.lines : null;
  const inScope = itemRules.filter((rule) => itemRuleInScope(rule, input));
  const plans: LinePlan[] = givenLines
    ? planLines(givenLines, input.amount, inScope, policy.excludedCategories)
    : // no lines (an older caller, a preview by amount): one line no item rule can match, as before item rules
      [{ line: { sku: '', unitPrice: input.amount, quantity: 1 }, amount: input.amount, excludedBy: null, multiplier: null, bonuses: [] }];
  const earningAmount = plans.reduce((sum, p) => sum + (p.excludedBy ? 0 : p.amount), 0);
  // a purchase of excluded lines only (a gift card) earns nothing, campaign bonuses included
  const earns = plans.some((p) => !p.excludedBy);

  const applying = earns ? campaigns.filter((c) => campaignApplies(c, { ...input, amount: earningAmount })) : [];
  // Highest multiplier wins; equal multipliers go to the oldest campaign id, so the choice never flips.
  const winner = applying
    .filter((c) => c.kind === 'MULTIPLIER' && c.multiplierPercent !== null)
    .sort((a, b) => (b.multiplierPercent ?? 0) - (a.multiplierPercent ?? 0) || a.campaignId.toHexString().localeCompare(b.campaignId.toHexString()))[0];
  const bonuses = applying
    .filter((c) => c.kind === 'FIXED_BONUS' && c.bonusPoints !== null)
    .sort((a, b) => a.campaignId.toHexString().localeCompare(b.campaignId.toHexString()));
  const campaignMultiplierPercent = winner?.multiplierPercent ?? 100;
  const bonusPoints = bonuses.reduce((sum, c) => sum + (c.bonusPoints ?? 0), 0);

  const denominator = BigInt(rate.ratePerYen) * 100n * 100n;
  let cumulative = 0n;
  let roundedBefore = 0n;
  const lines: LineEarn[] = plans.map((plan) => {
    const multiplier = lineMultiplier(plan, campaignMultiplierPercent, winner !== undefined);
    const base = BigInt(plan.amount) * BigInt(rate.ratePoints);
    cumulative += base * BigInt(tierRule.multiplierPercent) * BigInt(multiplier.percent);
    const roundedUpTo = roundPoints(cumulative, denominator, policy.rounding);
    const linePoints = roundedUpTo - roundedBefore;
    roundedBefore = roundedUpTo;
    // a line none of the earning yen went to (paid all with points, a free item) was not bought for points: no bonus
    const bonuses = plan.amount > 0 ? plan.bonuses : [];
    const lineBonus = bonuses.reduce((sum, rule) => sum + BigInt(rule.bonusPointsPerUnit ?? 0) * BigInt(plan.line.quantity), 0n);
    const ruleIds = [plan.excludedBy && plan.excludedBy !== 'POLICY' ? plan.excludedBy : null, multiplier.rule === 'ITEM_RULE' ? plan.multiplier : null, ...bonuses];
    return {
      sku: plan.line.sku,
      category: plan.line.category ?? null,
      unitPrice: plan.line.unitPrice,
      quantity: plan.line.quantity,
      amount: plan.amount,
      basePoints: decimalString(base, BigInt(rate.ratePerYen)),
      rule: multiplier.rule,
      multiplierPercent: multiplier.percent,
      itemRuleIds: ruleIds.filter((rule): rule is ItemRuleDoc => rule !== null).map(ruleIdOf),
      bonusPoints: Number(lineBonus),
      points: Number(linePoints + lineBonus),
    };
  });
  const points = lines.reduce((sum, line) => sum + BigInt(line.points), 0n) + BigInt(bonusPoints);
  if (points > BigInt(MAX_INT)) throw new BadUserInputError(`The purchase would earn more than ${MAX_INT} points`, { field: 'amount' });

  return {
    amount: input.amount,
    ratePoints: rate.ratePoints,
    ratePerYen: rate.ratePerYen,
    basePoints: decimalString(BigInt(earningAmount) * BigInt(rate.ratePoints), BigInt(rate.ratePerYen)),
    tier: input.tier,
    tierMultiplierPercent: tierRule.multiplierPercent,
    campaignMultiplierPercent,
    multiplierCampaignId: winner ? winner.campaignId.toHexString() : null,
    bonusPoints,
    campaignIds: [...(winner ? [winner] : []), ...bonuses].map((c) => c.campaignId.toHexString()),
    rounding: policy.rounding,
    points: Number(points),
    // without lines all of the amount earns as one, as before item rules: the breakdown says what it always said
    ...(givenLines ? { earningAmount, lines } : {}),
  };
}

/** Staff, and POS keys at their own stores, preview purchases; returns the store id as rules hold it. */
export function assertCanPreviewAt(caller: Caller, rawStoreId: string): string {
  const actor = requireAuthenticated(caller);
  if (actor.kind !== 'staff' && actor.kind !== 'pos') throw new ForbiddenError('Staff and POS keys only');
  const storeId = objectIdString(rawStoreId, 'storeId');
  if (actor.kind === 'pos' && !actor.storeIds.some((id) => id.toLowerCase() === storeId)) {
    throw new ForbiddenError('This key may only preview purchases at its own stores');
  }
  return storeId;
}

export class EarnCalculator {
  constructor(
    private readonly rules: { policy: PolicyService; storeRates: StoreRateService; campaigns: CampaignService; itemRules: ItemRuleService },
    private readonly tiers: TierService,
    private readonly clock: () => Date,
  ) {}

  /**
   * Points for a purchase by a member of `input.tier`, under the rules in force at `input.at` (as they stood then).
   * `policy`: where the policy is read (a settlement's single read of it).
   */
  async calculate(input: EarnInput, source: PolicySource = this.rules.policy): Promise<EarnBreakdown> {
    const amount = wholeNumber(input.amount, 'amount', 0, MAX_YEN);
    const channel = oneOf(input.channel, CHANNELS, 'channel');
    const at = validDate(input.at, 'at');
    if (typeof input.storeId !== 'string' || !input.storeId) throw new BadUserInputError('storeId is required', { field: 'storeId' });
    // store rates and campaign scopes hold store ids as lower-case hex
    const storeId = input.storeId.toLowerCase();
    const [policy, storeRate, campaigns, itemRules] = await Promise.all([
      source.policyAt(at),
      this.rules.storeRates.storeRate(storeId, at),
      this.rules.campaigns.activeCampaigns(at, at),
      input.lines?.length ? this.rules.itemRules.activeItemRules(at, at) : [],
    ]);
    return breakdownFor(policy, storeRate, campaigns, itemRules, { ...input, storeId, amount, channel, at });
  }

  /** Staff, and POS keys at their own stores: what a purchase would earn now, at the member's tier now. */
  async preview(caller: Caller, input: EarnPreviewInput): Promise<EarnPreview> {
    const storeId = assertCanPreviewAt(caller, input.storeId);
    const amount = wholeNumber(input.amount, 'amount', 0, MAX_YEN);
    const memberId = isGiven(input.memberId) ? objectIdString(input.memberId, 'memberId') : null;
    const now = this.clock();
    const tier = memberId ? (await this.tiers.tierFor(memberId, now)).tier : 'REGULAR';
    const breakdown = await this.calculate({ storeId, channel: input.channel, amount, tier, at: now, lines: input.lines ?? null });
    return { points: breakdown.points, breakdown };
  }
}
