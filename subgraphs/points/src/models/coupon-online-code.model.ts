import { Schema, type Connection, type Model } from 'mongoose';

/** What the Shopify side of a coupon came to: its code made (ACTIVE), refused (FAILED), or turned off (DEACTIVATED). */
export type OnlineCodeOutcome = 'ACTIVE' | 'FAILED' | 'DEACTIVATED';
export type OnlineCodeStage = 'CREATE' | 'DEACTIVATE';

/**
 * The outcome of one stage of a coupon's Shopify discount code, `_id` `<couponId>:<stage>`, written once by the
 * stage's outbox handler (coupon-shopify-sync.ts). Kept apart from the coupon and written by insert, never update:
 * FerretDB rewrites a whole document on update, so an update here racing the coupon's end (which writes the
 * coupon's state) could undo it, and a late create could overwrite a deactivation. The deactivation, when there is
 * one, is what the coupon's onlineCode shows.
 */
export interface CouponOnlineCodeDoc {
  _id: string;
  couponId: string;
  stage: OnlineCodeStage;
  outcome: OnlineCodeOutcome;
  /** The ONLINE stores whose Shopify shops hold the code. */
  shops: string[];
  /** Why it FAILED, or how a deactivation ended; null otherwise. */
  reason: string | null;
  at: Date;
}

export type CouponOnlineCodeModel = Model<CouponOnlineCodeDoc>;

const onlineCodeSchema = new Schema<CouponOnlineCodeDoc>(
  {
    _id: { type: String, required: true },
    couponId: { type: String, required: true },
    stage: { type: String, required: true, enum: ['CREATE', 'DEACTIVATE'] },
    outcome: { type: String, required: true, enum: ['ACTIVE', 'FAILED', 'DEACTIVATED'] },
    shops: { type: [String], default: [] },
    reason: { type: String, default: null },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
onlineCodeSchema.index({ couponId: 1 });

export function couponOnlineCodeModel(connection: Connection): CouponOnlineCodeModel {
  return connection.model<CouponOnlineCodeDoc>('CouponOnlineCode', onlineCodeSchema, 'coupon_online_codes');
}
