import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * A member's claim of a guest purchase by its receipt code, `_id` = the purchase id: the claim is this insert, so of
 * two members claiming at once exactly one wins (FerretDB has no atomic conditional update to decide it).
 * `appliedAt`: the purchase was made the member's and its settlement queued; `refusal`: a refund was found after
 * the claim was taken, or its member withdrawn, and its decision (receipt_claim_decisions) is REFUSED (the claim is kept, refused, in the
 * database only; the purchase stays a guest's).
 */
/** Why a claim was refused: a refund found after it was taken, or the membership withdrawn meanwhile. */
export type ClaimRefusal = 'PURCHASE_REFUNDED' | 'MEMBER_WITHDRAWN';

export interface ReceiptClaimDoc {
  _id: Types.ObjectId;
  /** The member as members named them when the claim was made (a merged member's survivor). */
  memberId: string;
  code: string;
  claimedAt: Date;
  appliedAt: Date | null;
  refusal: { code: ClaimRefusal; at: Date } | null;
  /** The member's day slot it holds (receipt_claim_slots); absent on claims made before the daily cap. */
  slot?: string | null;
}

const claimSchema = new Schema<ReceiptClaimDoc>(
  {
    memberId: { type: String, required: true },
    code: { type: String, required: true },
    claimedAt: { type: Date, required: true },
    appliedAt: { type: Date, default: null },
    refusal: { type: new Schema({ code: { type: String, required: true }, at: { type: Date, required: true } }, { _id: false }), default: null },
    slot: { type: String, default: null },
  },
  { versionKey: false },
);
// the sweep's query: claims neither applied nor refused
claimSchema.index({ appliedAt: 1, claimedAt: 1 });

export type ReceiptClaimModel = Model<ReceiptClaimDoc>;

export function receiptClaimModel(connection: Connection): ReceiptClaimModel {
  return connection.model<ReceiptClaimDoc>('ReceiptClaim', claimSchema, 'receipt_claims');
}
