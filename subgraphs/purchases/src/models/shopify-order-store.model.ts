import { Schema, type Connection, type Model } from 'mongoose';

/**
 * The store a Shopify POS order is recorded at: `_id` is "<shop's store id>:<order's externalId>", claimed by its
 * insert when an event about the order is first carried out. The order stays that store's whatever its location
 * is mapped to later, so no later event records it again elsewhere (webhooks/shopify-stores.ts).
 */
export interface ShopifyOrderStoreDoc {
  _id: string;
  storeId: string;
  /** The Shopify POS location the order was rung up at. */
  locationId: string;
  createdAt: Date;
}

const orderStoreSchema = new Schema<ShopifyOrderStoreDoc>(
  {
    _id: { type: String, required: true },
    storeId: { type: String, required: true },
    locationId: { type: String, required: true },
    createdAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export type ShopifyOrderStoreModel = Model<ShopifyOrderStoreDoc>;

export const shopifyOrderStoreKey = (shopStoreId: string, externalId: string): string => `${shopStoreId}:${externalId}`;

export function shopifyOrderStoreModel(connection: Connection): ShopifyOrderStoreModel {
  return connection.model<ShopifyOrderStoreDoc>('ShopifyOrderStore', orderStoreSchema, 'shopify_order_stores');
}
