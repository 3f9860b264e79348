import { Schema, type Connection, type Model } from 'mongoose';

/**
 * A Shopify location's store: `_id` is the location id (Shopify's ids are unique across shops), claimed by its
 * insert, so a Shopify POS location feeds one store. The store lists it in `shopifyLocationIds`.
 */
export interface StoreLocationClaimDoc {
  _id: string;
  storeId: string;
  createdAt: Date;
}

const claimSchema = new Schema<StoreLocationClaimDoc>(
  {
    _id: { type: String, required: true },
    storeId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export type StoreLocationClaimModel = Model<StoreLocationClaimDoc>;

export function storeLocationClaimModel(connection: Connection): StoreLocationClaimModel {
  return connection.model<StoreLocationClaimDoc>('StoreLocationClaim', claimSchema, 'store_shopify_locations');
}
