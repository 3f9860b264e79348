import { Schema, type Connection, type Model } from 'mongoose';
import { ruleChangeSchema, type RuleChange } from './rule-change.schema';

export type Rounding = 'FLOOR' | 'HALF_UP';
export type ExpiryMode = 'PER_LOT' | 'AFTER_LAST_PURCHASE';
export type Tier = 'REGULAR' | 'SILVER' | 'GOLD' | 'PLATINUM';
export type Channel = 'STORE' | 'ONLINE';

export const TIERS: readonly Tier[] = ['REGULAR', 'SILVER', 'GOLD', 'PLATINUM'];
export const CHANNELS: readonly Channel[] = ['STORE', 'ONLINE'];

/** A channel's default earn rate: ratePoints points per ratePerYen yen. */
export interface ChannelRate {
  channel: Channel;
  ratePoints: number;
  ratePerYen: number;
}

export interface TierRule {
  tier: Tier;
  minSpend: number;
  multiplierPercent: number;
}

/** The point policy as a whole: what decides how a purchase earns and when points expire. */
export interface PointsPolicy {
  rounding: Rounding;
  /** The return window of STORE purchases, in days. */
  pendingDays: number;
  /** The return window of ONLINE purchases: goods bought online come back by post, days after they arrive. */
  onlinePendingDays: number;
  expiryMode: ExpiryMode;
  lotValidityDays: number;
  inactivityDays: number;
  signupBonusPoints: number;
  /** Points each member gets once a year in their birthday month (the birthday bonus job); 0 = off. */
  birthdayBonusPoints: number;
  tierWindowDays: number;
  /** Line categories that earn nothing and are not tier spend (normalised: item-rule-match.ts), whatever the item rules say. */
  excludedCategories: string[];
  /** One per channel. */
  channelRates: ChannelRate[];
  /** All four tiers, lowest first. */
  tiers: TierRule[];
}

/**
 * One revision of the point policy; `_id` is the revision number. A change inserts revision n + 1 of the head it
 * was computed from, so of two concurrent changes one wins the insert and the other is recomputed on top of it.
 */
export interface PolicyRevisionDoc extends PointsPolicy {
  _id: number;
  change: RuleChange;
}

const channelRateSchema = new Schema<ChannelRate>(
  {
    channel: { type: String, required: true, enum: CHANNELS },
    ratePoints: { type: Number, required: true },
    ratePerYen: { type: Number, required: true },
  },
  { _id: false },
);

const tierRuleSchema = new Schema<TierRule>(
  {
    tier: { type: String, required: true, enum: TIERS },
    minSpend: { type: Number, required: true },
    multiplierPercent: { type: Number, required: true },
  },
  { _id: false },
);

const policyRevisionSchema = new Schema<PolicyRevisionDoc>(
  {
    _id: { type: Number, required: true },
    rounding: { type: String, required: true, enum: ['FLOOR', 'HALF_UP'] },
    pendingDays: { type: Number, required: true },
    // revisions written before ONLINE had its own window leave it out; policyOf reads them as they were meant
    onlinePendingDays: { type: Number },
    expiryMode: { type: String, required: true, enum: ['PER_LOT', 'AFTER_LAST_PURCHASE'] },
    lotValidityDays: { type: Number, required: true },
    inactivityDays: { type: Number, required: true },
    signupBonusPoints: { type: Number, required: true },
    // revisions written before the birthday bonus existed leave it out: off, as it was then
    birthdayBonusPoints: { type: Number },
    tierWindowDays: { type: Number, required: true },
    // revisions written before item rules leave it out: the default exclusions (points-policy.ts)
    excludedCategories: { type: [String], default: undefined },
    channelRates: { type: [channelRateSchema], required: true },
    tiers: { type: [tierRuleSchema], required: true },
    change: { type: ruleChangeSchema, required: true },
  },
  { versionKey: false },
);

export type PolicyRevisionModel = Model<PolicyRevisionDoc>;

export function policyRevisionModel(connection: Connection): PolicyRevisionModel {
  return connection.model<PolicyRevisionDoc>('PointsPolicyRevision', policyRevisionSchema, 'points_policy_revisions');
}
