import { Schema, type Connection, type Model } from 'mongoose';

/**
 * Every LINE user who has talked to or followed the official account, linked or not: whether they follow or have
 * blocked it decides whether messages are sent to them. Keyed by LINE user id; written by follow/unfollow events,
 * which carry a timestamp so a late redelivery never overwrites a newer state.
 */
export interface LineUserDoc {
  _id: string;
  friendStatus: 'FRIEND' | 'BLOCKED';
  /** The LINE timestamp (ms) of the event that set friendStatus. */
  statusAt: number;
  updatedAt: Date;
}

const lineUserSchema = new Schema<LineUserDoc>(
  {
    _id: { type: String, required: true },
    friendStatus: { type: String, required: true, enum: ['FRIEND', 'BLOCKED'] },
    statusAt: { type: Number, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export type LineUserModel = Model<LineUserDoc>;

export function lineUserModel(connection: Connection): LineUserModel {
  return connection.model<LineUserDoc>('LineUser', lineUserSchema, 'line_users');
}
