import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * A Smaregi register customer's member: `_id` is "smaregi:<contractId>:<customerId>", claimed by its insert (one
 * member per customer, also under concurrent events). What the register last said of the customer is kept with it,
 * so only what the register changed since is applied to the member.
 */
export interface RegisterCustomerLinkDoc {
  _id: string;
  memberId: Types.ObjectId;
  contractId: string;
  customerId: string;
  /** Found by its customerCode, a card we issued (not made for this customer). */
  byCode: boolean;
  /** The names and contacts (normalised) the register last sent. */
  lastName: string | null;
  firstName: string | null;
  email: string | null;
  phone: string | null;
  /** Smaregi's updDateTime as last applied: an edit older than it is not applied. */
  smaregiUpdatedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const linkSchema = new Schema<RegisterCustomerLinkDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    contractId: { type: String, required: true },
    customerId: { type: String, required: true },
    byCode: { type: Boolean, default: false },
    lastName: { type: String, default: null },
    firstName: { type: String, default: null },
    email: { type: String, default: null },
    phone: { type: String, default: null },
    smaregiUpdatedAt: { type: Date, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);
linkSchema.index({ memberId: 1 });

export type RegisterCustomerLinkModel = Model<RegisterCustomerLinkDoc>;

export const registerCustomerLinkKey = (contractId: string, customerId: string): string => `smaregi:${contractId}:${customerId}`;

export function registerCustomerLinkModel(connection: Connection): RegisterCustomerLinkModel {
  return connection.model<RegisterCustomerLinkDoc>('RegisterCustomerLink', linkSchema, 'member_smaregi_customers');
}
