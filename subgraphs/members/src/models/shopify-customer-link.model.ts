import { Schema, type Connection, type Model, type Types } from 'mongoose';

/**
 * A Shopify customer's member: `_id` is "shopify:<storeId>:<customerId>", claimed by its insert (one member per
 * Shopify customer, also under concurrent deliveries). What Shopify last said of the customer is kept with it.
 */
export interface ShopifyCustomerLinkDoc {
  _id: string;
  memberId: Types.ObjectId;
  storeId: string;
  customerId: string;
  /** The contacts Shopify last sent (normalised): only a change from these is applied to the member. */
  email: string | null;
  phone: string | null;
  /** Shopify's customer state: a disabled or declined customer keeps the member (their points are ours to keep). */
  state: string | null;
  /**
   * Linked to a member who was found by e-mail or phone (not made for this customer): Shopify's later contact
   * changes are kept here but not written onto the member, whose contacts are the ones the member gave us. Shopify
   * does not verify a checkout's e-mail or phone, so anyone checking out with a member's address could otherwise
   * rewrite that member's contacts.
   */
  matched: boolean;
  emailMarketing: string | null;
  smsMarketing: string | null;
  /** Shopify's `updated_at` of the customer as last applied: an update older than it is not applied. */
  shopifyUpdatedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
}

const linkSchema = new Schema<ShopifyCustomerLinkDoc>(
  {
    _id: { type: String, required: true },
    memberId: { type: Schema.Types.ObjectId, required: true },
    storeId: { type: String, required: true },
    customerId: { type: String, required: true },
    email: { type: String, default: null },
    phone: { type: String, default: null },
    state: { type: String, default: null },
    matched: { type: Boolean, default: false },
    emailMarketing: { type: String, default: null },
    smsMarketing: { type: String, default: null },
    shopifyUpdatedAt: { type: Date, default: null },
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export type ShopifyCustomerLinkModel = Model<ShopifyCustomerLinkDoc>;

export const shopifyCustomerLinkKey = (storeId: string, customerId: string): string => `shopify:${storeId}:${customerId}`;

export function shopifyCustomerLinkModel(connection: Connection): ShopifyCustomerLinkModel {
  return connection.model<ShopifyCustomerLinkDoc>('ShopifyCustomerLink', linkSchema, 'member_shopify_customers');
}
