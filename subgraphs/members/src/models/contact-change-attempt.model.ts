import { Schema, type Connection, type Model } from 'mongoose';

/**
 * One contact change (e-mail or phone) asked for by a member. `_id` is "<memberId>#<seq>": taking the member's next
 * sequence number is a unique insert, so concurrent requests cannot all squeeze under the limit the way a
 * count-then-insert would let them on a server without transactions.
 */
export interface ContactChangeAttemptDoc {
  _id: string;
  memberId: string;
  seq: number;
  at: Date;
}

const contactChangeAttemptSchema = new Schema<ContactChangeAttemptDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: String, required: true },
    seq: { type: Number, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
contactChangeAttemptSchema.index({ memberId: 1, seq: -1 });

export type ContactChangeAttemptModel = Model<ContactChangeAttemptDoc>;

export function contactChangeAttemptModel(connection: Connection): ContactChangeAttemptModel {
  return connection.model<ContactChangeAttemptDoc>('ContactChangeAttempt', contactChangeAttemptSchema, 'member_contact_change_attempts');
}
