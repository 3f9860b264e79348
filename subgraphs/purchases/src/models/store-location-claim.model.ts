import { Schema, type Connection, type Model } from 'mongoose';

/**
 * One generation of a Shopify location's claim: `_id` is the location id (Shopify's ids are unique across shops) for
 * the first, "<location id>#<n>" for the n-th store that took it over, each claimed by its insert and never changed,
 * so a Shopify POS location feeds one store: the newest claim's, while that store lists it in `shopifyLocationIds`
 * (services/store-locations.ts).
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
