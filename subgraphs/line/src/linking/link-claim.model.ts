import { Schema, type Connection, type Model } from 'mongoose';

/**
 * The use of a nonce or link code: `_id` is "nonce:<digest>" or "code:<digest>". Inserting it is the exclusive
 * claim (E11000: already used), the one write every MongoDB-compatible server does atomically; a conditional
 * `usedAt: null` update is not (two FerretDB updates can both pass). `completedAt` is set once the link is
 * stored, so a retry of the same event after a crash finishes the job while a replay is refused.
 */
export interface LinkClaimDoc {
  _id: string;
  lineUserId: string;
  memberId: string;
  claimedAt: Date;
  completedAt: Date | null;
}

const linkClaimSchema = new Schema<LinkClaimDoc>(
  {
    _id: { type: String, required: true },
    lineUserId: { type: String, required: true },
    memberId: { type: String, required: true },
    claimedAt: { type: Date, required: true },
    completedAt: { type: Date, default: null },
  },
  { versionKey: false },
);

export type LinkClaimModel = Model<LinkClaimDoc>;

export function linkClaimModel(connection: Connection): LinkClaimModel {
  return connection.model<LinkClaimDoc>('LinkClaim', linkClaimSchema, 'line_link_claims');
}
