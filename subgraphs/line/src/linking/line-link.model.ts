import { Schema, type Connection, type Model } from 'mongoose';

export type LineFriendStatus = 'FRIEND' | 'BLOCKED';

/**
 * One LINE user linked to one member. `_id` is the LINE user id, and memberId is unique too, so the
 * one-to-one rule holds through unique-index inserts alone.
 */
export interface LineLinkDoc {
  _id: string;
  memberId: string;
  /** The LINE profile name when linked, for staff screens. */
  displayName?: string | null;
  linkedAt: Date;
  friendStatus: LineFriendStatus;
}

const lineLinkSchema = new Schema<LineLinkDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: String, required: true },
    displayName: { type: String, default: null },
    linkedAt: { type: Date, required: true },
    friendStatus: { type: String, required: true, enum: ['FRIEND', 'BLOCKED'], default: 'FRIEND' },
  },
  { versionKey: false },
);
lineLinkSchema.index({ memberId: 1 }, { unique: true });

export type LineLinkModel = Model<LineLinkDoc>;

export function lineLinkModel(connection: Connection): LineLinkModel {
  return connection.model<LineLinkDoc>('LineLink', lineLinkSchema, 'line_links');
}
