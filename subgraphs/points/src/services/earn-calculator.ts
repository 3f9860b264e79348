import { requireAuthenticated, type Caller } from '@omo/lib/core/auth';
import { BadUserInputError, ForbiddenError } from '@omo/lib/core/errors';
import type { CampaignDoc } from '../models/campaign.model';
import { CHANNELS, type Channel, type PointsPolicy, type Rounding, type Tier } from '../models/points-policy.model';
import { MAX_INT, MAX_YEN, isGiven, objectIdString, oneOf, validDate, wholeNumber } from './rule-inputs';
import type { CampaignService } from './campaign.service';
import type { PolicyService } from './policy.service';
import type { StoreEarnRate, StoreRateService } from './store-rate.service';
import type { TierService } from './tier.service';

/** How a purchase's points were computed; stored on EARN ledger entries and shown by earnPreview. */
export interface EarnBreakdown {
  amount: number;
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
}

export interface EarnInput {
  storeId: string;
  channel: Channel;
  amount: number;
  tier: Tier;
  at: Date;
}

export interface EarnPreviewInput {
  storeId: string;
  channel: Channel;
  amount: number;
  memberId?: string | null;
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

/**
 * The points a purchase earns under the given rules: amount × rate × tier multiplier × the highest campaign
 * multiplier, rounded once, plus every fixed bonus. BigInt throughout: the product of a 10^9 yen amount and
 * three multipliers is beyond exact float arithmetic.
 */
export function breakdownFor(policy: PointsPolicy, storeRate: StoreEarnRate | null, campaigns: CampaignDoc[], input: EarnInput): EarnBreakdown {
  const rate = storeRateInForce(storeRate, input.at) ?? policy.channelRates.find((r) => r.channel === input.channel);
  const tierRule = policy.tiers.find((r) => r.tier === input.tier);
  if (!rate || !tierRule) throw new Error(`The policy has no rate for ${input.channel} or no rule for ${input.tier}`);

  const applying = campaigns.filter((c) => campaignApplies(c, input));
  // Highest multiplier wins; equal multipliers go to the oldest campaign id, so the choice never flips.
  const winner = applying
    .filter((c) => c.kind === 'MULTIPLIER' && c.multiplierPercent !== null)
    .sort((a, b) => (b.multiplierPercent ?? 0) - (a.multiplierPercent ?? 0) || a.campaignId.toHexString().localeCompare(b.campaignId.toHexString()))[0];
  const bonuses = applying
    .filter((c) => c.kind === 'FIXED_BONUS' && c.bonusPoints !== null)
    .sort((a, b) => a.campaignId.toHexString().localeCompare(b.campaignId.toHexString()));
  const campaignMultiplierPercent = winner?.multiplierPercent ?? 100;
  const bonusPoints = bonuses.reduce((sum, c) => sum + (c.bonusPoints ?? 0), 0);

  const base = BigInt(input.amount) * BigInt(rate.ratePoints);
  const numerator = base * BigInt(tierRule.multiplierPercent) * BigInt(campaignMultiplierPercent);
  const denominator = BigInt(rate.ratePerYen) * 100n * 100n;
  const points = roundPoints(numerator, denominator, policy.rounding) + BigInt(bonusPoints);
  if (points > BigInt(MAX_INT)) throw new BadUserInputError(`The purchase would earn more than ${MAX_INT} points`, { field: 'amount' });

  return {
    amount: input.amount,
    ratePoints: rate.ratePoints,
    ratePerYen: rate.ratePerYen,
    basePoints: decimalString(base, BigInt(rate.ratePerYen)),
    tier: input.tier,
    tierMultiplierPercent: tierRule.multiplierPercent,
    campaignMultiplierPercent,
    multiplierCampaignId: winner ? winner.campaignId.toHexString() : null,
    bonusPoints,
    campaignIds: [...(winner ? [winner] : []), ...bonuses].map((c) => c.campaignId.toHexString()),
    rounding: policy.rounding,
    points: Number(points),
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
    private readonly rules: { policy: PolicyService; storeRates: StoreRateService; campaigns: CampaignService },
    private readonly tiers: TierService,
    private readonly clock: () => Date,
  ) {}

  /** Points for a purchase by a member of `input.tier`, under the rules in force at `input.at` (as they stood then). */
  async calculate(input: EarnInput): Promise<EarnBreakdown> {
    const amount = wholeNumber(input.amount, 'amount', 0, MAX_YEN);
    const channel = oneOf(input.channel, CHANNELS, 'channel');
    const at = validDate(input.at, 'at');
    if (typeof input.storeId !== 'string' || !input.storeId) throw new BadUserInputError('storeId is required', { field: 'storeId' });
    // store rates and campaign scopes hold store ids as lower-case hex
    const storeId = input.storeId.toLowerCase();
    const [policy, storeRate, campaigns] = await Promise.all([
      this.rules.policy.policyAt(at),
      this.rules.storeRates.storeRate(storeId, at),
      this.rules.campaigns.activeCampaigns(at, at),
    ]);
    return breakdownFor(policy, storeRate, campaigns, { ...input, storeId, amount, channel, at });
  }

  /** Staff, and POS keys at their own stores: what a purchase would earn now, at the member's tier now. */
  async preview(caller: Caller, input: EarnPreviewInput): Promise<EarnPreview> {
    const storeId = assertCanPreviewAt(caller, input.storeId);
    const amount = wholeNumber(input.amount, 'amount', 0, MAX_YEN);
    const memberId = isGiven(input.memberId) ? objectIdString(input.memberId, 'memberId') : null;
    const now = this.clock();
    const tier = memberId ? (await this.tiers.tierFor(memberId, now)).tier : 'REGULAR';
    const breakdown = await this.calculate({ storeId, channel: input.channel, amount, tier, at: now });
    return { points: breakdown.points, breakdown };
  }
}
