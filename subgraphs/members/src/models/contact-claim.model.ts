import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * An exclusive claim on an e-mail address or phone number: `_id` is "email:<address>" or "phone:<E.164>".
 * Claiming is an insert under the primary key, the one write that is atomic on every MongoDB-compatible server,
 * so two concurrent registrations with the same contact cannot both succeed.
 */
export interface ContactClaimDoc {
  _id: string;
  memberId: Types.ObjectId;
  createdAt: Date;
}

const contactClaimSchema = new Schema<ContactClaimDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export type ContactClaimModel = Model<ContactClaimDoc>;

export function contactClaimModel(connection: Connection): ContactClaimModel {
  return connection.model<ContactClaimDoc>('ContactClaim', contactClaimSchema, 'member_contact_claims');
}
