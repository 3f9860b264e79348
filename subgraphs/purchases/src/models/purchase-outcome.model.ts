import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { PurchaseState } from './purchase.model';

export type SettledState = Exclude<PurchaseState, 'PENDING_POINTS'>;

/**
 * How a purchase's settlement ended, `_id` = the purchase id. The decision is this insert: FerretDB's conditional
 * updates are not atomic, so two attempts that disagree (one refused, one redeemed after the balance grew) could
 * both pass `updateOne({ state: 'PENDING_POINTS' })`. Under the unique `_id` the first insert wins and every other
 * attempt reads it; the purchase's `state` is a copy of it, written after.
 */
export interface PurchaseOutcomeDoc {
  _id: Types.ObjectId;
  state: SettledState;
  /** Why a purchase is REJECTED or SETTLEMENT_FAILED, for staff. */
  reason: string | null;
  /** A REJECTED purchase's error code (null before coupons: INSUFFICIENT_POINTS) and the coupon it names. */
  code?: string | null;
  couponCode?: string | null;
  decidedAt: Date;
}

const outcomeSchema = new Schema<PurchaseOutcomeDoc>(
  {
    state: { type: String, required: true, enum: ['COMPLETED', 'REJECTED', 'SETTLEMENT_FAILED'] },
    reason: { type: String, default: null },
    code: { type: String, default: null },
    couponCode: { type: String, default: null },
    decidedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export type PurchaseOutcomeModel = Model<PurchaseOutcomeDoc>;

export function purchaseOutcomeModel(connection: Connection): PurchaseOutcomeModel {
  return connection.model<PurchaseOutcomeDoc>('PurchaseOutcome', outcomeSchema, 'purchase_outcomes');
}
