import { Schema, type Connection, type Model, type Types } from 'mongoose';

export type StoreKind = 'PHYSICAL' | 'ONLINE' | 'POPUP';

export interface StoreDoc {
  _id: Types.ObjectId;
  code: string;
  name: string;
  kind: StoreKind;
  prefecture?: string | null;
  city?: string | null;
  opensAt?: Date | null;
  closesAt?: Date | null;
  /** ONLINE stores fed by Shopify: the shop whose webhooks become this store's purchases. */
  shopifyShopDomain?: string | null;
  /** The secret Shopify signs that shop's webhooks with; never returned through GraphQL. */
  shopifyWebhookSecret?: string | null;
  /** The shop's Admin API access token (discount codes for coupons); never returned through GraphQL. */
  shopifyAdminAccessToken?: string | null;
  /** PHYSICAL and POPUP stores: the Shopify POS locations whose orders are this store's purchases (claimed in store_shopify_locations). */
  shopifyLocationIds?: string[];
  createdAt: Date;
  updatedAt: Date;
}

const storeSchema = new Schema<StoreDoc>(
  {
    code: { type: String, required: true },
    name: { type: String, required: true },
    kind: { type: String, required: true, enum: ['PHYSICAL', 'ONLINE', 'POPUP'] },
    prefecture: { type: String, default: null },
    city: { type: String, default: null },
    opensAt: { type: Date, default: null },
    closesAt: { type: Date, default: null },
    shopifyShopDomain: { type: String, default: null },
    shopifyWebhookSecret: { type: String, default: null },
    shopifyAdminAccessToken: { type: String, default: null },
    shopifyLocationIds: { type: [String], default: [] },
  },
  { timestamps: true, versionKey: false },
);
storeSchema.index({ code: 1 }, { unique: true });
storeSchema.index({ shopifyShopDomain: 1 });

export type StoreModel = Model<StoreDoc>;

export function storeModel(connection: Connection): StoreModel {
  return connection.model<StoreDoc>('Store', storeSchema, 'stores');
}
