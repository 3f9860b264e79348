import { Schema, type Connection, type Model } from 'mongoose';

/**
 * Yen that count towards a member's tier, at the moment they were spent (negative for a refund). `_id` is the
 * caller's idempotency key, so recording the same purchase or refund twice stores it once.
 */
export interface QualifyingSpendDoc {
  _id: string;
  memberId: string;
  amount: number;
  occurredAt: Date;
  purchaseId: string | null;
  /** The merge that moved this record from another member, if any. */
  transferKey: string | null;
  createdAt: Date;
}

const qualifyingSpendSchema = new Schema<QualifyingSpendDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: String, required: true },
    amount: { type: Number, required: true },
    occurredAt: { type: Date, required: true },
    purchaseId: { type: String, default: null },
    transferKey: { type: String, default: null },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
qualifyingSpendSchema.index({ memberId: 1, occurredAt: 1 });
// a full refund of a purchase with excluded lines reads what its earlier refunds took back (settlement.service.ts)
qualifyingSpendSchema.index({ purchaseId: 1 });

export type QualifyingSpendModel = Model<QualifyingSpendDoc>;

export function qualifyingSpendModel(connection: Connection): QualifyingSpendModel {
  return connection.model<QualifyingSpendDoc>('QualifyingSpend', qualifyingSpendSchema, 'qualifying_spend');
}
