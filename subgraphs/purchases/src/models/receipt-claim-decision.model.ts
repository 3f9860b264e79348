import { Schema, type Connection, type Model, type Types } from 'mongoose';
import type { ClaimRefusal } from './receipt-claim.model';

/**
 * Whether a receipt claim is applied or refused, `_id` = the purchase id, decided once by this insert: two finishes
 * of one claim at once (a double send, a retry against the sweep) may each have looked for refunds at a different
 * moment, so each inserts its verdict and the one that loses follows the one that won. The refund's reversal reads
 * it to know whom it reverses for (receipt-claim-refunds.ts).
 */
export interface ReceiptClaimDecisionDoc {
  _id: Types.ObjectId;
  verdict: 'APPLIED' | 'REFUSED';
  /** Why a REFUSED claim was refused; null when APPLIED. */
  reason: ClaimRefusal | null;
  decidedAt: Date;
}

const decisionSchema = new Schema<ReceiptClaimDecisionDoc>(
  {
    verdict: { type: String, enum: ['APPLIED', 'REFUSED'], required: true },
    reason: { type: String, default: null },
    decidedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export type ReceiptClaimDecisionModel = Model<ReceiptClaimDecisionDoc>;

export function receiptClaimDecisionModel(connection: Connection): ReceiptClaimDecisionModel {
  return connection.model<ReceiptClaimDecisionDoc>('ReceiptClaimDecision', decisionSchema, 'receipt_claim_decisions');
}
