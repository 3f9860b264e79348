import { Schema, type Connection, type Model, type Types } from 'mongoose';

export interface RefundLineDoc {
  sku: string;
  quantity: number;
  amount: number;
}

/**
 * Refunds of one purchase form a sequence: refund `seq` is unique per purchase and carries the running totals
 * after it, so two concurrent refunds can never both take the last yen (the second insert of the same seq fails
 * and is recomputed from the first).
 */
export interface RefundDoc {
  _id: Types.ObjectId;
  purchaseId: string;
  seq: number;
  /** The caller's key; the refund id is derived from it and the purchase id, so a retry finds it. */
  idempotencyKey: string;
  requestDigest: string;
  /** Yen value refunded (a share of the purchase total: money and points together). */
  amount: number;
  lines: RefundLineDoc[];
  refundedAmountAfter: number;
  /** Value refunded through lines so far: line refunds are measured cumulatively, so all lines add up to the total. */
  lineValueAfter: number;
  /** Units refunded so far per sku, after this refund. */
  refundedQuantitiesAfter: Record<string, number>;
  actor: string;
  createdAt: Date;
  pointsSettledAt?: Date | null;
}

const refundSchema = new Schema<RefundDoc>(
  {
    purchaseId: { type: String, required: true },
    seq: { type: Number, required: true },
    idempotencyKey: { type: String, required: true },
    requestDigest: { type: String, required: true },
    amount: { type: Number, required: true },
    lines: { type: [{ sku: String, quantity: Number, amount: Number, _id: false }], default: [] },
    refundedAmountAfter: { type: Number, required: true },
    lineValueAfter: { type: Number, required: true },
    refundedQuantitiesAfter: { type: Schema.Types.Mixed, required: true },
    actor: { type: String, required: true },
    createdAt: { type: Date, required: true },
    pointsSettledAt: { type: Date, default: null },
  },
  { versionKey: false, minimize: false },
);
refundSchema.index({ purchaseId: 1, seq: 1 }, { unique: true });

export type RefundModel = Model<RefundDoc>;

export function refundModel(connection: Connection): RefundModel {
  return connection.model<RefundDoc>('Refund', refundSchema, 'refunds');
}
