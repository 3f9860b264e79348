import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * One of the receipt claims a member may make a Japanese day, `_id` = `<memberId>:<YYYY-MM-DD>:<k>` for k below
 * RECEIPT_CLAIMS_PER_DAY: taking a slot is this insert, so however many claims run at once no more than the cap hold
 * one (FerretDB has no atomic counter to decide it). `purchaseId`: the purchase the claim is for; the slot is live
 * while that purchase's receipt_claims record names it and is not refused (docs/receipt-claims.md).
 */
export interface ReceiptClaimSlotDoc {
  _id: string;
  memberId: string;
  /** The Japanese calendar day, YYYY-MM-DD. */
  day: string;
  purchaseId: Types.ObjectId;
  takenAt: Date;
}

const slotSchema = new Schema<ReceiptClaimSlotDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: String, required: true },
    day: { type: String, required: true },
    purchaseId: { type: Schema.Types.ObjectId, required: true },
    takenAt: { type: Date, required: true },
  },
  { versionKey: false },
);
// a member's slots of a day, read before taking one
slotSchema.index({ memberId: 1, day: 1 });

export type ReceiptClaimSlotModel = Model<ReceiptClaimSlotDoc>;

export function receiptClaimSlotModel(connection: Connection): ReceiptClaimSlotModel {
  return connection.model<ReceiptClaimSlotDoc>('ReceiptClaimSlot', slotSchema, 'receipt_claim_slots');
}
