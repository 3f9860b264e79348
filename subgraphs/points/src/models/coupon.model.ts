import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { RewardBenefit } from './reward.model';

/**
 * ISSUED until its one end: CANCELLED or EXPIRED (points given back, for good), or USED by a purchase (no
 * give-back; undone only when that purchase is voided, or fully refunded under restoreCouponOnRefund).
 */
export type CouponState = 'ISSUED' | 'CANCELLED' | 'EXPIRED' | 'USED';
export type CouponEnd = Exclude<CouponState, 'ISSUED'>;

/**
 * A coupon a member bought with points: what the reward gave at redemption, copied, so later edits of the reward
 * do not change coupons already issued. `state` mirrors the coupon's end claim (coupon_ends), which decides it.
 */
export interface CouponDoc {
  _id: Types.ObjectId;
  /** Single use, unguessable; printed as the barcode / QR value. */
  code: string;
  memberId: string;
  /** The member's redemption key: one coupon per key. */
  redeemKey: string;
  /** The reward it was bought for; null for a code bought with points at the online checkout (coupon-online.service.ts). */
  rewardId: string | null;
  rewardRevision: number | null;
  nameJa: string;
  nameEn: string;
  pointsCost: number;
  benefit: RewardBenefit;
  storeIds: string[];
  online: boolean;
  /** Copied from the reward: whether a full refund of the purchase that used it makes it ISSUED again. */
  restoreCouponOnRefund?: boolean;
  state: CouponState;
  issuedAt: Date;
  expiresAt: Date;
  endedAt: Date | null;
  /** USED: when, and by which purchase (mirrored from its end). */
  usedAt?: Date | null;
  purchaseId?: string | null;
}

/**
 * The one end of a coupon, `_id` the coupon's: a unique insert, so of a cancel, an expiry run and two registers
 * at once one wins. A USED end names its purchase; it is the only kind ever deleted (coupon-use.service.ts).
 */
export interface CouponEndDoc {
  _id: Types.ObjectId;
  state: CouponEnd;
  actor: string;
  at: Date;
  purchaseId?: string | null;
}

/**
 * A unit of a reward's stock (`<reward>:stock:<n>`) or one of a member's uses of it (`<reward>:<member>:<n>`), held
 * by a coupon: a unique insert each, so no two coupons hold the same unit; deleted when the coupon ends.
 */
export interface RewardSlotDoc {
  _id: string;
  rewardId: string;
  /** 'stock', or the member whose use it is. */
  scope: string;
  couponId: string;
  /** When it was taken: the expiry job frees units whose coupon never came to be (a redemption that died). */
  createdAt?: Date;
}

const benefitSchema = new Schema<RewardBenefit>(
  {
    kind: { type: String, required: true },
    yenOff: { type: Number, default: null },
    percentOff: { type: Number, default: null },
    capYen: { type: Number, default: null },
    sku: { type: String, default: null },
  },
  { _id: false },
);

const couponSchema = new Schema<CouponDoc>(
  {
    code: { type: String, required: true },
    memberId: { type: String, required: true },
    redeemKey: { type: String, required: true },
    rewardId: { type: String, default: null },
    rewardRevision: { type: Number, default: null },
    nameJa: { type: String, required: true },
    nameEn: { type: String, required: true },
    pointsCost: { type: Number, required: true },
    benefit: { type: benefitSchema, required: true },
    storeIds: { type: [String], default: [] },
    online: { type: Boolean, required: true },
    restoreCouponOnRefund: { type: Boolean, default: false },
    state: { type: String, required: true, enum: ['ISSUED', 'CANCELLED', 'EXPIRED', 'USED'] },
    issuedAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
    endedAt: { type: Date, default: null },
    usedAt: { type: Date, default: null },
    purchaseId: { type: String, default: null },
  },
  { versionKey: false },
);
couponSchema.index({ code: 1 }, { unique: true });
couponSchema.index({ redeemKey: 1 }, { unique: true });
couponSchema.index({ memberId: 1, issuedAt: -1 });
couponSchema.index({ state: 1, expiresAt: 1 });
// a refund's release finds the coupons whose mirror names its purchase
couponSchema.index({ purchaseId: 1 });

const couponEndSchema = new Schema<CouponEndDoc>(
  {
    state: { type: String, required: true, enum: ['CANCELLED', 'EXPIRED', 'USED'] },
    actor: { type: String, required: true },
    at: { type: Date, required: true },
    purchaseId: { type: String, default: null },
  },
  { versionKey: false },
);
couponEndSchema.index({ purchaseId: 1 });

const rewardSlotSchema = new Schema<RewardSlotDoc>(
  {
    _id: { type: String, required: true },
    rewardId: { type: String, required: true },
    scope: { type: String, required: true },
    couponId: { type: String, required: true },
    createdAt: { type: Date },
  },
  { versionKey: false },
);
rewardSlotSchema.index({ rewardId: 1, scope: 1 });
rewardSlotSchema.index({ couponId: 1 });
rewardSlotSchema.index({ createdAt: 1 });

export interface CouponModels {
  coupons: Model<CouponDoc>;
  ends: Model<CouponEndDoc>;
  slots: Model<RewardSlotDoc>;
}

export function couponModels(connection: Connection): CouponModels {
  return {
    coupons: connection.model<CouponDoc>('Coupon', couponSchema, 'coupons'),
    ends: connection.model<CouponEndDoc>('CouponEnd', couponEndSchema, 'coupon_ends'),
    slots: connection.model<RewardSlotDoc>('RewardSlot', rewardSlotSchema, 'reward_slots'),
  };
}
