import { Schema, type Connection, type Model } from 'mongoose';

/**
 * A LINE link token we asked LINE for, and the LINE user it was issued to. The link page only accepts tokens
 * found here, and the nonce it creates is bound to that user, so an accountLink event from anyone else is refused.
 * `_id` is a keyed digest of the token (see link-secrets.ts): the token itself is never stored.
 */
export interface LinkTokenDoc {
  _id: string;
  lineUserId: string;
  issuedAt: Date;
  expiresAt: Date;
}

const linkTokenSchema = new Schema<LinkTokenDoc>(
  {
    _id: { type: String, required: true },
    lineUserId: { type: String, required: true },
    issuedAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export type LinkTokenModel = Model<LinkTokenDoc>;

export function linkTokenModel(connection: Connection): LinkTokenModel {
  return connection.model<LinkTokenDoc>('LinkToken', linkTokenSchema, 'line_link_tokens');
}
