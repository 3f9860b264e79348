import { Schema, type Connection, type Model } from 'mongoose';

/**
 * A one-time link code a logged-in customer sends in the LINE chat. `_id` is a keyed digest of the code, so a
 * copy of the database holds no usable codes; using it is a claim in line_link_claims, so it works once.
 */
export interface LinkCodeDoc {
  _id: string;
  memberId: string;
  createdAt: Date;
  expiresAt: Date;
}

const linkCodeSchema = new Schema<LinkCodeDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false },
);
linkCodeSchema.index({ memberId: 1 });

export type LinkCodeModel = Model<LinkCodeDoc>;

export function linkCodeModel(connection: Connection): LinkCodeModel {
  return connection.model<LinkCodeDoc>('LinkCode', linkCodeSchema, 'line_link_codes');
}
