import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * A receipt code and the guest purchase it was drawn for, `_id` = the code: drawing a code is this insert, so two
 * purchases never share one. Kept apart from `purchases` because a unique index there would clash on every member
 * purchase's missing code (FerretDB has no partial indexes). A code whose purchase insert then lost (a concurrent
 * resend) names a purchase that never was, and a lookup of it finds nothing.
 */
export interface ReceiptCodeDoc {
  _id: string;
  purchaseId: Types.ObjectId;
  createdAt: Date;
}

const codeSchema = new Schema<ReceiptCodeDoc>(
  {
    _id: { type: String, required: true },
    purchaseId: { type: Schema.Types.ObjectId, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export type ReceiptCodeModel = Model<ReceiptCodeDoc>;

export function receiptCodeModel(connection: Connection): ReceiptCodeModel {
  return connection.model<ReceiptCodeDoc>('ReceiptCode', codeSchema, 'receipt_codes');
}
