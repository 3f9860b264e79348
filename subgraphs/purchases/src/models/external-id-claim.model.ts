import { Schema, type Connection, type Model } from 'mongoose';

/**
 * `_id` = `${storeId}:${externalId}`: a receipt number or order id is recorded once per store. A separate claim
 * rather than a unique index on the purchase, because guest purchases without an externalId must not collide.
 */
export interface ExternalIdClaimDoc {
  _id: string;
  purchaseId: string;
  createdAt: Date;
}

const claimSchema = new Schema<ExternalIdClaimDoc>(
  { _id: { type: String, required: true }, purchaseId: { type: String, required: true }, createdAt: { type: Date, required: true } },
  { versionKey: false },
);

export type ExternalIdClaimModel = Model<ExternalIdClaimDoc>;

export function externalIdClaimModel(connection: Connection): ExternalIdClaimModel {
  return connection.model<ExternalIdClaimDoc>('ExternalIdClaim', claimSchema, 'purchase_external_ids');
}
