import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { Tier } from './points-policy.model';
import { ruleChangeSchema, type RuleChange } from './rule-change.schema';

export type BenefitKind = 'YEN_OFF' | 'PERCENT_OFF' | 'FREE_ITEM';

/** What a reward's coupon takes off a sale: the fields of its kind are set, the others null. */
export interface RewardBenefit {
  kind: BenefitKind;
  /** YEN_OFF: yen off the sale. */
  yenOff: number | null;
  /** PERCENT_OFF: percent off the sale, at most capYen yen. */
  percentOff: number | null;
  capYen: number | null;
  /** FREE_ITEM: the item given. */
  sku: string | null;
}

/** What an administrator sets on a reward. */
export interface RewardFields {
  nameJa: string;
  nameEn: string;
  descriptionJa: string;
  descriptionEn: string;
  pointsCost: number;
  benefit: RewardBenefit;
  /** Stores where its coupons are valid (empty: none), and whether online. */
  storeIds: string[];
  online: boolean;
  validFrom: Date;
  validUntil: Date | null;
  /** Coupons that may be outstanding at once (null: unlimited); a cancelled or expired one frees its unit. */
  stock: number | null;
  perMemberLimit: number | null;
  minTier: Tier | null;
  active: boolean;
  couponValidityDays: number;
  /** Whether a full refund of a purchase that used one of its coupons makes that coupon ISSUED again. */
  restoreCouponOnRefund: boolean;
}

/**
 * One revision of a reward (lean); the reward is its highest revision. Like campaigns, every change inserts the
 * next revision under the unique (rewardId, revision) index, carrying its own audit record.
 */
export interface RewardDoc extends RewardFields {
  _id: Types.ObjectId;
  rewardId: Types.ObjectId;
  revision: number;
  createdAt: Date;
  change: RuleChange;
}

const benefitSchema = new Schema<RewardBenefit>(
  {
    kind: { type: String, required: true, enum: ['YEN_OFF', 'PERCENT_OFF', 'FREE_ITEM'] },
    yenOff: { type: Number, default: null },
    percentOff: { type: Number, default: null },
    capYen: { type: Number, default: null },
    sku: { type: String, default: null },
  },
  { _id: false },
);

const rewardSchema = new Schema<RewardDoc>(
  {
    rewardId: { type: Schema.Types.ObjectId, required: true },
    revision: { type: Number, required: true },
    nameJa: { type: String, required: true },
    nameEn: { type: String, required: true },
    descriptionJa: { type: String, default: '' },
    descriptionEn: { type: String, default: '' },
    pointsCost: { type: Number, required: true },
    benefit: { type: benefitSchema, required: true },
    storeIds: { type: [String], default: [] },
    online: { type: Boolean, required: true },
    validFrom: { type: Date, required: true },
    validUntil: { type: Date, default: null },
    stock: { type: Number, default: null },
    perMemberLimit: { type: Number, default: null },
    minTier: { type: String, default: null },
    active: { type: Boolean, required: true },
    couponValidityDays: { type: Number, required: true },
    restoreCouponOnRefund: { type: Boolean, default: false },
    createdAt: { type: Date, required: true },
    change: { type: ruleChangeSchema, required: true },
  },
  { versionKey: false },
);
rewardSchema.index({ rewardId: 1, revision: 1 }, { unique: true });

export type RewardModel = Model<RewardDoc>;

export function rewardModel(connection: Connection): RewardModel {
  return connection.model<RewardDoc>('Reward', rewardSchema, 'rewards');
}
