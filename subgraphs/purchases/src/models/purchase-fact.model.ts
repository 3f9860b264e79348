import { Schema, type Connection, type Model } from 'mongoose';
import type { Channel } from './purchase.model';

/**
 * What a completed purchase or a refund adds to its member's purchase stats, one document each under a unique id
 * (`purchase:<id>`, `refund:<id>`): recording a fact twice is impossible, and the stats are their sum. FerretDB's
 * $group has no $min/$max, so first/last purchase dates are reduced in code.
 */
export interface PurchaseFactDoc {
  _id: string;
  memberId: string;
  storeId: string;
  channel: Channel;
  /** 1 for a purchase, 0 for a refund. */
  count: number;
  /** Yen paid (negative for a refund). */
  amount: number;
  occurredAt: Date;
}

const factSchema = new Schema<PurchaseFactDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: String, required: true },
    storeId: { type: String, required: true },
    channel: { type: String, required: true },
    count: { type: Number, required: true },
    amount: { type: Number, required: true },
    occurredAt: { type: Date, required: true },
  },
  { versionKey: false },
);
factSchema.index({ memberId: 1 });

export type PurchaseFactModel = Model<PurchaseFactDoc>;

export function purchaseFactModel(connection: Connection): PurchaseFactModel {
  return connection.model<PurchaseFactDoc>('PurchaseFact', factSchema, 'purchase_facts');
}
