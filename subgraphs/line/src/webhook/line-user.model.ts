import { Schema, type Connection, type Model } from 'mongoose';

/**
 * Every LINE user who has talked to or followed the official account, linked or not: whether they follow or have
 * blocked it decides whether messages are sent to them. Keyed by LINE user id; written by follow/unfollow events,
 * which carry a timestamp so a late redelivery never overwrites a newer state, and by the language lookup
 * (user-language.ts).
 */
export interface LineUserDoc {
  _id: string;
  /** Absent for a user seen writing before any follow/unfollow event: the link's copy (or FRIEND) stands. */
  friendStatus?: 'FRIEND' | 'BLOCKED';
  /** The LINE timestamp (ms) of the event that set friendStatus; 0 while none has. */
  statusAt: number;
  /** The profile's language as LINE last gave it (null: LINE has none); absent until it was read. */
  language?: string | null;
  /** When `language` was read from LINE. */
  languageReadAt?: Date;
  /** When the profile was last asked for, answered or not: the next try waits (user-language.ts). */
  languageTriedAt?: Date;
  updatedAt: Date;
}

const lineUserSchema = new Schema<LineUserDoc>(
  {
    _id: { type: String, required: true },
    friendStatus: { type: String, enum: ['FRIEND', 'BLOCKED'] },
    statusAt: { type: Number, required: true },
    language: { type: String, default: undefined },
    languageReadAt: { type: Date, default: undefined },
    languageTriedAt: { type: Date, default: undefined },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export type LineUserModel = Model<LineUserDoc>;

export function lineUserModel(connection: Connection): LineUserModel {
  return connection.model<LineUserDoc>('LineUser', lineUserSchema, 'line_users');
}
