import { Schema, type Connection, type Model } from 'mongoose';

/**
 * A Smaregi customer of one contract and the member it is (`smaregi_customers`), `_id` `<contractId>:<customerId>`,
 * claimed by insert (so one customer is one member however many events race). A member has at most one customer
 * per contract (unique `(contractId, memberId)`). Written by the customer sync (customers/), read by the
 * transactions (a sale's member) and the balance mirror (whose point field to set).
 */
export interface SmaregiCustomerLinkDoc {
  _id: string;
  contractId: string;
  customerId: string;
  memberId: string;
  /** The customer's customerCode in Smaregi (our member code when we created the customer). */
  customerCode: string | null;
  /** REGISTER: the customer was made at a Smaregi register; CONNECTOR: we made it for a member registered elsewhere. */
  origin: 'REGISTER' | 'CONNECTOR';
  createdAt: Date;
}

const customerLinkSchema = new Schema<SmaregiCustomerLinkDoc>(
  {
    _id: { type: String, required: true },
    contractId: { type: String, required: true },
    customerId: { type: String, required: true },
    memberId: { type: String, required: true },
    customerCode: { type: String, default: null },
    origin: { type: String, required: true, enum: ['REGISTER', 'CONNECTOR'] },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);
customerLinkSchema.index({ contractId: 1, memberId: 1 }, { unique: true });
customerLinkSchema.index({ memberId: 1 });

export type SmaregiCustomerLinkModel = Model<SmaregiCustomerLinkDoc>;

export function smaregiCustomerLinkModel(connection: Connection): SmaregiCustomerLinkModel {
  return connection.model<SmaregiCustomerLinkDoc>('SmaregiCustomerLink', customerLinkSchema, 'smaregi_customers');
}

export function customerLinkId(contractId: string, customerId: string): string {
  return `${contractId}:${customerId}`;
}
