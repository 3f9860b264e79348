import { Schema, type Connection, type Model } from 'mongoose';

/**
 * A nonce handed to LINE's account-link dialog after a member proved who they are on the link page. It carries
 * the member only on our side: LINE (and the browser) see random bytes. `_id` is a keyed digest of the nonce;
 * using it is a claim in line_link_claims, so it works once.
 */
export interface LinkNonceDoc {
  _id: string;
  memberId: string;
  /** The LINE user the link token was issued to: only their accountLink event may use the nonce. */
  lineUserId: string;
  createdAt: Date;
  expiresAt: Date;
}

const linkNonceSchema = new Schema<LinkNonceDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: String, required: true },
    lineUserId: { type: String, required: true },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export type LinkNonceModel = Model<LinkNonceDoc>;

export function linkNonceModel(connection: Connection): LinkNonceModel {
  return connection.model<LinkNonceDoc>('LinkNonce', linkNonceSchema, 'line_link_nonces');
}
