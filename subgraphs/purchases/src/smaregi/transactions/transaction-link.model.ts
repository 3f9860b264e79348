import { Schema, type Connection, type Model } from 'mongoose';

/**
 * A Smaregi transaction of one contract and the purchase it became (`smaregi_transactions`, `_id`
 * `<contractId>:<transactionHeadId>`), inserted before the purchase is recorded (the purchase id is derived from
 * the store and the key, so it is known first). A 返品取消 names its original by transactionHeadId only: this is
 * how its purchase is found, whatever store it was rung up at.
 */
export interface SmaregiTransactionLinkDoc {
  _id: string;
  contractId: string;
  transactionHeadId: string;
  storeId: string;
  purchaseId: string;
  createdAt: Date;
  /** The event whose sale inserted it (a later event finding the purchase is a DUPLICATE); none for a return's match. */
  eventId?: string | null;
  /** SALE: the transaction became the purchase; RETURN: its returned units were matched to the purchase and refunded. */
  kind?: 'SALE' | 'RETURN';
}

/**
 * A transaction voided (取消) or undone (返品取消) at the register, `_id` `<contractId>:<transactionHeadId>` of the
 * transaction voided, inserted before its purchase is looked for: a sale carried out after it (its event late, or
 * fetched already voided) finds it and records nothing.
 */
export interface SmaregiTransactionVoidDoc {
  _id: string;
  contractId: string;
  transactionHeadId: string;
  /** The transaction that voided it: itself for a 取消, the negative record for a 返品取消. */
  byTransactionHeadId: string;
  createdAt: Date;
}

const linkSchema = new Schema<SmaregiTransactionLinkDoc>(
  {
    _id: { type: String, required: true },
    contractId: { type: String, required: true },
    transactionHeadId: { type: String, required: true },
    storeId: { type: String, required: true },
    purchaseId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    eventId: { type: String, default: null },
    kind: { type: String, enum: ['SALE', 'RETURN'], default: 'SALE' },
  },
  { versionKey: false },
);

const voidSchema = new Schema<SmaregiTransactionVoidDoc>(
  {
    _id: { type: String, required: true },
    contractId: { type: String, required: true },
    transactionHeadId: { type: String, required: true },
    byTransactionHeadId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export interface SmaregiTransactionModels {
  links: Model<SmaregiTransactionLinkDoc>;
  voids: Model<SmaregiTransactionVoidDoc>;
}

export function smaregiTransactionModels(connection: Connection): SmaregiTransactionModels {
  return {
    links: connection.model<SmaregiTransactionLinkDoc>('SmaregiTransactionLink', linkSchema, 'smaregi_transactions'),
    voids: connection.model<SmaregiTransactionVoidDoc>('SmaregiTransactionVoid', voidSchema, 'smaregi_transaction_voids'),
  };
}

export const transactionKey = (contractId: string, transactionHeadId: string): string => `${contractId}:${transactionHeadId}`;
