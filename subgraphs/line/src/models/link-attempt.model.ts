import { Schema, type Connection, type Model } from 'mongoose';

/**
 * One counted attempt under a rate-limit key (a link token, a LINE user, an IP address, a member issuing codes).
 * `_id` is "<key>#<seq>": taking the next sequence number is a unique insert, so concurrent attempts cannot all
 * squeeze under the limit the way a count-then-insert would let them.
 */
export interface LinkAttemptDoc {
  _id: string;
  key: string;
  seq: number;
  at: Date;
}

const linkAttemptSchema = new Schema<LinkAttemptDoc>(
  {
    _id: { type: String, required: true },
    key: { type: String, required: true },
    seq: { type: Number, required: true },
    at: { type: Date, required: true },
  },
  { versionKey: false },
);
linkAttemptSchema.index({ key: 1, seq: -1 });

export type LinkAttemptModel = Model<LinkAttemptDoc>;

export function linkAttemptModel(connection: Connection): LinkAttemptModel {
  return connection.model<LinkAttemptDoc>('LinkAttempt', linkAttemptSchema, 'line_link_attempts');
}
